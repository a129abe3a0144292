import HTTPTypes
import HomeserverTesting
import MatrixCore
import Testing

/// `/sendToDevice` and typing notifications as `/sync` delivers them.
@Suite("Sync: to-device messages and typing notifications")
struct ToDeviceAndTypingSyncTests {
    static let sync = "/_matrix/client/v3/sync"

    static func toDeviceContents(_ response: JSONValue) -> [JSONValue] {
        response["to_device"]?["events"]?.arrayValue?.compactMap { $0["content"] } ?? []
    }

    @Test("a to-device message reaches its device once per transaction, until the next token acknowledges it",
          .timeLimit(.minutes(2)))
    func toDevice() async throws {
        try await ClientAPITestServer(servesSync: true).run { api in
            let alice = try await KeyedDevice.register("alice", on: api)
            let bob = try await KeyedDevice.register("bob", on: api)
            let (_, initial) = try await api.call(.get, Self.sync, token: bob.token)
            let start = try #require(initial["next_batch"]?.stringValue)
            let message: JSONObject = ["messages": .object([bob.userID: .object([bob.deviceID: ["n": 1]])])]
            for _ in 1...2 {
                #expect(try await api.call(.put, "/_matrix/client/v3/sendToDevice/m.test/txn1", token: alice.token,
                                           body: message).status == 200)
            }
            let (_, first) = try await api.call(.get, "\(Self.sync)?since=\(start)", token: bob.token)
            let event = try #require(first["to_device"]?["events"]?.arrayValue?.first)
            #expect(event == ["sender": .string(alice.userID), "type": "m.test", "content": ["n": 1]])
            #expect(Self.toDeviceContents(first).count == 1)

            // Not acknowledged until a sync uses the token after it.
            let (_, again) = try await api.call(.get, "\(Self.sync)?since=\(start)", token: bob.token)
            #expect(Self.toDeviceContents(again) == [["n": 1]])
            let next = try #require(again["next_batch"]?.stringValue)
            let (_, acknowledged) = try await api.call(.get, "\(Self.sync)?since=\(next)", token: bob.token)
            #expect(Self.toDeviceContents(acknowledged).isEmpty)
            let rows = try await api.database.client.query("SELECT count(*) FROM to_device_messages")
            for try await count in rows.decode(Int64.self) { #expect(count == 0) }

            // A long-poll wakes for a message; '*' reaches every device of the user.
            let (_, login) = try await api.call(.post, "/_matrix/client/v3/login", body: [
                "type": "m.login.password", "identifier": ["type": "m.id.user", "user": "bob"],
                "password": "correct horse battery",
            ])
            let secondToken = try #require(login["access_token"]?.stringValue)
            let (_, secondInitial) = try await api.call(.get, Self.sync, token: secondToken)
            let secondStart = try #require(secondInitial["next_batch"]?.stringValue)
            let latest = try #require(acknowledged["next_batch"]?.stringValue)
            async let polled = api.call(.get, "\(Self.sync)?since=\(latest)&timeout=300000", token: bob.token)
            try await eventually(within: .seconds(10)) {
                guard api.syncNotifier.waiting == 1 else { throw LongPollNotWaiting() }
            }
            #expect(try await api.call(.put, "/_matrix/client/v3/sendToDevice/m.test/txn2", token: alice.token,
                                       body: ["messages": .object([bob.userID: ["*": ["n": 2]]])]).status == 200)
            #expect(Self.toDeviceContents(try await polled.json) == [["n": 2]])
            let (_, second) = try await api.call(.get, "\(Self.sync)?since=\(secondStart)", token: secondToken)
            #expect(Self.toDeviceContents(second) == [["n": 2]])

            let (status, error) = try await api.call(.put, "/_matrix/client/v3/sendToDevice/m.test/txn3",
                                                     token: alice.token, body: ["messages": ["bob": ["*": [:]]]])
            #expect(status == 400)
            #expect(error["errcode"] == "M_INVALID_PARAM")
        }
    }

    static func typingUsers(_ response: JSONValue, _ roomID: String) -> [String]? {
        let events = response["rooms"]?["join"]?[roomID]?["ephemeral"]?["events"]?.arrayValue ?? []
        return events.first { $0["type"] == "m.typing" }?["content"]?["user_ids"]?.arrayValue?.compactMap(\.stringValue)
    }

    @Test("typing shows in initial and incremental syncs, and its end, explicit or by timeout, wakes long-polls",
          .timeLimit(.minutes(2)))
    func typing() async throws {
        try await ClientAPITestServer(servesSync: true).run { api in
            let alice = try await KeyedDevice.register("alice", on: api)
            let bob = try await KeyedDevice.register("bob", on: api)
            let roomID = try await api.createRoom(token: alice.token, ["invite": .array([.string(bob.userID)])])
            #expect(try await api.call(.post, "/_matrix/client/v3/join/\(escaped(roomID))", token: bob.token).status == 200)
            let typingPath = "/_matrix/client/v3/rooms/\(escaped(roomID))/typing/\(escaped(alice.userID))"
            let (_, quiet) = try await api.call(.get, Self.sync, token: bob.token)
            #expect(Self.typingUsers(quiet, roomID) == nil)
            let start = try #require(quiet["next_batch"]?.stringValue)

            #expect(try await api.call(.put, typingPath, token: alice.token, body: ["typing": true, "timeout": 30000])
                .status == 200)
            let (_, initial) = try await api.call(.get, Self.sync, token: bob.token)
            #expect(Self.typingUsers(initial, roomID) == [alice.userID])
            let (_, started) = try await api.call(.get, "\(Self.sync)?since=\(start)", token: bob.token)
            #expect(Self.typingUsers(started, roomID) == [alice.userID])
            let typingToken = try #require(started["next_batch"]?.stringValue)

            // Typing again changes nothing; stopping wakes a long-poll with the empty list.
            #expect(try await api.call(.put, typingPath, token: alice.token, body: ["typing": true]).status == 200)
            let (_, unchanged) = try await api.call(.get, "\(Self.sync)?since=\(typingToken)", token: bob.token)
            #expect(Self.typingUsers(unchanged, roomID) == nil)
            async let stopped = api.call(.get, "\(Self.sync)?since=\(typingToken)&timeout=300000", token: bob.token)
            try await eventually(within: .seconds(10)) {
                guard api.syncNotifier.waiting == 1 else { throw LongPollNotWaiting() }
            }
            #expect(try await api.call(.put, typingPath, token: alice.token, body: ["typing": false]).status == 200)
            let stoppedResponse = try await stopped.json
            #expect(Self.typingUsers(stoppedResponse, roomID) == [])

            // A short timeout ends typing by itself: the expiry wakes the long-poll. (Long enough
            // for the next sync to see the typing first on a loaded machine.)
            let afterStop = try #require(stoppedResponse["next_batch"]?.stringValue)
            #expect(try await api.call(.put, typingPath, token: alice.token, body: ["typing": true, "timeout": 2000])
                .status == 200)
            let (_, brief) = try await api.call(.get, "\(Self.sync)?since=\(afterStop)", token: bob.token)
            #expect(Self.typingUsers(brief, roomID) == [alice.userID])
            let briefToken = try #require(brief["next_batch"]?.stringValue)
            let (_, expired) = try await api.call(.get, "\(Self.sync)?since=\(briefToken)&timeout=300000",
                                                  token: bob.token)
            #expect(Self.typingUsers(expired, roomID) == [])
        }
    }
}

/// `unread_notifications` from the push actions stored when events are persisted.
@Suite("Sync: unread notification counts")
struct UnreadNotificationTests {
    @Test("messages count as notifications, mentions as highlights, and a read receipt clears them",
          .timeLimit(.minutes(2)))
    func counts() async throws {
        try await ClientAPITestServer(servesSync: true).run { api in
            let alice = try await KeyedDevice.register("alice", on: api)
            let bob = try await KeyedDevice.register("bob", on: api)
            let carol = try await KeyedDevice.register("carol", on: api)
            let roomID = try await api.createRoom(token: alice.token,
                                                  ["invite": .array([.string(bob.userID), .string(carol.userID)])])
            for user in [bob, carol] {
                #expect(try await api.call(.post, "/_matrix/client/v3/join/\(escaped(roomID))", token: user.token)
                    .status == 200)
            }
            _ = try await api.send("hello all", in: roomID, token: alice.token)
            _ = try await api.send("bob, are you there?", in: roomID, token: alice.token)
            let (_, last) = try await api.send("lunch?", in: roomID, token: alice.token)
            func unread(_ user: KeyedDevice) async throws -> JSONValue? {
                try await api.call(.get, "/_matrix/client/v3/sync", token: user.token).json["rooms"]?["join"]?[roomID]?[
                    "unread_notifications"]
            }
            #expect(try await unread(bob) == ["notification_count": 3, "highlight_count": 1])
            #expect(try await unread(carol) == ["notification_count": 3, "highlight_count": 0])
            #expect(try await unread(alice) == ["notification_count": 0, "highlight_count": 0])

            let eventID = try #require(last["event_id"]?.stringValue)
            #expect(try await api.call(.post, "/_matrix/client/v3/rooms/\(escaped(roomID))/receipt/m.read/\(escaped(eventID))",
                                       token: bob.token, body: [:]).status == 200)
            #expect(try await unread(bob) == ["notification_count": 0, "highlight_count": 0])
            _ = try await api.send("one more", in: roomID, token: alice.token)
            #expect(try await unread(bob) == ["notification_count": 1, "highlight_count": 0])

            // A display name holding NUL, which PostgreSQL cannot store as text, is refused.
            let renamed = try await api.call(.put, "/_matrix/client/v3/profile/\(escaped(carol.userID))/displayname",
                                             token: carol.token, body: ["displayname": "car\u{0}ol"])
            #expect(renamed.status == 400)
            #expect(renamed.json["errcode"] == "M_INVALID_PARAM")
        }
    }
}
