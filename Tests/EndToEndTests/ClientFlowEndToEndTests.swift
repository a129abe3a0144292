import Foundation
import HomeserverTesting
import MatrixCore
import Testing

/// A conversation through nginx against two client-api replicas: every endpoint family of the
/// client API is reached through the routing table, and both replicas serve part of it.
@Suite("Client API through nginx with two client-api replicas")
struct ClientFlowEndToEndTests {
    @Test("register, rooms, messages, state, client data and the admin API through the load balancer",
          .timeLimit(.minutes(5)))
    func conversation() async throws {
        let cluster = try await LocalCluster.start(replicas: ["client-api": 2])
        do {
            try await converse(through: cluster)
            try await checkBothReplicasServed(cluster)
        } catch {
            await cluster.cleanUp()
            throw error
        }
        await cluster.cleanUp()
    }

    func converse(through cluster: LocalCluster) async throws {
        let api = ClusterClient(baseURL: cluster.baseURL)
        let alice = try await api.register("alice"), bob = try await api.register("bob")

        let created = try await api.call("POST", "createRoom", token: alice,
                                         ["visibility": "public", "preset": "public_chat", "room_alias_name": "plaza", "name": "Plaza"])
        let roomID = try #require(created.json["room_id"]?.stringValue, "\(created.body)")
        let room = "rooms/\(escaped(roomID))"
        #expect(try await api.call("POST", "join/\(escaped("#plaza:localhost"))", token: bob, [:]).status == 200)
        let sent = try await api.call("PUT", "\(room)/send/m.room.message/t1", token: bob, ["msgtype": "m.text", "body": "hi"])
        let eventID = try #require(sent.json["event_id"]?.stringValue)
        let page = try await api.call("GET", "\(room)/messages?dir=b&limit=5", token: alice)
        #expect(try page.json["chunk"]?.arrayValue?.first?["event_id"]?.stringValue == eventID)
        // /sync is served by the sync worker, from what the client-api replicas wrote.
        let initial = try await api.call("GET", "sync", token: alice)
        let timeline = try initial.json["rooms"]?["join"]?[roomID]?["timeline"]?["events"]?.arrayValue ?? []
        #expect(timeline.contains { $0["event_id"]?.stringValue == eventID }, "\(initial.body)")
        let since = try #require(try initial.json["next_batch"]?.stringValue)
        #expect(try await api.call("GET", "\(room)/context/\(escaped(eventID))", token: alice).status == 200)
        #expect(try await api.call("PUT", "\(room)/state/m.room.topic", token: alice, ["topic": "Squares"]).status == 200)
        let topic = try await api.call("GET", "\(room)/state/m.room.topic", token: bob)
        #expect(try topic.json["topic"]?.stringValue == "Squares")
        let incremental = try await api.call("GET", "sync?since=\(since)&timeout=10000", token: alice)
        let changes = try incremental.json["rooms"]?["join"]?[roomID]?["timeline"]?["events"]?.arrayValue ?? []
        #expect(changes.map { $0["type"]?.stringValue } == ["m.room.topic"], "\(incremental.body)")
        #expect(try await api.call("GET", "\(room)/joined_members", token: bob).status == 200)
        #expect(try await api.call("PUT", "\(room)/typing/\(escaped("@bob:localhost"))", token: bob,
                                   ["typing": true, "timeout": 5000]).status == 200)
        #expect(try await api.call("POST", "\(room)/receipt/m.read/\(escaped(eventID))", token: alice, [:]).status == 200)
        #expect(try await api.call("PUT", "user/\(escaped("@alice:localhost"))/account_data/org.example.pref", token: alice,
                                   ["colour": "green"]).status == 200)
        #expect(try await api.call("PUT", "profile/\(escaped("@bob:localhost"))/displayname", token: bob,
                                   ["displayname": "Bob"]).status == 200)
        #expect(try await api.call("GET", "pushrules/", token: alice).status == 200)
        let search = try await api.call("POST", "user_directory/search", token: alice, ["search_term": "bob"])
        #expect(try search.json["results"]?.arrayValue?.first?["display_name"]?.stringValue == "Bob")
        let directory = try await api.call("POST", "publicRooms", token: alice, [:])
        #expect(try directory.json["chunk"]?.arrayValue?.isEmpty == false)
        #expect(try await api.call("GET", "capabilities", token: alice).status == 200)

        // Admin API: bob is no admin; the version endpoint is public.
        let adminList = try await Curl.request(cluster.baseURL + "/_synapse/admin/v2/users", token: bob)
        #expect(adminList.status == 403)
        #expect(try await Curl.request(cluster.baseURL + "/_synapse/admin/v1/server_version").status == 200)

        #expect(try await api.call("POST", "logout", token: bob, [:]).status == 200)
        let gone = try await api.call("GET", "account/whoami", token: bob)
        #expect(gone.status == 401)
        #expect(gone.errcode == "M_UNKNOWN_TOKEN")
    }

    /// Round-robin spread the conversation over both replicas: each counted requests.
    func checkBothReplicasServed(_ cluster: LocalCluster) async throws {
        let replicas = cluster.workers.filter { $0.kind == "client-api" }
        #expect(replicas.count == 2)
        for replica in replicas {
            let metrics = try await Curl.request("http://127.0.0.1:\(replica.metricsPort)/metrics")
            #expect(metrics.body.contains(#"trellis_http_requests_total{route="/_matrix/client/v3/"#),
                    "\(replica.name) served client requests")
        }
    }
}

/// Client-server calls through the cluster's nginx with `curl`.
struct ClusterClient {
    let baseURL: String

    func call(_ method: String, _ path: String, token: String? = nil, _ body: JSONObject? = nil) async throws -> CurlResponse {
        let url = "\(baseURL)/_matrix/client/v3/\(path)"
        if let body { return try await Curl.request(url, method: method, json: body, token: token) }
        return try await Curl.request(url, method: method, token: token)
    }

    func register(_ localpart: String) async throws -> String {
        let response = try await call("POST", "register", [
            "username": .string(localpart), "password": "long enough password", "auth": ["type": "m.login.dummy"],
        ])
        return try #require(try response.json["access_token"]?.stringValue, "\(response.body)")
    }
}

/// Percent-encodes an identifier for a URL path, as clients do.
func escaped(_ text: String) -> String {
    text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
}
