import Foundation
import HTTPTypes
import MatrixCore
import Replication
import Testing

@Suite("Account data: global and per room, only one's own")
struct AccountDataRoutesTests {
    @Test("put then get global and room account data; unset types are 404", .timeLimit(.minutes(2)))
    func putAndGet() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice")
            let roomID = try await api.createRoom(token: alice)
            let global = "/_matrix/client/v3/user/@alice:test.local/account_data/org.example.settings"
            let (missing, missingBody) = try await api.call(.get, global, token: alice)
            #expect(missing == 404)
            #expect(missingBody["errcode"]?.stringValue == "M_NOT_FOUND")

            #expect(try await api.call(.put, global, token: alice, body: ["theme": "dark"]).status == 200)
            let (status, content) = try await api.call(.get, global, token: alice)
            #expect(status == 200)
            #expect(content == ["theme": "dark"])
            #expect(try await api.call(.put, global, token: alice, body: ["theme": "light"]).status == 200)
            #expect(try await api.call(.get, global.replacingOccurrences(of: "/v3/", with: "/r0/"), token: alice).json
                    == ["theme": "light"])

            let room = "/_matrix/client/v3/user/@alice:test.local/rooms/\(escaped(roomID))/account_data/m.tag"
            #expect(try await api.call(.get, room, token: alice).status == 404)
            #expect(try await api.call(.put, room, token: alice, body: ["tags": ["u.work": [:]]]).status == 200)
            #expect(try await api.call(.get, room, token: alice).json == ["tags": ["u.work": [:]]])
            // Room account data and global account data of the same type are apart.
            #expect(try await api.call(.get, "/_matrix/client/v3/user/@alice:test.local/account_data/m.tag",
                                       token: alice).status == 404)
        }
    }

    @Test("another user's account data is 403 both ways", .timeLimit(.minutes(2)))
    func othersAreForbidden() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice"), bob = try await api.register("bob")
            let path = "/_matrix/client/v3/user/@alice:test.local/account_data/org.example.settings"
            #expect(try await api.call(.put, path, token: alice, body: ["a": 1]).status == 200)
            let (readStatus, readBody) = try await api.call(.get, path, token: bob)
            #expect(readStatus == 403)
            #expect(readBody["errcode"]?.stringValue == "M_FORBIDDEN")
            let (writeStatus, _) = try await api.call(.put, path, token: bob, body: ["a": 2])
            #expect(writeStatus == 403)
            #expect(try await api.call(.get, path, token: alice).json == ["a": 1])
            #expect(try await api.call(.get, path).status == 401)
        }
    }

    @Test("m.fully_read and m.push_rules are refused with 405 M_BAD_JSON; bad bodies and room IDs are 400",
          .timeLimit(.minutes(2)))
    func refusedTypesAndBadInput() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice")
            let roomID = try await api.createRoom(token: alice)
            let user = "/_matrix/client/v3/user/@alice:test.local"
            for path in ["\(user)/account_data/m.push_rules", "\(user)/rooms/\(escaped(roomID))/account_data/m.fully_read",
                         "\(user)/account_data/m.fully_read"] {
                let (status, body) = try await api.call(.put, path, token: alice, body: ["event_id": "$x"])
                #expect(status == 405, "\(path)")
                #expect(body["errcode"]?.stringValue == "M_BAD_JSON")
            }
            let (rules, rulesBody) = try await api.call(.get, "\(user)/account_data/m.push_rules", token: alice)
            #expect(rules == 200)
            #expect(rulesBody["global"]?["override"]?.arrayValue?.isEmpty == false)

            let (notObject, notObjectBody) = try await api.call(.put, "\(user)/account_data/org.example", token: alice,
                                                                body: nil)
            #expect(notObject == 400)
            #expect(notObjectBody["errcode"]?.stringValue == "M_NOT_JSON")
            let (badRoom, badRoomBody) = try await api.call(.put, "\(user)/rooms/not-a-room/account_data/m.tag",
                                                            token: alice, body: [:])
            #expect(badRoom == 400)
            #expect(badRoomBody["errcode"]?.stringValue == "M_INVALID_PARAM")
        }
    }

    @Test("each change is announced on the account data stream with a growing position", .timeLimit(.minutes(2)))
    func changesAreAnnounced() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice")
            let roomID = try await api.createRoom(token: alice)
            let type = "org.example.\(UUID().uuidString)"
            var entries = try await api.entries(of: .accountData)
            let user = "/_matrix/client/v3/user/@alice:test.local"
            #expect(try await api.call(.put, "\(user)/account_data/\(type)", token: alice, body: [:]).status == 200)
            #expect(try await api.call(.put, "\(user)/rooms/\(escaped(roomID))/account_data/\(type)", token: alice,
                                       body: [:]).status == 200)
            let first = try #require(try await entries.next { $0["type"] == type })
            #expect(first["user_id"] == "@alice:test.local")
            #expect(first["room_id"] == nil)
            let second = try #require(try await entries.next { $0["type"] == type })
            #expect(second["room_id"] == roomID)
            #expect(Int64(second["position"] ?? "") ?? 0 > Int64(first["position"] ?? "") ?? .max)
        }
    }
}
