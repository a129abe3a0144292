import Homeserver
import HomeserverHTTP
import Hummingbird
import Logging
import MatrixCore
import Storage

/// Builds the media worker's repository and registers its routes.
public struct MediaAssembly {
    let config: TrellisConfig
    let database: Database
    let logger: Logger

    public init(config: TrellisConfig, database: Database, logger: Logger) {
        self.config = config
        self.database = database
        self.logger = logger
    }

    /// The headers every response of the media worker carries.
    public static var responseHeaders: HTTPFields { MediaHeaders.security }

    /// Prepares the file store and registers the routes.
    public func register(on router: Router<MatrixRequestContext>) throws {
        let accountStore = AccountStore(database: database)
        let accounts = AccountService(store: accountStore, settings: try config.accountSettings(), logger: logger)
        let authentication = AccessTokenMiddleware(accounts: accounts, activity: DeviceActivity(store: accountStore))
        let files = LocalMediaFiles(root: config.media.storagePath)
        try files.prepare()
        let repository = MediaRepository(store: MediaStore(database: database), files: files,
                                         settings: config.mediaSettings,
                                         serverName: try ServerName(parsing: config.serverName), logger: logger)
        MediaRoutes(repository: repository).register(on: router, authentication: authentication)
    }
}
