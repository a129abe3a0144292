import HTTPTypes
import MatrixCore
import Replication
import Testing

@Suite("Receipts and read markers")
struct ReceiptRoutesTests {
    @Test("a read receipt is stored and announced; a receipt for an earlier event changes nothing",
          .timeLimit(.minutes(2)))
    func receiptsMoveForward() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice")
            let roomID = try await api.createRoom(token: alice)
            let first = try #require(try await api.send("one", in: roomID, token: alice).1["event_id"]?.stringValue)
            let second = try #require(try await api.send("two", in: roomID, token: alice).1["event_id"]?.stringValue)
            let room = "/_matrix/client/v3/rooms/\(escaped(roomID))"
            var entries = try await api.entries(of: .receipts)

            #expect(try await api.call(.post, "\(room)/receipt/m.read/\(escaped(second))", token: alice,
                                       body: [:]).status == 200)
            let read = try #require(try await entries.next { $0["room_id"] == roomID })
            #expect(read["receipt_type"] == "m.read")
            #expect(read["event_id"] == second)
            #expect(read["user_id"] == "@alice:test.local")
            #expect(read["thread_id"] == nil)

            // Going back is accepted and ignored: the next announcement is the private receipt.
            #expect(try await api.call(.post, "\(room)/receipt/m.read/\(escaped(first))", token: alice,
                                       body: [:]).status == 200)
            #expect(try await api.call(.post, "/_matrix/client/r0/rooms/\(escaped(roomID))/receipt/m.read.private/\(escaped(first))",
                                       token: alice, body: ["thread_id": "main"]).status == 200)
            let next = try #require(try await entries.next { $0["room_id"] == roomID })
            #expect(next["receipt_type"] == "m.read.private")
            #expect(next["event_id"] == first)
            #expect(next["thread_id"] == "main")
            #expect(Int64(next["position"] ?? "") ?? 0 > Int64(read["position"] ?? "") ?? .max)
        }
    }

    @Test("m.fully_read through /receipt and /read_markers lands in room account data, forward only",
          .timeLimit(.minutes(2)))
    func fullyReadMarker() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice")
            let roomID = try await api.createRoom(token: alice)
            let first = try #require(try await api.send("one", in: roomID, token: alice).1["event_id"]?.stringValue)
            let second = try #require(try await api.send("two", in: roomID, token: alice).1["event_id"]?.stringValue)
            let room = "/_matrix/client/v3/rooms/\(escaped(roomID))"
            let marker = "/_matrix/client/v3/user/@alice:test.local/rooms/\(escaped(roomID))/account_data/m.fully_read"
            var entries = try await api.entries(of: .receipts)

            #expect(try await api.call(.post, "\(room)/receipt/m.fully_read/\(escaped(first))", token: alice,
                                       body: [:]).status == 200)
            #expect(try await api.call(.get, marker, token: alice).json == ["event_id": .string(first)])

            #expect(try await api.call(.post, "\(room)/read_markers", token: alice, body: [
                "m.fully_read": .string(second), "m.read": .string(second),
            ]).status == 200)
            #expect(try await api.call(.get, marker, token: alice).json == ["event_id": .string(second)])
            let read = try #require(try await entries.next { $0["room_id"] == roomID })
            #expect(read["receipt_type"] == "m.read")
            #expect(read["event_id"] == second)

            #expect(try await api.call(.post, "\(room)/read_markers", token: alice,
                                       body: ["m.fully_read": .string(first)]).status == 200)
            #expect(try await api.call(.get, marker, token: alice).json == ["event_id": .string(second)])
        }
    }

    @Test("outsiders get 403; unknown events 404; bad receipt types and thread IDs 400", .timeLimit(.minutes(2)))
    func refused() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice"), bob = try await api.register("bob")
            let roomID = try await api.createRoom(token: alice)
            let otherRoom = try await api.createRoom(token: alice)
            let eventID = try #require(try await api.send("one", in: roomID, token: alice).1["event_id"]?.stringValue)
            let room = "/_matrix/client/v3/rooms/\(escaped(roomID))"

            let (outsider, outsiderBody) = try await api.call(.post, "\(room)/receipt/m.read/\(escaped(eventID))",
                                                              token: bob, body: [:])
            #expect(outsider == 403)
            #expect(outsiderBody["errcode"]?.stringValue == "M_FORBIDDEN")
            #expect(try await api.call(.post, "\(room)/read_markers", token: bob,
                                       body: ["m.read": .string(eventID)]).status == 403)

            let (unknown, unknownBody) = try await api.call(.post, "\(room)/receipt/m.read/\(escaped("$nope"))",
                                                            token: alice, body: [:])
            #expect(unknown == 404)
            #expect(unknownBody["errcode"]?.stringValue == "M_NOT_FOUND")
            let elsewhere = "/_matrix/client/v3/rooms/\(escaped(otherRoom))/receipt/m.read/\(escaped(eventID))"
            #expect(try await api.call(.post, elsewhere, token: alice, body: [:]).status == 404)
            #expect(try await api.call(.post, "\(room)/read_markers", token: alice,
                                       body: ["m.fully_read": "$nope"]).status == 404)

            let badBodies: [(String, JSONObject)] = [
                ("m.unknown", [:]), ("m.read", ["thread_id": ""]), ("m.read", ["thread_id": 5]),
                ("m.fully_read", ["thread_id": "main"]),
            ]
            for (type, body) in badBodies {
                let (status, response) = try await api.call(.post, "\(room)/receipt/\(type)/\(escaped(eventID))",
                                                            token: alice, body: body)
                #expect(status == 400, "\(type) \(body)")
                #expect(response["errcode"]?.stringValue == "M_INVALID_PARAM", "\(type) \(body)")
            }
            let (badMarker, badMarkerBody) = try await api.call(.post, "\(room)/read_markers", token: alice,
                                                                body: ["m.read": 5])
            #expect(badMarker == 400)
            #expect(badMarkerBody["errcode"]?.stringValue == "M_BAD_JSON")
        }
    }
}
