import FederationClient
import Homeserver
import HomeserverHTTP
import Hummingbird
import Logging
import MatrixCore
import MatrixCrypto
import Storage

/// Builds the media worker's repository and registers its client and federation routes.
public struct MediaAssembly {
    let config: TrellisConfig
    let database: Database
    let signingKey: ServerSigningKey
    let logger: Logger

    public init(config: TrellisConfig, database: Database, signingKey: ServerSigningKey, logger: Logger) {
        self.config = config
        self.database = database
        self.signingKey = signingKey
        self.logger = logger
    }

    /// The headers every response of the media worker carries.
    public static var responseHeaders: HTTPFields { MediaHeaders.security }

    /// Prepares the file store and registers the routes.
    public func register(on router: Router<MatrixRequestContext>) throws {
        let serverName = try ServerName(parsing: config.serverName)
        let accountStore = AccountStore(database: database)
        let accounts = AccountService(store: accountStore, settings: try config.accountSettings(), logger: logger)
        let authentication = AccessTokenMiddleware(accounts: accounts, activity: DeviceActivity(store: accountStore))
        let guarded = GuardedFetcher(
            deniedRanges: config.federation.deniedIPRanges.compactMap(IPRange.init),
            allowedRanges: config.federation.allowedIPRanges.compactMap(IPRange.init),
            maxBytes: 1 << 20, timeout: .seconds(config.federation.requestTimeoutSeconds), logger: logger
        )
        let federation = FederationHTTPClient(
            serverName: config.serverName, signingKey: signingKey,
            resolver: FederationResolver(overrides: config.federation.overridesByServer, fetcher: guarded, logger: logger),
            guarded: guarded
        )
        let files = LocalMediaFiles(root: config.media.storagePath)
        try files.prepare()
        let repository = MediaRepository(
            store: MediaStore(database: database), files: files, settings: config.mediaSettings, serverName: serverName,
            remote: RemoteMediaFetcher(client: federation, logger: logger), logger: logger
        )
        MediaRoutes(repository: repository, previews: urlPreviews(repository: repository))
            .register(on: router, authentication: authentication)
        AdminMediaRoutes(administration: MediaAdministration(store: MediaStore(database: database), files: files,
                                                             logger: logger))
            .register(on: router, authentication: authentication)
        let keyRing = ServerKeyRing(client: federation, store: ServerKeyStore(database: database), logger: logger)
        FederationMediaRoutes(repository: repository)
            .register(on: router, authentication: FederationAuthMiddleware(serverName: config.serverName, keyRing: keyRing))
    }

    /// The URL preview service, when `media.url_previews.enabled`.
    private func urlPreviews(repository: MediaRepository) -> URLPreviewService? {
        let settings = config.media.urlPreviews
        guard settings.enabled else { return nil }
        let fetcher = GuardedFetcher(
            deniedRanges: settings.deniedIPRanges.compactMap(IPRange.init), allowedRanges: settings.allowedIPRanges.compactMap(IPRange.init),
            maxBytes: settings.maxBytes, timeout: .seconds(settings.timeoutSeconds), logger: logger
        )
        return URLPreviewService(fetcher: fetcher, repository: repository, logger: logger)
    }
}
