import Homeserver
import HomeserverHTTP
import Hummingbird
import Logging
import Replication
import ServiceLifecycle
import Storage

/// Builds the sync worker's services and registers `/sync`.
///
/// Long-polls wait on a ``SyncNotifier`` that readers of the events, account data and receipts
/// streams wake; each reader holds its own Redis connection for its blocking `XREAD`.
public struct SyncAssembly {
    let config: TrellisConfig
    let database: Database
    let logger: Logger
    /// Wakes this process's long-polls; fed by the stream readers ``register(on:)`` returns.
    public let notifier = SyncNotifier()

    /// The longest a `/sync` waits for a change, whatever the client's `timeout` asks.
    static let maximumTimeout: Duration = .seconds(300)
    /// The streams whose entries wake long-polls.
    static let wakingStreams: [StreamName] = [.events, .accountData, .receipts]

    public init(config: TrellisConfig, database: Database, logger: Logger) {
        self.config = config
        self.database = database
        self.logger = logger
    }

    /// Registers the routes and returns the stream readers to run beside the HTTP server.
    public func register(on router: Router<MatrixRequestContext>) throws -> [any Service] {
        let accountStore = AccountStore(database: database)
        let roomStore = RoomStore(database: database, stateGroups: StateGroupStore(database: database))
        let accounts = AccountService(store: accountStore, settings: try config.accountSettings(), logger: logger)
        let authentication = AccessTokenMiddleware(accounts: accounts, activity: DeviceActivity(store: accountStore))
        let notifier = notifier
        SyncRoutes(
            sync: SyncService(store: SyncStore(database: database), rooms: roomStore, notifier: notifier),
            filters: FilterService(store: FilterStore(database: database)),
            formatter: ClientEventFormatter(rooms: roomStore), maximumTimeout: Self.maximumTimeout
        ).register(on: router, authentication: authentication)

        return Self.wakingStreams.map { stream in
            let connection = RedisConnection(configuration: config.redisConfiguration, logger: logger)
            let reader = StreamReader(connection: connection, stream: stream, after: nil, logger: logger)
            return StreamReaderService(reader: reader) { entry in
                await notifier.wake(for: entry, of: stream)
            }
        }
    }
}
