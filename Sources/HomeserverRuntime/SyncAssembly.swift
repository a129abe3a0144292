import Homeserver
import HomeserverHTTP
import Hummingbird
import Logging
import MatrixCore
import MatrixEvents
import Replication
import ServiceLifecycle
import Storage

/// Builds the sync worker's services and registers `/sync`.
///
/// Long-polls wait on a ``SyncNotifier`` that readers of the replication streams wake; each
/// reader holds its own Redis connection for its blocking `XREAD`. A ``TypingExpiryService``
/// turns typing timeouts into changes.
public struct SyncAssembly {
    let config: TrellisConfig
    let database: Database
    let redis: RedisConnection
    let logger: Logger
    /// Wakes this process's long-polls; fed by the stream readers ``register(on:)`` returns.
    public let notifier = SyncNotifier()

    /// The longest a `/sync` waits for a change, whatever the client's `timeout` asks.
    static let maximumTimeout: Duration = .seconds(300)
    /// The streams whose entries name what to wake.
    static let wakingStreams: [StreamName] = [.events, .accountData, .receipts, .typing, .toDevice]

    public init(config: TrellisConfig, database: Database, redis: RedisConnection, logger: Logger) {
        self.config = config
        self.database = database
        self.redis = redis
        self.logger = logger
    }

    /// Registers the routes and returns the services to run beside the HTTP server.
    public func register(on router: Router<MatrixRequestContext>) throws -> [any Service] {
        let accountStore = AccountStore(database: database)
        let roomStore = RoomStore(database: database, stateGroups: StateGroupStore(database: database))
        let syncStore = SyncStore(database: database)
        let accounts = AccountService(store: accountStore, settings: try config.accountSettings(), logger: logger)
        let authentication = AccessTokenMiddleware(accounts: accounts, activity: DeviceActivity(store: accountStore))
        let typing = TypingService(rooms: roomStore, redis: redis, publisher: StreamPublisher(connection: redis),
                                   logger: logger)
        let notifier = notifier
        SyncRoutes(
            sync: SyncService(store: syncStore, rooms: roomStore, typing: typing,
                              toDevice: ToDeviceStore(database: database), keys: EndToEndKeyStore(database: database),
                              notifier: notifier),
            filters: FilterService(store: FilterStore(database: database)),
            formatter: ClientEventFormatter(rooms: roomStore), maximumTimeout: Self.maximumTimeout
        ).register(on: router, authentication: authentication)

        var services: [any Service] = Self.wakingStreams.map { stream in
            reader(of: stream) { entry in await notifier.wake(for: entry, of: stream) }
        }
        // A device list change concerns everyone sharing a room with its user.
        services.append(reader(of: .deviceLists) { entry in
            guard let userID = entry.fields["user_id"] else { return }
            let rooms = try? await syncStore.memberships(of: userID).filter { $0.membership == Membership.join }
            await notifier.wake(users: [userID], rooms: rooms?.map(\.roomID) ?? [])
        })
        services.append(TypingExpiryService(typing: typing, logger: logger))
        return services
    }

    /// A reader of `stream`, on a Redis connection of its own, that hands each entry to `handle`.
    private func reader(of stream: StreamName, _ handle: @escaping @Sendable (StreamEntry) async -> Void)
        -> StreamReaderService {
        let connection = RedisConnection(configuration: config.redisConfiguration, logger: logger)
        return StreamReaderService(reader: StreamReader(connection: connection, stream: stream, after: nil,
                                                        logger: logger), handler: handle)
    }
}

/// Ends typing notifications whose timeout passed, every ``interval``, until graceful shutdown.
/// Every sync replica runs one; the registry's script hands each expiry to exactly one of them.
struct TypingExpiryService: Service {
    let typing: TypingService
    let logger: Logger
    /// How late a typing notification may end after its timeout.
    static let interval: Duration = .milliseconds(500)

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await typing.expire()
                } catch {
                    logger.debug("could not expire typing notifications", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: Self.interval)
            }
        }
    }
}
