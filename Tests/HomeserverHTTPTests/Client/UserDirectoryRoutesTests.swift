import HTTPTypes
import MatrixCore
import Testing

@Suite("User directory search")
struct UserDirectoryRoutesTests {
    @Test("finds users sharing a room or in public rooms, by ID or display name, case-insensitively",
          .timeLimit(.minutes(2)))
    func visibility() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice"), bob = try await api.register("bob")
            let carol = try await api.register("carol"), dave = try await api.register("dave")
            _ = try await api.register("erin")  // in no room: never found
            #expect(try await api.call(.put, "/_matrix/client/v3/profile/@dave:test.local/displayname", token: dave,
                                       body: ["displayname": "Dave O'Lantern"]).status == 200)
            // Alice and Bob share a private room; Carol is in a public room; Dave is in a private room alone.
            let shared = try await api.createRoom(token: alice)
            #expect(try await api.call(.post, "/_matrix/client/v3/rooms/\(escaped(shared))/invite", token: alice,
                                       body: ["user_id": "@bob:test.local"]).status == 200)
            #expect(try await api.call(.post, "/_matrix/client/v3/join/\(escaped(shared))", token: bob, body: [:]).status == 200)
            _ = try await api.createRoom(token: carol, ["preset": "public_chat"])
            _ = try await api.createRoom(token: dave)

            func search(_ term: String, token: String, limit: Int64? = nil) async throws -> (ids: [String], limited: Bool?) {
                var body: JSONObject = ["search_term": .string(term)]
                if let limit { body["limit"] = .integer(limit) }
                let (status, response) = try await api.call(.post, "/_matrix/client/v3/user_directory/search",
                                                            token: token, body: body)
                #expect(status == 200)
                return (response["results"]?.arrayValue?.compactMap { $0["user_id"]?.stringValue } ?? [],
                        response["limited"]?.boolValue)
            }
            #expect(try await search("BOB", token: alice).ids == ["@bob:test.local"])
            #expect(try await search("carol", token: alice).ids == ["@carol:test.local"])
            #expect(try await search("dave", token: alice).ids.isEmpty)
            #expect(try await search("erin", token: alice).ids.isEmpty)
            #expect(try await search("bob", token: carol).ids.isEmpty)
            #expect(try await search("lantern", token: dave).ids == ["@dave:test.local"])
            #expect(try await search("_", token: alice).ids.isEmpty)

            let everyone = try await search("test.local", token: alice)
            #expect(everyone.ids == ["@alice:test.local", "@bob:test.local", "@carol:test.local"])
            #expect(everyone.limited == false)
            let limited = try await search("test.local", token: alice, limit: 2)
            #expect(limited.ids == ["@alice:test.local", "@bob:test.local"])
            #expect(limited.limited == true)
        }
    }

    @Test("results carry display names and avatars; a missing search term is 400", .timeLimit(.minutes(2)))
    func resultsAndErrors() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice")
            _ = try await api.createRoom(token: alice, ["preset": "public_chat"])
            #expect(try await api.call(.put, "/_matrix/client/v3/profile/@alice:test.local/avatar_url", token: alice,
                                       body: ["avatar_url": "mxc://test.local/abc"]).status == 200)
            let (_, body) = try await api.call(.post, "/_matrix/client/v3/user_directory/search", token: alice,
                                               body: ["search_term": "ali"])
            #expect(body["results"] == [[
                "user_id": "@alice:test.local", "display_name": "alice", "avatar_url": "mxc://test.local/abc",
            ]])
            let (missing, missingBody) = try await api.call(.post, "/_matrix/client/v3/user_directory/search",
                                                            token: alice, body: ["limit": 5])
            #expect(missing == 400)
            #expect(missingBody["errcode"]?.stringValue == "M_MISSING_PARAM")
            #expect(try await api.call(.post, "/_matrix/client/v3/user_directory/search",
                                       body: ["search_term": "a"]).status == 401)
        }
    }
}
