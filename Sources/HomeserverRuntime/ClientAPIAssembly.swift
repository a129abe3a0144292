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
        let accounts = AccountService(store: accountStore, settings: accountSettings(serverName: serverName), logger: logger)
        let publisher = StreamPublisher(connection: redis)
        let persister = EventPersister(rooms: roomStore, serverName: serverName, signingKey: signingKey,
                                       publisher: publisher, logger: logger)
        let profiles = ProfileService(accounts: accountStore, rooms: roomStore, persister: persister, logger: logger)
        let creator = RoomCreator(persister: persister, rooms: roomStore, profiles: profiles, serverName: serverName,
                                  defaultRoomVersion: RoomVersionID(rawValue: config.rooms.defaultVersion))
        let rooms = RoomService(persister: persister, rooms: roomStore, profiles: profiles, serverName: serverName)
        let authentication = AccessTokenMiddleware(accounts: accounts)

        ClientInfoRoutes(publicBaseURL: config.publicBaseURL, federationDelegate: config.federationDelegate)
            .register(on: router)
        AccountRoutes(accounts: accounts).register(on: router, authentication: authentication)
        RoomRoutes(creator: creator, rooms: rooms).register(on: router, authentication: authentication)
        ProfileRoutes(profiles: profiles).register(on: router, authentication: authentication)
        DirectoryRoutes(directory: RoomDirectory(rooms: roomStore, serverName: serverName))
            .register(on: router, authentication: authentication)
        registerClientData(on: router, authentication: authentication, roomStore: roomStore, publisher: publisher,
                           serverName: serverName)
        registerDiscovery(on: router, authentication: authentication, serverName: serverName)
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
    }

    /// Capabilities, VoIP and the room and user directories.
    private func registerDiscovery(
        on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware, serverName: ServerName
    ) {
        CapabilityRoutes(defaultRoomVersion: RoomVersionID(rawValue: config.rooms.defaultVersion))
            .register(on: router, authentication: authentication)
        VoIPRoutes(turnServer: turnServer).register(on: router, authentication: authentication)
        PublicRoomRoutes(list: PublicRoomList(store: PublicRoomStore(database: database), serverName: serverName))
            .register(on: router, authentication: authentication)
        UserDirectoryRoutes(directory: UserDirectory(store: UserDirectoryStore(database: database)))
            .register(on: router, authentication: authentication)
    }

    /// The `turn` section as the server announced to clients; `nil` without URIs or credentials.
    private var turnServer: TURNServer? {
        guard !config.turn.uris.isEmpty, let username = config.turn.username, let password = config.turn.password
        else { return nil }
        return TURNServer(uris: config.turn.uris, username: username, password: password,
                          lifetimeSeconds: config.turn.userLifetimeSeconds)
    }

    private func accountSettings(serverName: ServerName) -> AccountSettings {
        AccountSettings(
            serverName: serverName,
            registrationEnabled: config.accounts.registrationEnabled,
            passwordHasher: PasswordHasher(operationsLimit: config.accounts.passwordHashOperations,
                                           memoryLimitBytes: config.accounts.passwordHashMemoryKiB * 1024),
            minimumPasswordLength: config.accounts.minimumPasswordLength,
            refreshableTokenLifetimeMilliseconds: Int64(config.accounts.refreshableAccessTokenLifetimeSeconds) * 1000
        )
    }
}
