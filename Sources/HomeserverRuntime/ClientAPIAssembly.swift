import Homeserver
import HomeserverHTTP
import Hummingbird
import Logging
import MatrixAPI
import MatrixCore
import MatrixCrypto
import MatrixEvents
import Replication
import Storage

/// Builds the client API's services from the configuration and registers its routes.
public struct ClientAPIAssembly {
    let config: TrellisConfig
    let database: Database
    let redis: RedisConnection
    let signingKey: ServerSigningKey
    let logger: Logger

    public init(config: TrellisConfig, database: Database, redis: RedisConnection, signingKey: ServerSigningKey,
                logger: Logger) {
        self.config = config
        self.database = database
        self.redis = redis
        self.signingKey = signingKey
        self.logger = logger
    }

    public func register(on router: Router<MatrixRequestContext>) throws {
        let serverName = try ServerName(parsing: config.serverName)
        let accountStore = AccountStore(database: database)
        let roomStore = RoomStore(database: database, stateGroups: StateGroupStore(database: database))
        let publisher = StreamPublisher(connection: redis)
        let accounts = AccountService(store: accountStore, settings: try config.accountSettings(), publisher: publisher,
                                      logger: logger)
        let persister = EventPersister(rooms: roomStore, serverName: serverName, signingKey: signingKey,
                                       publisher: publisher, logger: logger)
        let profiles = ProfileService(accounts: accountStore, rooms: roomStore, persister: persister, logger: logger)
        let creator = RoomCreator(persister: persister, rooms: roomStore, profiles: profiles, serverName: serverName,
                                  defaultRoomVersion: RoomVersionID(rawValue: config.rooms.defaultVersion))
        let rooms = RoomService(persister: persister, rooms: roomStore, profiles: profiles, serverName: serverName)
        let authentication = AccessTokenMiddleware(accounts: accounts, activity: DeviceActivity(store: accountStore))
        let limits = RateLimits(limiter: RedisRateLimiter(connection: redis), limits: rateLimits(), logger: logger)
        let deactivation = AccountDeactivation(accounts: accounts, accountStore: accountStore, roomStore: roomStore,
                                               rooms: rooms, logger: logger)

        ClientInfoRoutes(publicBaseURL: config.publicBaseURL, federationDelegate: config.federationDelegate)
            .register(on: router)
        AccountRoutes(accounts: accounts, deactivation: deactivation, limits: limits)
            .register(on: router, authentication: authentication)
        RoomRoutes(creator: creator, rooms: rooms, limits: limits).register(on: router, authentication: authentication)
        ProfileRoutes(profiles: profiles).register(on: router, authentication: authentication)
        DirectoryRoutes(directory: RoomDirectory(rooms: roomStore, serverName: serverName))
            .register(on: router, authentication: authentication)

        AdminUserRoutes(users: UserAdministration(accounts: accounts, store: accountStore, profiles: profiles,
                                                  deactivation: deactivation))
            .register(on: router, authentication: authentication)
        let sharedSecretRegistration = SharedSecretRegistration(
            secret: config.registrationSharedSecret, nonces: RegistrationNonceStore(database: database), accounts: accounts
        )
        SharedSecretRegistrationRoutes(registration: sharedSecretRegistration, serverName: serverName).register(on: router)
        ServerVersionRoutes().register(on: router)
        registerClientData(on: router, authentication: authentication, roomStore: roomStore, publisher: publisher,
                           serverName: serverName)
        registerDiscovery(on: router, authentication: authentication, serverName: serverName)
        registerEndToEndEncryption(on: router, authentication: authentication, accounts: accounts,
                                   accountStore: accountStore, publisher: publisher, serverName: serverName)
    }

    /// Device keys, cross-signing, to-device messages and key backup.
    private func registerEndToEndEncryption(
        on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware, accounts: AccountService,
        accountStore: AccountStore, publisher: StreamPublisher, serverName: ServerName
    ) {
        let keyStore = EndToEndKeyStore(database: database)
        let deviceKeys = DeviceKeyService(keys: keyStore, syncStore: SyncStore(database: database),
                                          serverName: serverName, publisher: publisher, logger: logger)
        KeyRoutes(deviceKeys: deviceKeys, crossSigning: CrossSigningService(keys: keyStore, deviceKeys: deviceKeys),
                  accounts: accounts)
            .register(on: router, authentication: authentication)
        ToDeviceRoutes(toDevice: ToDeviceService(store: ToDeviceStore(database: database), accounts: accountStore,
                                                 serverName: serverName, publisher: publisher, logger: logger))
            .register(on: router, authentication: authentication)
        KeyBackupRoutes(backup: KeyBackupService(store: KeyBackupStore(database: database)))
            .register(on: router, authentication: authentication)
    }

    /// Account data, filters, typing, receipts and push rules.
    private func registerClientData(
        on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware, roomStore: RoomStore,
        publisher: StreamPublisher, serverName: ServerName
    ) {
        let accountData = AccountDataService(store: AccountDataStore(database: database), publisher: publisher,
                                             logger: logger)
        AccountDataRoutes(accountData: accountData).register(on: router, authentication: authentication)
        FilterRoutes(filters: FilterService(store: FilterStore(database: database)))
            .register(on: router, authentication: authentication)
        TypingRoutes(typing: TypingService(rooms: roomStore, redis: redis, publisher: publisher, logger: logger))
            .register(on: router, authentication: authentication)
        ReceiptRoutes(receipts: ReceiptService(rooms: roomStore, receipts: ReceiptStore(database: database),
                                               accountData: accountData, publisher: publisher, logger: logger))
            .register(on: router, authentication: authentication)
        PushRuleRoutes().register(on: router, authentication: authentication)
        PresenceRoutes(presence: PresenceService(redis: redis, syncStore: SyncStore(database: database),
                                                 publisher: publisher, isEnabled: config.sync.presenceEnabled,
                                                 logger: logger))
            .register(on: router, authentication: authentication)
    }

    /// Capabilities, VoIP and the room and user directories.
    private func registerDiscovery(
        on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware, serverName: ServerName
    ) {
        CapabilityRoutes(defaultRoomVersion: RoomVersionID(rawValue: config.rooms.defaultVersion))
            .register(on: router, authentication: authentication)
        VoIPRoutes(turn: turnCredentials).register(on: router, authentication: authentication)
        PublicRoomRoutes(list: PublicRoomList(store: PublicRoomStore(database: database), serverName: serverName))
            .register(on: router, authentication: authentication)
        UserDirectoryRoutes(directory: UserDirectory(store: UserDirectoryStore(database: database)))
            .register(on: router, authentication: authentication)
    }

    /// The `turn` section: static credentials, or per-user ones from the shared secret.
    private var turnCredentials: TURNCredentials {
        let source: TURNCredentials.Source? = if let secret = config.turn.sharedSecret {
            .sharedSecret(secret)
        } else if let username = config.turn.username, let password = config.turn.password {
            .fixed(username: username, password: password)
        } else {
            nil
        }
        return TURNCredentials(uris: config.turn.uris, source: source, lifetimeSeconds: config.turn.userLifetimeSeconds)
    }

    private func rateLimits() -> [RateLimitedAction: RateLimit] {
        let configured: [(RateLimitedAction, TrellisConfig.RateLimits.Bucket?)] = [
            (.message, config.rateLimits.message), (.registration, config.rateLimits.registration),
            (.login, config.rateLimits.login), (.join, config.rateLimits.joins),
        ]
        var limits: [RateLimitedAction: RateLimit] = [:]
        for case let (action, bucket?) in configured {
            limits[action] = RateLimit(perSecond: bucket.perSecond, burst: bucket.burstCount)
        }
        return limits
    }
}
