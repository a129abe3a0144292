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
/// reader holds its own Redis connection for its blocking `XREAD`. An ``EphemeralExpiryService``
/// turns typing and presence timeouts into changes.
public struct SyncAssembly {
    let config: TrellisConfig
    let database: Database
    let logger: Logger
    /// Wakes this process's long-polls; fed by the stream readers ``register(on:)`` returns.
    public let notifier = SyncNotifier()

    /// How long a typing or presence read waits for Redis to come back before `/sync` goes on without it.
    static let ephemeralReconnectTimeout: Duration = .milliseconds(500)
    /// The streams whose entries name what to wake.
    static let wakingStreams: [StreamName] = [.events, .accountData, .receipts, .typing, .toDevice]

    public init(config: TrellisConfig, database: Database, logger: Logger) {
        self.config = config
        self.database = database
        self.logger = logger
    }

    /// Registers the routes and returns the services to run beside the HTTP server.
    public func register(on router: Router<MatrixRequestContext>) throws -> [any Service] {
        let accountStore = AccountStore(database: database)
        let roomStore = RoomStore(database: database, stateGroups: StateGroupStore(database: database))
        let syncStore = SyncStore(database: database)
        let accounts = AccountService(store: accountStore, settings: try config.accountSettings(), logger: logger)
        let authentication = AccessTokenMiddleware(accounts: accounts, activity: DeviceActivity(store: accountStore))
        // Typing and presence may be lost (DESIGN.md invariant 2): while Redis is down, /sync goes
        // on without them after a short wait instead of the usual reconnect timeout.
        var ephemeralConfiguration = config.redisConfiguration
        ephemeralConfiguration.reconnectTimeout = Self.ephemeralReconnectTimeout
        let ephemeralRedis = RedisConnection(configuration: ephemeralConfiguration, logger: logger)
        let publisher = StreamPublisher(connection: ephemeralRedis)
        let typing = TypingService(rooms: roomStore, redis: ephemeralRedis, publisher: publisher, logger: logger)
        let presence = PresenceService(redis: ephemeralRedis, syncStore: syncStore, publisher: publisher,
                                       isEnabled: config.sync.presenceEnabled, logger: logger)
        let notifier = notifier
        SyncRoutes(
            sync: SyncService(store: syncStore, rooms: roomStore, typing: typing, presence: presence,
                              toDevice: ToDeviceStore(database: database), keys: EndToEndKeyStore(database: database),
                              notifier: notifier),
            filters: FilterService(store: FilterStore(database: database)),
            formatter: ClientEventFormatter(rooms: roomStore),
            maximumTimeout: .seconds(config.sync.maximumTimeoutSeconds)
        ).register(on: router, authentication: authentication)

        var services: [any Service] = Self.wakingStreams.map { stream in
            reader(of: stream) { entry in notifier.wake(for: entry, of: stream) }
        }
        // Device list and presence changes concern everyone sharing a room with their user.
        for stream in [StreamName.deviceLists, .presence] {
            services.append(reader(of: stream) { entry in
                guard let userID = entry.fields["user_id"] else { return }
                let rooms = try? await syncStore.memberships(of: userID).filter { $0.membership == Membership.join }
                notifier.wake(users: [userID], rooms: rooms?.map(\.roomID) ?? [])
            })
        }
        services.append(EphemeralExpiryService(typing: typing, presence: presence, logger: logger))
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

/// Ends typing notifications and changes presence whose timeouts passed, every ``interval``,
/// until graceful shutdown. Every sync replica runs one; the registries' scripts hand each
/// expiry to exactly one of them.
struct EphemeralExpiryService: Service {
    let typing: TypingService
    let presence: PresenceService
    let logger: Logger
    /// How late a typing notification may end, or presence change, after its timeout.
    static let interval: Duration = .milliseconds(500)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await typing.expire()
                    try await presence.expire()
                } catch {
                    logger.debug("could not expire typing or presence", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: Self.interval)
            }
        }
    }
}
