import MatrixCore

/// What a user's push rules decided for an event: whether it counts as a notification, and
/// whether it is highlighted (a mention).
public struct PushDecision: Sendable, Equatable {
    public var notify: Bool
    public var highlight: Bool

    public init(notify: Bool, highlight: Bool) {
        self.notify = notify
        self.highlight = highlight
    }

    /// No rule matched, or the matching rule does not notify.
    public static let silent = PushDecision(notify: false, highlight: false)
}

/// What rule conditions read from the room rather than from the event.
public struct PushRoomContext: Sendable {
    /// Joined members, for `room_member_count`.
    public var memberCount: Int
    /// The sender's power level, for `sender_notification_permission`.
    public var senderPowerLevel: Int64
    /// The power levels' `notifications` object (`room` defaults to 50).
    public var notificationPowerLevels: [String: Int64]

    public init(memberCount: Int, senderPowerLevel: Int64, notificationPowerLevels: [String: Int64]) {
        self.memberCount = memberCount
        self.senderPowerLevel = senderPowerLevel
        self.notificationPowerLevels = notificationPowerLevels
    }
}

/// Evaluates push rules against one event, for any number of recipients.
///
/// Spec: https://spec.matrix.org/v1.16/client-server-api/#push-rules. Rules are tried kind by
/// kind (override, content, room, sender, underride), each kind in priority order; the first
/// enabled rule whose conditions all hold decides. `content.body` patterns match whole words,
/// as Synapse matches them, so `@room` and user names are found inside a message.
public struct PushRuleEvaluator: Sendable {
    let event: JSONObject
    let context: PushRoomContext
    private let body: SearchedText?
    /// Whether the event has `m.mentions`, which turns the legacy mention rules off.
    private let hasMentions: Bool
    /// The event's values by key path, as rules have read them: every member's rules read the
    /// same few keys, and a path is split only once per event.
    private let lookups = Memo<String, JSONValue?>()

    public init(event: JSONObject, context: PushRoomContext) {
        self.event = event
        self.context = context
        body = event["content"]?["body"]?.stringValue.map { SearchedText($0.lowercased()) }
        hasMentions = event["content"]?["m.mentions"] != nil
    }

    /// The rules that guess mentions from the body, which an event with `m.mentions` replaces
    /// (spec: intentional mentions; Synapse skips them the same way).
    static let legacyMentionRules: Set<String> = [
        ".m.rule.contains_display_name", ".m.rule.contains_user_name", ".m.rule.roomnotif",
    ]

    /// The decision of `ruleset`, one user's rules (the user's display name in the room is `displayName`).
    public func decision(for ruleset: PushRuleset, displayName: String?) -> PushDecision {
        for kind in PushRuleKind.allCases {
            for rule in ruleset[kind] where applies(rule) && matches(rule, of: kind, displayName: displayName) {
                return Self.decision(of: rule.actions)
            }
        }
        return .silent
    }

    /// Whether `rule` takes part: enabled, and not a legacy mention rule when the event has `m.mentions`.
    private func applies(_ rule: PushRule) -> Bool {
        rule.enabled && !(hasMentions && Self.legacyMentionRules.contains(rule.ruleID))
    }

    /// The decisions of members whose rules are the predefined ones
    /// (``PushRuleset/predefined(for:)``), in order, as ``decision(for:displayName:)`` gives them.
    ///
    /// Only the rules that name their user (``PushRuleset/predefinedRules(naming:)``) can decide
    /// differently for different members; the others are evaluated once. A member whom none of
    /// their own rules matches gets the decision of the others, and only the members the event
    /// invites, mentions or names have their whole rules evaluated: for a message to a room of
    /// thousands, that is a few rules per member instead of all of them.
    public func predefinedDecisions(for members: [(userID: UserID, displayName: String?)]) -> [PushDecision] {
        guard let first = members.first else { return [] }
        let naming = Set(PushRuleset.predefinedRules(naming: first.userID).map(\.rule.ruleID))
        var shared = PushRuleset.predefined(for: first.userID)
        for kind in PushRuleKind.allCases {
            shared.rules[kind] = shared[kind].filter { !naming.contains($0.ruleID) }
        }
        let sharedDecision = decision(for: shared, displayName: nil)
        return members.map { member in
            let named = PushRuleset.predefinedRules(naming: member.userID).contains { kind, rule in
                applies(rule) && matches(rule, of: kind, displayName: member.displayName)
            }
            return named ? decision(for: .predefined(for: member.userID), displayName: member.displayName) : sharedDecision
        }
    }

    private static func decision(of actions: [PushAction]) -> PushDecision {
        var decision = PushDecision.silent
        for action in actions {
            switch action {
            case .notify:
                decision.notify = true
            case .setTweak("highlight", let value):
                decision.highlight = value?.boolValue ?? true
            case .setTweak:
                break
            }
        }
        if !decision.notify { decision.highlight = false }
        return decision
    }

    private func matches(_ rule: PushRule, of kind: PushRuleKind, displayName: String?) -> Bool {
        switch kind {
        case .override, .underride:
            return (rule.conditions ?? []).allSatisfy { holds($0, displayName: displayName) }
        case .content:
            // A content rule's pattern is an `event_match` on the body, words matched whole.
            guard let pattern = rule.pattern else { return false }
            return holds(.eventMatch(key: "content.body", pattern: pattern), displayName: displayName)
        case .room:
            return event["room_id"]?.stringValue == rule.ruleID
        case .sender:
            return event["sender"]?.stringValue == rule.ruleID
        }
    }

    private func holds(_ condition: PushCondition, displayName: String?) -> Bool {
        switch condition {
        case .eventMatch(let key, let pattern):
            // The body, lowercased once per event, is read by every member's content rules.
            if key == "content.body" {
                guard let body else { return false }
                return Self.containsWord(matching: pattern.lowercased(), in: body)
            }
            guard let value = value(at: key)?.stringValue else { return false }
            return Self.glob(pattern.lowercased(), matches: value.lowercased())
        case .eventPropertyIs(let key, let expected):
            return value(at: key) == expected
        case .eventPropertyContains(let key, let expected):
            return value(at: key)?.arrayValue?.contains(expected) ?? false
        case .containsDisplayName:
            guard let name = displayName?.lowercased(), !name.isEmpty, let body else { return false }
            return Self.containsWord(name, in: body)
        case .roomMemberCount(let comparison):
            return Self.compare(context.memberCount, comparison)
        case .senderNotificationPermission(let key):
            return context.senderPowerLevel >= (context.notificationPowerLevels[key] ?? 50)
        }
    }

    /// The event's value at a dotted path; `\.` is a literal dot and `\\` a backslash.
    private func value(at path: String) -> JSONValue? {
        lookups.value(for: path) {
            var value: JSONValue = .object(event)
            for component in Self.components(of: path) {
                guard let next = value.objectValue?[component] else { return nil }
                value = next
            }
            return value
        }
    }

    /// The keys of a dotted path; most paths have no escapes and are split without decoding them.
    private static func components(of path: String) -> [String] {
        guard path.utf8.contains(UInt8(ascii: "\\")) else {
            return path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        }
        var components: [String] = []
        var current = ""
        var escaping = false
        for character in path {
            if escaping {
                current.append(character)
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else if character == "." {
                components.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        components.append(current)
        return components
    }

    /// `room_member_count`'s `is`: a number with an optional `==`, `<`, `>`, `<=` or `>=`.
    private static func compare(_ count: Int, _ comparison: String) -> Bool {
        let operators = ["==", "<=", ">=", "<", ">"]
        let op = operators.first { comparison.hasPrefix($0) } ?? "=="
        let digits = comparison.hasPrefix(op) ? comparison.dropFirst(op.count) : Substring(comparison)
        guard let number = Int(digits) else { return false }
        switch op {
        case "<": return count < number
        case ">": return count > number
        case "<=": return count <= number
        case ">=": return count >= number
        default: return count == number
        }
    }

    /// Whether the glob `pattern` (`*` any run, `?` one character) matches all of `text`.
    static func glob(_ pattern: String, matches text: String) -> Bool {
        // Most patterns (event types, membership values, user IDs) are plain text.
        guard hasWildcard(pattern) else { return pattern == text }
        let pattern = Array(pattern), text = Array(text)
        var (p, t) = (0, 0)
        var star: (pattern: Int, text: Int)?
        while t < text.count {
            // A `*` is a wildcard even where the text has a `*`.
            if p < pattern.count, pattern[p] == "*" {
                star = (p, t)
                p += 1
            } else if p < pattern.count, pattern[p] == "?" || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if let previous = star {
                p = previous.pattern + 1
                t = previous.text + 1
                star = (previous.pattern, previous.text + 1)
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }

    /// Whether the glob `pattern` has a `*` or `?` character. Every member's rules ask it of the
    /// same few patterns, most of which have neither byte, and only those that do are read as
    /// characters (a `*` byte can be part of a larger character, such as the keycap *️⃣).
    private static func hasWildcard(_ pattern: String) -> Bool {
        pattern.utf8.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") }
            && pattern.contains { $0 == "*" || $0 == "?" }
    }

    /// A text that every member's rules search for words, prepared once: its characters, and its
    /// bytes when searching them is the same as searching the characters (ASCII without `\r`,
    /// as `\r\n` is one character).
    struct SearchedText {
        let characters: [Character]
        let asciiBytes: [UInt8]?

        init(_ text: String) {
            characters = Array(text)
            asciiBytes = text.utf8.allSatisfy { $0 < 0x80 && $0 != UInt8(ascii: "\r") } ? Array(text.utf8) : nil
        }
    }

    /// Whether `text` holds a run of whole words that the glob `pattern` matches.
    static func containsWord(matching pattern: String, in text: SearchedText) -> Bool {
        guard hasWildcard(pattern) else { return containsWord(pattern, in: text) }
        let characters = text.characters
        for start in characters.indices where isWordBoundary(in: characters, at: start, isWordElement: isWordCharacter) {
            for end in (start + 1)...characters.count
            where isWordBoundary(in: characters, at: end, isWordElement: isWordCharacter)
                && glob(pattern, matches: String(characters[start..<end])) {
                return true
            }
        }
        return false
    }

    /// Whether `word` occurs in `text` as a whole word (see the generic form): by bytes where that
    /// is the same as by characters, as a room's every member has their user name looked for in
    /// each message, and most names and messages are plain ASCII.
    static func containsWord(_ word: String, in text: SearchedText) -> Bool {
        if let bytes = text.asciiBytes, word.utf8.allSatisfy({ $0 < 0x80 }) {
            return containsWord(word.utf8, in: bytes, isWordElement: isWordByte)
        }
        return containsWord(Array(word), in: text.characters, isWordElement: isWordCharacter)
    }

    /// Whether `word` occurs in `text`, elements compared one by one, at word boundaries: at each
    /// end, the text ends, or the elements on either side of that end are not both word elements
    /// (Synapse's `(^|\W|\b)…(\b|\W|$)`, so that a name that starts or ends with punctuation is
    /// found next to a letter on that side). An empty word occurs nowhere.
    static func containsWord<Word: BidirectionalCollection<Element>, Text: RandomAccessCollection<Element>, Element: Equatable>(
        _ word: Word, in text: Text, isWordElement: (Element) -> Bool
    ) -> Bool where Text.Index == Int {
        guard !word.isEmpty, word.count <= text.count else { return false }
        for offset in 0...(text.count - word.count) {
            let start = text.startIndex + offset, end = start + word.count
            if text[start..<end].elementsEqual(word), isWordBoundary(in: text, at: start, isWordElement: isWordElement),
               isWordBoundary(in: text, at: end, isWordElement: isWordElement) {
                return true
            }
        }
        return false
    }

    /// Whether a whole word may start or end at `index` of `text`: at either end of the text, or
    /// where the elements on either side are not both word elements.
    private static func isWordBoundary<Text: RandomAccessCollection>(
        in text: Text, at index: Int, isWordElement: (Text.Element) -> Bool
    ) -> Bool where Text.Index == Int {
        index == text.startIndex || index == text.endIndex || !isWordElement(text[index - 1]) || !isWordElement(text[index])
    }

    /// ``isWordCharacter(_:)`` of an ASCII byte: a letter, a digit or `_`.
    private static func isWordByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "_"): true
        default: false
        }
    }

    static func isWordCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || character == "_"
    }
}

