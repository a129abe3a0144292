import HTTPTypes
import MatrixCore
import Testing

@Suite("Filters: upload, read back, shape checks")
struct FilterRoutesTests {
    static let filter: JSONObject = [
        "event_fields": ["type", "content"],
        "room": ["timeline": ["limit": 10, "types": ["m.room.message"]], "state": ["lazy_load_members": true]],
        "presence": ["not_types": ["*"]],
    ]

    @Test("an uploaded filter reads back as sent; the same filter keeps its ID", .timeLimit(.minutes(2)))
    func uploadAndRead() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice")
            let path = "/_matrix/client/v3/user/@alice:test.local/filter"
            let (status, created) = try await api.call(.post, path, token: alice, body: Self.filter)
            #expect(status == 200)
            let filterID = try #require(created["filter_id"]?.stringValue)
            #expect(!filterID.hasPrefix("{"))
            let (readStatus, read) = try await api.call(.get, "\(path)/\(filterID)", token: alice)
            #expect(readStatus == 200)
            #expect(read == .object(Self.filter))
            #expect(try await api.call(.post, path, token: alice, body: Self.filter).json["filter_id"] == created["filter_id"])
            let (_, other) = try await api.call(.post, path, token: alice, body: ["room": ["include_leave": true]])
            #expect(other["filter_id"] != created["filter_id"])
        }
    }

    @Test("others' filters are 403; unknown IDs 404; IDs never issued 400", .timeLimit(.minutes(2)))
    func accessAndUnknown() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice"), bob = try await api.register("bob")
            let path = "/_matrix/client/v3/user/@alice:test.local/filter"
            let filterID = try #require(try await api.call(.post, path, token: alice, body: [:]).json["filter_id"]?.stringValue)
            #expect(try await api.call(.get, "\(path)/\(filterID)", token: bob).status == 403)
            #expect(try await api.call(.post, path, token: bob, body: [:]).status == 403)
            // Bob's own filter IDs do not reach Alice's filters.
            #expect(try await api.call(.get, "/_matrix/client/v3/user/@bob:test.local/filter/\(filterID)", token: bob).status
                    == 404)
            let (unknown, unknownBody) = try await api.call(.get, "\(path)/987654", token: alice)
            #expect(unknown == 404)
            #expect(unknownBody["errcode"]?.stringValue == "M_NOT_FOUND")
            let (invalid, invalidBody) = try await api.call(.get, "\(path)/abc", token: alice)
            #expect(invalid == 400)
            #expect(invalidBody["errcode"]?.stringValue == "M_INVALID_PARAM")
        }
    }

    @Test("wrong types are M_BAD_JSON, out-of-range values M_INVALID_PARAM", .timeLimit(.minutes(2)))
    func shapeChecks() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice")
            let path = "/_matrix/client/v3/user/@alice:test.local/filter"
            let cases: [(JSONObject, String)] = [
                (["room": "everything"], "M_BAD_JSON"),
                (["room": ["timeline": ["limit": "ten"]]], "M_BAD_JSON"),
                (["room": ["state": ["lazy_load_members": "yes"]]], "M_BAD_JSON"),
                (["presence": ["types": [1, 2]]], "M_BAD_JSON"),
                (["event_fields": "content"], "M_BAD_JSON"),
                (["event_format": "raw"], "M_INVALID_PARAM"),
                (["room": ["timeline": ["limit": 0]]], "M_INVALID_PARAM"),
                (["room": ["rooms": ["not a room"]]], "M_INVALID_PARAM"),
            ]
            for (filter, errcode) in cases {
                let (status, body) = try await api.call(.post, path, token: alice, body: filter)
                #expect(status == 400, "\(filter)")
                #expect(body["errcode"]?.stringValue == errcode, "\(filter)")
            }
        }
    }
}
