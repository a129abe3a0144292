import MatrixCore
import MatrixEvents

/// The power level of an event's sender as its own auth events give it, used to order power events.
///
/// https://spec.matrix.org/v1.16/rooms/v2/#definitions ("reverse topological power ordering": "x's sender
/// has greater power level than y's sender, when looking at their respective `auth_events`").
enum SenderPowerLevel {
    /// Room version 12 creators: greater than any integer power level.
    static let creator = Int64.max

    /// - Parameters:
    ///   - event: the event whose sender is ranked.
    ///   - authEvents: its auth events that the provider knows.
    static func of(_ event: PDU, authEvents: [PDU], rules: RoomVersionRules) -> Int64 {
        var powerLevels: PDU?
        var create: PDU?
        for auth in authEvents where auth.stateKey == "" {
            if auth.type == Slot.powerLevels.type { powerLevels = auth }
            if auth.type == Slot.create.type { create = auth }
        }
        if rules.privilegedRoomCreators, let create, isCreator(event.sender, create: create) {
            return creator
        }
        guard let powerLevels else {
            // No power levels yet: the creator has 100, everyone else 0.
            guard let create else { return 0 }
            let creatorID = rules.implicitRoomCreator
                ? create.sender.description : create.content["creator"]?.stringValue
            return creatorID == event.sender.description ? 100 : 0
        }
        if let level = powerLevels.content["users"]?[event.sender.description] {
            return integer(level) ?? 0
        }
        return powerLevels.content["users_default"].flatMap(integer) ?? 0
    }

    /// Room version 12: the create event's sender and its `additional_creators` are the creators.
    static func isCreator(_ user: UserID, create: PDU) -> Bool {
        if create.sender == user { return true }
        return create.content["additional_creators"]?.arrayValue?.contains { $0.stringValue == user.description }
            ?? false
    }

    /// A power level value: an integer, or (before room version 10) a string holding one.
    static func integer(_ value: JSONValue) -> Int64? {
        switch value {
        case .integer(let number): number
        case .float(let number) where number.isFinite && abs(number) < 9.2e18: Int64(number)
        case .string(let text): Int64(text.trimmingSpaces)
        default: nil
        }
    }
}

extension String {
    /// The string without leading and trailing ASCII whitespace (as Python's `int()` accepts).
    fileprivate var trimmingSpaces: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        var slice = self[...]
        while let first = slice.first, isSpace(first) { slice.removeFirst() }
        while let last = slice.last, isSpace(last) { slice.removeLast() }
        return slice
    }
}
