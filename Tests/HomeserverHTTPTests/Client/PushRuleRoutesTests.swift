import HTTPTypes
import MatrixCore
import Testing

@Suite("Push rules: the spec's predefined rules")
struct PushRuleRoutesTests {
    @Test("GET /pushrules/ lists every predefined rule, in the spec's order, for the requester",
          .timeLimit(.minutes(2)))
    func predefinedRules() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice")
            let (status, body) = try await api.call(.get, "/_matrix/client/v3/pushrules/", token: alice)
            #expect(status == 200)
            let global = try #require(body["global"])
            func ids(_ kind: String) -> [String] {
                global[kind]?.arrayValue?.compactMap { $0["rule_id"]?.stringValue } ?? []
            }
            #expect(ids("override") == [
                ".m.rule.master", ".m.rule.suppress_notices", ".m.rule.invite_for_me", ".m.rule.member_event",
                ".m.rule.is_user_mention", ".m.rule.contains_display_name", ".m.rule.is_room_mention",
                ".m.rule.roomnotif", ".m.rule.tombstone", ".m.rule.reaction", ".m.rule.room.server_acl",
                ".m.rule.suppress_edits",
            ])
            #expect(ids("content") == [".m.rule.contains_user_name"])
            #expect(ids("room").isEmpty && ids("sender").isEmpty)
            #expect(ids("underride") == [
                ".m.rule.call", ".m.rule.encrypted_room_one_to_one", ".m.rule.room_one_to_one", ".m.rule.message",
                ".m.rule.encrypted",
            ])
            let userName = global["content"]?.arrayValue?.first
            #expect(userName?["pattern"]?.stringValue == "alice")
            #expect(userName?["conditions"] == nil)
            let master = global["override"]?.arrayValue?.first
            #expect(master?["enabled"]?.boolValue == false)
            #expect(master?["default"]?.boolValue == true)
            #expect(master?["conditions"] == .array([]))

            let (_, ruleset) = try await api.call(.get, "/_matrix/client/r0/pushrules/global/", token: alice)
            #expect(ruleset == global)
        }
    }

    @Test("one rule by kind and ID, with its enabled flag and actions; unknown rules 404, kinds 400",
          .timeLimit(.minutes(2)))
    func singleRule() async throws {
        try await ClientAPITestServer().run { api in
            let alice = try await api.register("alice")
            let base = "/_matrix/client/v3/pushrules/global"
            let (status, mention) = try await api.call(.get, "\(base)/override/.m.rule.is_user_mention", token: alice)
            #expect(status == 200)
            #expect(mention["conditions"] == [[
                "kind": "event_property_contains", "key": #"content.m\.mentions.user_ids"#, "value": "@alice:test.local",
            ]])
            #expect(mention["actions"] == ["notify", ["set_tweak": "sound", "value": "default"], ["set_tweak": "highlight"]])
            let (_, roomMention) = try await api.call(.get, "\(base)/override/.m.rule.is_room_mention", token: alice)
            #expect(roomMention["conditions"]?.arrayValue?.first == [
                "kind": "event_property_is", "key": #"content.m\.mentions.room"#, "value": true,
            ])
            #expect(try await api.call(.get, "\(base)/override/.m.rule.master/enabled", token: alice).json
                    == ["enabled": false])
            #expect(try await api.call(.get, "\(base)/underride/.m.rule.call/actions", token: alice).json
                    == ["actions": ["notify", ["set_tweak": "sound", "value": "ring"]]])

            let (unknown, unknownBody) = try await api.call(.get, "\(base)/override/.m.rule.nothing", token: alice)
            #expect(unknown == 404)
            #expect(unknownBody["errcode"]?.stringValue == "M_NOT_FOUND")
            #expect(try await api.call(.get, "\(base)/sideways/.m.rule.master", token: alice).status == 400)
            #expect(try await api.call(.get, "/_matrix/client/v3/pushrules/").status == 401)
        }
    }
}
