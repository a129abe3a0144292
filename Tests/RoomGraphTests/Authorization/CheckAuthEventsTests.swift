import MatrixCore
import MatrixEvents
import RoomGraph
import RoomGraphTesting
import Testing

@Suite("State-independent checks (checkAuthEvents)")
struct CheckAuthEventsTests {
    private func joined(_ version: RoomVersionID = "10") -> TestRoom {
        var room = TestRoom(version: version)
        room.join(User.bob)
        return room
    }

    private func message(_ room: TestRoom, authEvents: [EventID]) -> PDU {
        room.draft(type: "m.room.message", content: ["body": "hi"], sender: User.bob, authEvents: authEvents)
    }

    @Test("the selected auth events pass", arguments: AuthVersions.all)
    func valid(version: String) {
        let room = joined(RoomVersionID(version))
        #expect(room.authEventsRejection(of: room.draft(type: "m.room.message", content: [:], sender: User.bob)) == nil)
    }

    @Test("an auth event the provider does not know")
    func missing() {
        let room = joined()
        let valid = room.draft(type: "m.room.message", content: [:], sender: User.bob).authEventIDs
        let event = message(room, authEvents: valid + [EventID("$NOPE")!])
        #expect(room.authEventsRejection(of: event) == .unknownAuthEvent)
    }

    @Test("an auth event of a slot the event does not need")
    func extra() {
        let room = joined()
        let ids = [room.createEvent.eventID, room["m.room.power_levels"]!.eventID, room["m.room.member", User.bob]!.eventID,
                   room["m.room.join_rules"]!.eventID]
        #expect(room.authEventsRejection(of: message(room, authEvents: ids)) == .unexpectedAuthEvent)
    }

    @Test("two auth events for one slot")
    func duplicate() {
        var room = joined()
        let oldPL = room["m.room.power_levels"]!.eventID
        room.setPowerLevels(users: [User.alice: 100], by: User.alice)
        let ids = [room.createEvent.eventID, oldPL, room["m.room.power_levels"]!.eventID, room["m.room.member", User.bob]!.eventID]
        #expect(room.authEventsRejection(of: message(room, authEvents: ids)) == .duplicateAuthEvent)
        let same = [room.createEvent.eventID, room.createEvent.eventID]
        #expect(room.authEventsRejection(of: message(room, authEvents: same)) == .duplicateAuthEvent)
    }

    @Test("an auth event from another room")
    func wrongRoom() {
        let room = joined()
        var other = TestRoom(version: "10", idPrefix: "R2")
        other.join(User.bob)
        let ids = [room.createEvent.eventID, room["m.room.power_levels"]!.eventID, other["m.room.member", User.bob]!.eventID]
        let provider = room.allEvents.merging(other.allEvents) { a, _ in a }
        #expect(room.authEventsRejection(of: message(room, authEvents: ids), provider: provider) == .authEventInOtherRoom)
    }

    @Test("no create event among the auth events (before v12)")
    func noCreate() {
        let room = joined()
        let ids = [room["m.room.power_levels"]!.eventID, room["m.room.member", User.bob]!.eventID]
        #expect(room.authEventsRejection(of: message(room, authEvents: ids)) == .missingCreateEvent)
    }

    @Test("v12: the create event must not be listed, and must exist under the room ID")
    func v12Create() {
        let room = joined("12")
        let listed = [room.createEvent.eventID] + room.last.authEventIDs
        #expect(room.authEventsRejection(of: message(room, authEvents: listed)) == .createEventInAuthEvents)
        var provider = room.allEvents
        provider[room.createEvent.eventID] = nil
        #expect(room.authEventsRejection(of: room.draft(type: "m.room.message", content: [:], sender: User.bob),
                                         provider: provider) == .missingCreateEvent)
    }

    @Test("auth events that pass the checks but fail the rules")
    func failsRules() {
        let room = joined()
        let mallory = room.draft(type: "m.room.message", content: [:], sender: User.mallory)
        #expect(room.authEventsRejection(of: mallory) == .senderNotJoined)
    }

    @Test("a rejected auth event, when the provider knows")
    func rejected() {
        struct Provider: RejectionAwareEventProvider {
            let events: [EventID: PDU]
            let rejected: Set<EventID>
            func event(_ id: EventID) -> PDU? { events[id] }
            func isRejected(_ id: EventID) -> Bool { rejected.contains(id) }
        }
        let room = joined()
        let event = room.draft(type: "m.room.message", content: [:], sender: User.bob)
        let provider = Provider(events: room.allEvents, rejected: [room["m.room.member", User.bob]!.eventID])
        #expect(throws: AuthorizationError.self) {
            try AuthorizationRules.checkAuthEvents(event, provider: provider, rules: room.rules)
        }
        let accepting = Provider(events: room.allEvents, rejected: [])
        #expect((try? AuthorizationRules.checkAuthEvents(event, provider: accepting, rules: room.rules)) != nil)
    }

    @Test("events over 65,536 bytes and fields over 255 bytes")
    func sizes() {
        let room = joined()
        let big = room.draft(type: "m.room.message", content: ["body": .string(String(repeating: "x", count: 65_536))],
                             sender: User.bob)
        #expect(room.authEventsRejection(of: big) == .eventTooLarge)
        let justUnder = room.draft(type: "m.room.message", content: ["body": .string(String(repeating: "x", count: 60_000))],
                                   sender: User.bob)
        #expect(room.authEventsRejection(of: justUnder) == nil)
        let longType = room.draft(type: String(repeating: "t", count: 256), content: [:], sender: User.bob)
        #expect(room.authEventsRejection(of: longType) == .fieldTooLong)
        let longKey = room.draft(type: "m.custom", stateKey: String(repeating: "é", count: 128), content: [:], sender: User.alice)
        #expect(room.authEventsRejection(of: longKey) == .fieldTooLong)
    }

    @Test("create events: no prev events, room ID of the sender's server, known version, creator before v11")
    func createRules() throws {
        func create(_ version: String, _ edit: (inout JSONObject) -> Void) throws -> AuthorizationError.Code? {
            let rules = RoomVersionID(version).rules!
            var json = TestRoom(version: RoomVersionID(version)).createEvent.json
            edit(&json)
            let event = try PDU(eventID: EventID("$C")!, json: json)
            do {
                try AuthorizationRules.checkAuthEvents(event, provider: [EventID: PDU](), rules: rules)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(try create("10") { _ in } == nil)
        #expect(try create("10") { $0["prev_events"] = ["$X"] } == .createHasPrevEvents)
        #expect(try create("10") { $0["room_id"] = "!room:elsewhere.example" } == .createRoomIDDomainMismatch)
        #expect(try create("10") { $0["content"] = ["creator": .string(User.alice), "room_version": "99"] }
                    == .unsupportedRoomVersion)
        #expect(try create("10") { $0["content"] = ["room_version": "10"] } == .createMissingCreator)
        #expect(try create("11") { $0["content"] = ["room_version": "11"] } == nil)
        #expect(try create("12") { _ in } == nil)
        #expect(try create("12") { $0["room_id"] = "!x" } == .createHasRoomID)
        #expect(try create("12") { $0["content"] = ["room_version": "12", "additional_creators": ["bob"]] }
                    == .invalidAdditionalCreators)
        #expect(try create("12") { $0["content"] = ["room_version": "12", "additional_creators": .string(User.bob)] }
                    == .invalidAdditionalCreators)
        #expect(try create("12") { $0["content"] = ["room_version": "12", "additional_creators": [.string(User.bob)]] }
                    == nil)
    }
}
