@testable import MatrixAPI
import MatrixCore
import Testing

@Suite("Push rules: the spec's default rules against events")
struct PushRuleEvaluatorTests {
    static let bob = "@bob:example.org"
    static let rules = PushRuleset.predefined(for: try! UserID(parsing: bob))

    static func decision(
        _ event: JSONObject, members: Int = 3, senderLevel: Int64 = 0, displayName: String? = "Bobby"
    ) -> PushDecision {
        var event = event
        event["room_id"] = event["room_id"] ?? "!room:example.org"
        event["sender"] = event["sender"] ?? "@alice:example.org"
        let context = PushRoomContext(memberCount: members, senderPowerLevel: senderLevel, notificationPowerLevels: [:])
        return PushRuleEvaluator(event: event, context: context).decision(for: rules, displayName: displayName)
    }

    static func message(_ body: String, _ extra: JSONObject = [:]) -> JSONObject {
        var content: JSONObject = ["msgtype": "m.text", "body": .string(body)]
        for (key, value) in extra { content[key] = value }
        return ["type": "m.room.message", "content": .object(content)]
    }

    static let notify = PushDecision(notify: true, highlight: false)
    static let highlight = PushDecision(notify: true, highlight: true)

    @Test("messages notify; one-to-one rooms and encrypted events too; notices, reactions and edits do not")
    func plainEvents() {
        #expect(Self.decision(Self.message("hello")) == Self.notify)
        #expect(Self.decision(Self.message("hello"), members: 2) == Self.notify)
        #expect(Self.decision(["type": "m.room.encrypted", "content": ["ciphertext": "x"]]) == Self.notify)
        #expect(Self.decision(Self.message("beep", ["msgtype": "m.notice"])) == .silent)
        #expect(Self.decision(["type": "m.reaction", "content": [:]]) == .silent)
        #expect(Self.decision(["type": "m.room.member", "state_key": "@carol:example.org",
                               "content": ["membership": "join"]]) == .silent)
        let edit = Self.message("* fixed", ["m.relates_to": ["rel_type": "m.replace", "event_id": "$e"]])
        #expect(Self.decision(edit) == .silent)
        #expect(Self.decision(["type": "m.room.topic", "state_key": "", "content": ["topic": "x"]]) == .silent)
    }

    @Test("mentions highlight: the user's ID in m.mentions, their name or display name as a word, @room with permission")
    func mentions() {
        #expect(Self.decision(Self.message("hi", ["m.mentions": ["user_ids": [.string(Self.bob)]]])) == Self.highlight)
        #expect(Self.decision(Self.message("ask BOB about it")) == Self.highlight)
        #expect(Self.decision(Self.message("ask bobcat about it")) == Self.notify)
        #expect(Self.decision(Self.message("thanks, bobby!")) == Self.highlight)
        #expect(Self.decision(Self.message("thanks, bobby!"), displayName: nil) == Self.notify)
        #expect(Self.decision(Self.message("@room lunch"), senderLevel: 50) == Self.highlight)
        #expect(Self.decision(Self.message("@room lunch"), senderLevel: 0) == Self.notify)
        #expect(Self.decision(Self.message("x", ["m.mentions": ["room": true]]), senderLevel: 100) == Self.highlight)
        #expect(Self.decision(["type": "m.room.tombstone", "state_key": "", "content": [:]]) == Self.highlight)
        // With m.mentions, names in the body no longer count: only the mentions do.
        #expect(Self.decision(Self.message("ask bob tomorrow", ["m.mentions": [:]])) == Self.notify)
        #expect(Self.decision(Self.message("@room lunch", ["m.mentions": [:]]), senderLevel: 50) == Self.notify)
    }

    @Test("members with the predefined rules get, all at once, exactly the decisions each would get alone")
    func decisionsForManyMembers() throws {
        let members = try ["bob", "carol", "dave", "erin", "frank"].map { name in
            (userID: try UserID(parsing: "@\(name):example.org"), displayName: name == "dave" ? "Captain" : nil as String?)
        }
        let events: [JSONObject] = [
            Self.message("carol, ask the captain"),
            Self.message("hi", ["m.mentions": ["user_ids": ["@erin:example.org"]]]),
            Self.message("plain"),
            Self.message("carol and the captain", ["m.mentions": [:]]),
            ["type": "m.room.member", "state_key": "@bob:example.org", "content": ["membership": "invite"]],
            ["type": "m.room.member", "state_key": "@frank:example.org", "content": ["membership": "join"]],
            ["type": "m.room.encrypted", "content": [:]],
            Self.message("@room lunch"),
        ]
        var decisions: [[PushDecision]] = []
        for var event in events {
            event["room_id"] = "!room:example.org"
            event["sender"] = "@alice:example.org"
            let evaluator = PushRuleEvaluator(
                event: event, context: PushRoomContext(memberCount: 6, senderPowerLevel: 50, notificationPowerLevels: [:])
            )
            let alone = members.map { evaluator.decision(for: .predefined(for: $0.userID), displayName: $0.displayName) }
            decisions.append(evaluator.predefinedDecisions(for: members))
            #expect(decisions.last == alone, "\(event)")
        }
        // Mentions by name, display name and m.mentions reach only their member; the invite only bob.
        #expect(decisions[0].map { $0.highlight } == [false, true, true, false, false])
        #expect(decisions[1].map { $0.highlight } == [false, false, false, true, false])
        #expect(decisions[2] == Array(repeating: Self.notify, count: 5))
        #expect(decisions[3] == Array(repeating: Self.notify, count: 5))
        #expect(decisions[4].map { $0.notify } == [true, false, false, false, false])
        #expect(decisions[5] == Array(repeating: .silent, count: 5))
        #expect(decisions[7] == Array(repeating: Self.highlight, count: 5))
    }

    @Test("globs match whole values; body patterns match whole words")
    func globs() {
        #expect(PushRuleEvaluator.glob("m.*", matches: "m.room.message"))
        #expect(PushRuleEvaluator.glob("m.room.?essage", matches: "m.room.message"))
        #expect(!PushRuleEvaluator.glob("m.room", matches: "m.room.message"))
        #expect(PushRuleEvaluator.glob("m.room.message", matches: "m.room.message"))
        #expect(!PushRuleEvaluator.glob("@bob:x", matches: "@bob:y"))
        #expect(PushRuleEvaluator.glob("*", matches: ""))
        // A `*` is a wildcard even where the text has one.
        #expect(PushRuleEvaluator.glob("a*", matches: "a*b"))
        #expect(PushRuleEvaluator.glob("*", matches: "*"))
        #expect(PushRuleEvaluator.containsWord(matching: "b*b", in: PushRuleEvaluator.SearchedText("hey bob!")))
        #expect(!PushRuleEvaluator.containsWord(matching: "b*b", in: PushRuleEvaluator.SearchedText("hey bobcat")))
        #expect(PushRuleEvaluator.containsWord(matching: "@r*m", in: PushRuleEvaluator.SearchedText("x@room")))
        #expect(PushRuleEvaluator.containsWord("@room", in: PushRuleEvaluator.SearchedText("ping @room now")))
        #expect(!PushRuleEvaluator.containsWord("@room", in: PushRuleEvaluator.SearchedText("ping x@roomy now")))
    }

    @Test("whole words are found in ASCII and other text; names with line breaks or NUL do not trap")
    func wordsInASCIIAndOtherText() {
        let cases: [(word: String, text: String, found: Bool)] = [
            ("bob", "hey bob!", true), ("bob", "bob", true), ("bob", "bob, hi", true), ("bob", "hi bob", true),
            ("bob", "bobcat", false), ("bob", "hi_bob", false), ("bob", "2bob", false), ("bob", "bo", false),
            ("bob", "bobby or bob", true), ("", "anything", false), ("b.b", "say b.b now", true),
            ("bob", "héllo bob", true), ("bob", "héllo bobé", false), ("émile", "hi émile!", true),
            // `\r\n` is one character: a word cannot start or end inside it.
            ("\nb", "a\r\nb", false), ("\n", "\r\ncafé", false), ("bob\0", "café bob", false),
            ("bob\0", "café bob\0!", true),
            // A name that starts or ends with punctuation is found next to a letter on that side
            // (Synapse's boundaries); a glob is bounded the same way.
            ("@room", "x@room", true), ("[bot]", "the[bot]s", true), ("@room", "x@roomy", false),
        ]
        for (word, text, found) in cases {
            #expect(PushRuleEvaluator.containsWord(word, in: PushRuleEvaluator.SearchedText(text)) == found,
                    "\(word.debugDescription) in \(text.debugDescription)")
        }
    }

    @Test("by bytes, ASCII words are found exactly where they are found by characters")
    func asciiWordsByBytesAndByCharacters() {
        let alphabet = ["a", "b", " ", "_", "1", "\r", "\n"]
        /// Every sequence of up to `length` of the alphabet's strings, the empty one included.
        func strings(upTo length: Int) -> [String] {
            var all = [""], longest = [""]
            for _ in 0..<length {
                longest = longest.flatMap { prefix in alphabet.map { prefix + $0 } }
                all += longest
            }
            return all
        }
        let texts = strings(upTo: 4), words = strings(upTo: 2)
        var comparedByBytes = 0
        for text in texts {
            // Every word here is ASCII: a text with bytes to search is searched by them.
            let searched = PushRuleEvaluator.SearchedText(text)
            guard searched.asciiBytes != nil else { continue }
            for word in words {
                let byCharacters = PushRuleEvaluator.containsWord(
                    Array(word), in: Array(text), isWordElement: PushRuleEvaluator.isWordCharacter
                )
                comparedByBytes += 1
                #expect(PushRuleEvaluator.containsWord(word, in: searched) == byCharacters,
                        "\(word.debugDescription) in \(text.debugDescription)")
            }
        }
        // Texts with `\r` are left to the characters; all the others are compared by bytes.
        #expect(comparedByBytes == texts.filter { !$0.utf8.contains(UInt8(ascii: "\r")) }.count * words.count)
    }
}
