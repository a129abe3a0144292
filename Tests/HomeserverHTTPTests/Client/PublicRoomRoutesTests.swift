import HTTPTypes
import MatrixCore
import Testing

@Suite("Public room directory")
struct PublicRoomRoutesTests {
    /// Kitchen (3 joined), Garden (2), Library (1), all public; a private room; a public space.
    struct Directory {
        var kitchen: String, garden: String, library: String, space: String
    }

    static func populate(_ api: ClientAPIClient) async throws -> (token: String, rooms: Directory) {
        let alice = try await api.register("alice")
        let bob = try await api.register("bob"), carol = try await api.register("carol")
        func publicRoom(_ name: String, _ extra: JSONObject = [:]) async throws -> String {
            var body: JSONObject = ["visibility": "public", "name": .string(name), "topic": .string("All about \(name)")]
            for (key, value) in extra { body[key] = value }
            return try await api.createRoom(token: alice, body)
        }
        let kitchen = try await publicRoom("Kitchen", ["room_alias_name": "kitchen"])
        let garden = try await publicRoom("Garden")
        let library = try await publicRoom("Library")
        let space = try await publicRoom("Atrium", ["creation_content": ["type": "m.space"]])
        _ = try await api.createRoom(token: alice, ["name": "Kitchen secrets"])
        for (token, room) in [(bob, kitchen), (carol, kitchen), (carol, garden)] {
            let (status, body) = try await api.call(.post, "/_matrix/client/v3/join/\(escaped(room))", token: token, body: [:])
            guard status == 200 else { throw UnexpectedResponse(status: status, json: body) }
        }
        return (alice, Directory(kitchen: kitchen, garden: garden, library: library, space: space))
    }

    @Test("listed rooms by joined members, with their state; pages link with next_batch and prev_batch",
          .timeLimit(.minutes(2)))
    func listAndPaginate() async throws {
        try await ClientAPITestServer().run { api in
            let (token, rooms) = try await Self.populate(api)
            let (status, all) = try await api.call(.get, "/_matrix/client/v3/publicRooms", token: token)
            #expect(status == 200)
            let chunk = all["chunk"]?.arrayValue ?? []
            #expect(chunk.map { $0["room_id"]?.stringValue } == [rooms.kitchen, rooms.garden, rooms.space, rooms.library]
                    || chunk.map { $0["room_id"]?.stringValue } == [rooms.kitchen, rooms.garden, rooms.library, rooms.space])
            #expect(all["total_room_count_estimate"] == 4)
            #expect(all["next_batch"] == nil && all["prev_batch"] == nil)
            let kitchen = try #require(chunk.first)
            #expect(kitchen["name"] == "Kitchen")
            #expect(kitchen["topic"] == "All about Kitchen")
            #expect(kitchen["canonical_alias"] == "#kitchen:test.local")
            #expect(kitchen["num_joined_members"] == 3)
            #expect(kitchen["join_rule"] == "public")
            #expect(kitchen["world_readable"] == false)
            #expect(kitchen["guest_can_join"] == false)
            #expect(kitchen["room_type"] == nil && kitchen["avatar_url"] == nil)
            #expect(chunk.first { $0["room_id"]?.stringValue == rooms.space }?["room_type"] == "m.space")

            let (_, first) = try await api.call(.get, "/_matrix/client/v3/publicRooms?limit=2", token: token)
            #expect(first["chunk"]?.arrayValue?.compactMap { $0["room_id"]?.stringValue } == [rooms.kitchen, rooms.garden])
            let next = try #require(first["next_batch"]?.stringValue)
            let (_, second) = try await api.call(.get, "/_matrix/client/v3/publicRooms?limit=2&since=\(next)", token: token)
            #expect(second["chunk"]?.arrayValue?.count == 2)
            #expect(second["next_batch"] == nil)
            let previous = try #require(second["prev_batch"]?.stringValue)
            let (_, back) = try await api.call(.get, "/_matrix/client/v3/publicRooms?limit=2&since=\(previous)", token: token)
            #expect(back["chunk"] == first["chunk"])
        }
    }

    @Test("POST filters by search term (case-insensitive) and room type", .timeLimit(.minutes(2)))
    func filtered() async throws {
        try await ClientAPITestServer().run { api in
            let (token, rooms) = try await Self.populate(api)
            func ids(_ body: JSONObject) async throws -> [String] {
                let (status, page) = try await api.call(.post, "/_matrix/client/v3/publicRooms", token: token, body: body)
                #expect(status == 200)
                return page["chunk"]?.arrayValue?.compactMap { $0["room_id"]?.stringValue } ?? []
            }
            #expect(try await ids(["filter": ["generic_search_term": "KITCH"]]) == [rooms.kitchen])
            #expect(try await ids(["filter": ["generic_search_term": "about garden"]]) == [rooms.garden])
            #expect(try await ids(["filter": ["generic_search_term": "#kitchen:"]]) == [rooms.kitchen])
            #expect(try await ids(["filter": ["generic_search_term": "100%"]]).isEmpty)
            #expect(try await ids(["filter": ["room_types": ["m.space"]]]) == [rooms.space])
            #expect(try await ids(["filter": ["room_types": [nil]], "limit": 1, "include_all_networks": true])
                    == [rooms.kitchen])
            let (_, page) = try await api.call(.post, "/_matrix/client/v3/publicRooms", token: token,
                                               body: ["filter": ["room_types": [nil]]])
            #expect(page["total_room_count_estimate"] == 3)
        }
    }

    @Test("bad tokens, limits and other servers are 400; no token is 401", .timeLimit(.minutes(2)))
    func badRequests() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice")
            for query in ["since=garbage", "limit=many", "server=elsewhere.example"] {
                let (status, body) = try await api.call(.get, "/_matrix/client/v3/publicRooms?\(query)", token: alice)
                #expect(status == 400, "\(query)")
                #expect(body["errcode"]?.stringValue == "M_INVALID_PARAM", "\(query)")
            }
            let (typed, typedBody) = try await api.call(.post, "/_matrix/client/v3/publicRooms", token: alice,
                                                        body: ["filter": ["room_types": [1]]])
            #expect(typed == 400)
            #expect(typedBody["errcode"]?.stringValue == "M_BAD_JSON")
            #expect(try await api.call(.get, "/_matrix/client/v3/publicRooms?server=test.local", token: alice).status == 200)
            #expect(try await api.call(.get, "/_matrix/client/v3/publicRooms").status == 401)
        }
    }
}
