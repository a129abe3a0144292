import Homeserver
import MatrixCore
import MatrixCrypto
import Replication
import Storage

extension TrellisConfig {
    /// The `database` section as the storage layer's settings.
    public var databaseSettings: DatabaseSettings {
        DatabaseSettings(
            host: database.host,
            port: database.port,
            user: database.user,
            password: database.password,
            database: database.name,
            maxConnections: database.maxConnections,
            connectTimeout: .seconds(database.connectTimeoutSeconds),
            tls: databaseTLS ?? .disable
        )
    }

    /// `database.tls_mode` as the pool's TLS setting; `nil` for an unknown mode.
    var databaseTLS: DatabaseTLS? {
        switch database.tlsMode {
        case "disable": .disable
        case "prefer": .prefer
        case "require": .require
        case "verify-full": .verifyFull(caFile: database.tlsCAFile)
        default: nil
        }
    }

    /// The `redis` section as the replication bus's settings.
    public var redisConfiguration: RedisConfiguration {
        RedisConfiguration(host: redis.host, port: redis.port, password: redis.password, database: redis.database)
    }

    /// The `accounts` section and the server name as the account service's settings.
    public func accountSettings() throws -> AccountSettings {
        AccountSettings(
            serverName: try ServerName(parsing: serverName),
            registrationEnabled: accounts.registrationEnabled,
            passwordHasher: PasswordHasher(operationsLimit: accounts.passwordHashOperations,
                                           memoryLimitBytes: accounts.passwordHashMemoryKiB * 1024),
            minimumPasswordLength: accounts.minimumPasswordLength,
            refreshableTokenLifetimeMilliseconds: Int64(accounts.refreshableAccessTokenLifetimeSeconds) * 1000
        )
    }
}

extension TrellisConfig {
    /// The `media` section as the media repository's settings.
    public var mediaSettings: MediaSettings {
        MediaSettings(
            maxUploadBytes: media.maxUploadBytes,
            maxImagePixels: media.maxImagePixels,
            thumbnailSizes: media.thumbnailSizes,
            pendingUploadLifetimeMilliseconds: Int64(media.pendingUploadLifetimeSeconds) * 1000,
            maxPendingUploadsPerUser: media.maxPendingUploadsPerUser,
            unauthenticatedMediaFrozen: media.freezeUnauthenticatedMedia,
            maxDownloadWaitMilliseconds: Int64(media.maxDownloadWaitSeconds) * 1000,
            thumbnailsOnUpload: media.thumbnailsOnUpload
        )
    }
}

extension TrellisConfig.Federation {
    /// The destination overrides by server name (the last one wins for a name given twice).
    var overridesByServer: [String: String] {
        Dictionary(destinationOverrides.map { ($0.serverName, $0.baseURL) }, uniquingKeysWith: { $1 })
    }
}
