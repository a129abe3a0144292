import Foundation
import Homeserver
import HomeserverHTTP
import HomeserverRuntime
import HomeserverTesting
import Hummingbird
import HummingbirdTesting
import Logging
import MatrixCore
import MatrixCrypto
import Replication
import Storage

/// The client API's real routes and services over a fresh, migrated PostgreSQL database and
/// the test Redis, served in memory. Password hashing uses Argon2id's minimum cost.
struct ClientAPITestServer {
    var registrationEnabled = true
    /// The `rate_limits` section; all limits are off unless a test sets them.
    var rateLimits = "{ message: null, registration: null, login: null, joins: null }"
    /// The `registration_shared_secret`; `nil` leaves shared-secret registration off.
    var registrationSharedSecret: String?
    /// More configuration sections, appended to the file.
    var extraConfiguration = ""
    /// Whether presence is on. Off unless a test needs it: presence is keyed by user ID in the
    /// Redis all tests share, so one test's users would show up in another's syncs.
    var presenceEnabled = false
    /// Whether `/sync` is served too, with its stream readers running, as the sync worker does.
    var servesSync = false
    /// Whether the media routes are served too, as the media worker serves them: request bodies
    /// streamed, media security headers on every response, files in a fresh directory.
    var servesMedia = false

    /// The server name in user IDs and media URIs.
    var serverName = "test.local"
    var signingKey = ServerSigningKey.generate()

    /// Serves in memory and hands `test` a client of it.
    func run(_ test: @Sendable (ClientAPIClient) async throws -> Void) async throws {
        try await serve(port: 0) { router, state in
            try await Application(router: router).test(.router) { client in
                try await test(ClientAPIClient(client: client, redis: state.redis, database: state.database,
                                               syncNotifier: state.syncNotifier, mediaDirectory: state.mediaDirectory))
            }
        }
    }

    /// Serves on `port` of 127.0.0.1 with a real listener, for other servers to connect to,
    /// while `body` runs; `body` gets the server's database and media directory.
    func runListening(on port: Int, _ body: @Sendable (Database, URL) async throws -> Void) async throws {
        try await serve(port: port) { router, state in
            try await whileListening(on: port, router: router) { try await body(state.database, state.mediaDirectory) }
        }
    }

    /// Builds the routes over a fresh database and runs `body` with them (and the sync
    /// readers, when served).
    private func serve(
        port: Int,
        _ body: @Sendable (Router<MatrixRequestContext>, ServedState) async throws -> Void
    ) async throws {
        let secret = registrationSharedSecret.map { JSONValue.string($0).jsonString() } ?? "null"
        let yaml = """
            server_name: \(serverName)
            registration_shared_secret: \(secret)
            accounts:
              registration_enabled: \(registrationEnabled)
              password_hash_operations: 1
              password_hash_memory_kib: 8
            rate_limits: \(rateLimits)
            redis: { host: \(TestEnvironment.redisHost), port: \(TestEnvironment.redisPort) }
            sync: { presence_enabled: \(presenceEnabled) }
            \(extraConfiguration)
            """
        let mediaDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-media-\(UUID())")
        defer { try? FileManager.default.removeItem(at: mediaDirectory) }
        let config = try ConfigLoader.load(
            yaml: yaml, environment: ["TRELLIS__MEDIA__STORAGE_PATH": mediaDirectory.path]
        )
        try await PostgresTestDatabase.with { database in
            _ = try await MigrationRunner(database: database, migrations: try Migration.bundled()).migrate()
            let redis = RedisConnection(
                configuration: RedisConfiguration(host: TestEnvironment.redisHost, port: TestEnvironment.redisPort),
                logger: Logger(label: "test")
            )
            defer { redis.close() }
            let settings = MatrixHTTPServer.ListenerSettings(
                host: "127.0.0.1", port: port, maxRequestBodyBytes: servesMedia ? nil : 1 << 20,
                workerKind: "client-api", responseHeaders: servesMedia ? MediaAssembly.responseHeaders : [:]
            )
            let router = MatrixHTTPServer.makeRouter(settings: settings)
            try ClientAPIAssembly(config: config, database: database, redis: redis, signingKey: signingKey,
                                  logger: Logger(label: "test")).register(on: router)
            if servesMedia {
                try MediaAssembly(config: config, database: database, signingKey: signingKey, logger: Logger(label: "test"))
                    .register(on: router)
                FederationInfoRoutes(keyPublisher: ServerKeyPublisher(serverName: serverName, signingKey: signingKey),
                                     implementationVersion: TrellisVersion.current)
                    .register(on: router)
            }
            let sync = SyncAssembly(config: config, database: database, logger: Logger(label: "test"))
            let syncServices = servesSync ? try sync.register(on: router) : []
            let notifier = sync.notifier
            MatrixHTTPServer.answerUnsupportedMethods(on: router)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for service in syncServices { group.addTask { try await service.run() } }
                try await body(router, ServedState(database: database, redis: redis, syncNotifier: notifier,
                                                   mediaDirectory: mediaDirectory))
                group.cancelAll()
            }
        }
    }
}

/// What a test server runs on besides its routes.
private struct ServedState: Sendable {
    let database: Database
    let redis: RedisConnection
    let syncNotifier: SyncNotifier
    let mediaDirectory: URL
}

/// A Matrix client over the in-memory test transport.
struct ClientAPIClient: Sendable {
    let client: any TestClientProtocol
    let redis: RedisConnection
    /// The server's database, for tests that check what was stored.
    let database: Database
    /// The long-polls `/sync` holds, for tests that wait until one is waiting.
    let syncNotifier: SyncNotifier
    /// The media file store's directory (used only when media is served).
    let mediaDirectory: URL

    /// A request with an optional JSON body and access token; returns status and parsed body.
    @discardableResult
    func call(
        _ method: HTTPRequest.Method, _ path: String, token: String? = nil, body: JSONObject? = nil,
        headers extraHeaders: HTTPFields = [:]
    ) async throws -> (status: Int, json: JSONValue) {
        var headers = extraHeaders
        if let token { headers[.authorization] = "Bearer \(token)" }
        let buffer = body.map { ByteBuffer(string: JSONValue.object($0).jsonString()) }
        return try await client.execute(uri: path, method: method, headers: headers, body: buffer) { response in
            let bytes = Array(response.body.readableBytesView)
            return (Int(response.status.code), bytes.isEmpty ? .null : try JSONValue(parsing: bytes))
        }
    }

    /// Registers `localpart` with the dummy flow and returns its access token.
    func register(_ localpart: String, password: String = "correct horse battery") async throws -> String {
        let (status, json) = try await call(.post, "/_matrix/client/v3/register", body: [
            "username": .string(localpart), "password": .string(password), "auth": ["type": "m.login.dummy"],
        ])
        guard status == 200, let token = json["access_token"]?.stringValue else {
            throw UnexpectedResponse(status: status, json: json)
        }
        return token
    }

    /// Creates a room and returns its ID.
    func createRoom(token: String, _ body: JSONObject = [:]) async throws -> String {
        let (status, json) = try await call(.post, "/_matrix/client/v3/createRoom", token: token, body: body)
        guard status == 200, let roomID = json["room_id"]?.stringValue else {
            throw UnexpectedResponse(status: status, json: json)
        }
        return roomID
    }

    /// Sends an `m.room.message` and returns its event ID.
    func send(_ text: String, in roomID: String, token: String, txn: String = UUID().uuidString) async throws -> (Int, JSONValue) {
        try await call(.put, "/_matrix/client/v3/rooms/\(escaped(roomID))/send/m.room.message/\(txn)", token: token,
                       body: ["msgtype": "m.text", "body": .string(text)])
    }
}

/// Percent-encodes an identifier for a URL path, as clients do.
func escaped(_ text: String) -> String {
    text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
}

struct UnexpectedResponse: Error, CustomStringConvertible {
    var status: Int
    var json: JSONValue
    var description: String { "unexpected response \(status): \(json.jsonString())" }
}
