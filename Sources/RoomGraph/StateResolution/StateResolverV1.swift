import MatrixCore
import MatrixEvents

/// State resolution version 1 (room version 1).
///
/// https://spec.matrix.org/v1.16/rooms/v1/#state-resolution, as the reference implementation (Synapse's
/// `synapse/state/v1.py`) runs it: conflicted power levels are resolved first, then join rules, then
/// memberships, each against the unconflicted auth state plus what was resolved before; every other
/// conflicted slot takes its first event that passes the auth checks. Events are ordered by depth
/// (deepest first), then by the SHA-1 of their ID.
///
/// Rejected events are treated as unknown, as the reference implementation loads the events with
/// `get_events(allow_rejected=False)`: a rejected event takes no part in a conflict and is not used as
/// an auth event.
struct StateResolverV1<Provider: EventProvider, Authorizer: StateResolutionAuthorizer> {
    private let provider: Provider
    private let rules: RoomVersionRules
    private let authorizer: Authorizer
    private let rejected: Set<EventID>

    init(provider: Provider, rules: RoomVersionRules, authorizer: Authorizer, rejected: Set<EventID>) {
        self.provider = provider
        self.rules = rules
        self.authorizer = authorizer
        self.rejected = rejected
    }

    /// The event if the provider knows it and it was not rejected.
    private func event(_ id: EventID) -> PDU? {
        rejected.contains(id) ? nil : provider.event(id)
    }

    mutating func resolve(_ states: [StateMap]) -> StateResolution.Resolution {
        var (unconflicted, conflictedIDs) = Self.split(states)
        var result = StateResolution.Resolution(
            state: unconflicted, unconflictedCount: unconflicted.count,
            conflictedCount: conflictedIDs.values.reduce(0) { $0 + $1.count },
            authDifferenceCount: 0, conflictedSubgraphCount: 0, fullConflictedCount: 0, powerEventCount: 0)
        guard !conflictedIDs.isEmpty else { return result }

        // The conflicted events the provider knows.
        var known: [StateKey: [PDU]] = [:]
        for (key, ids) in conflictedIDs {
            let events = ids.compactMap { event($0) }
            result.fullConflictedCount += events.count
            known[key] = events
        }

        // The auth state: the unconflicted events for the auth types of the known conflicted events. As
        // in the reference implementation, this is taken before slots left with a single known event
        // become unconflicted (below): such an event fills its slot but authorises nothing.
        var authState: [StateKey: PDU] = [:]
        for events in known.values {
            for event in events {
                for key in authorizer.authTypes(for: event, rules: rules) where authState[key] == nil {
                    if let id = unconflicted[key], let auth = self.event(id) { authState[key] = auth }
                }
            }
        }

        // A slot left with one known event is no longer conflicted.
        var conflicted: [StateKey: [PDU]] = [:]
        for (key, events) in known {
            if events.count > 1 {
                conflicted[key] = events
            } else if let only = events.first {
                unconflicted[key] = only.eventID
            }
        }

        // Power levels, then join rules, then memberships, then the rest.
        var resolved: [StateKey: PDU] = [:]
        if let events = conflicted[Slot.powerLevels] {
            resolved[Slot.powerLevels] = resolveAuthEvents(events, authState: authState)
        }
        authState.merge(resolved) { $1 }
        for (key, events) in conflicted where key.type == Slot.joinRules.type {
            resolved[key] = resolveAuthEvents(events, authState: authState)
        }
        authState.merge(resolved) { $1 }
        for (key, events) in conflicted where key.type == "m.room.member" {
            resolved[key] = resolveAuthEvents(events, authState: authState)
        }
        authState.merge(resolved) { $1 }
        for (key, events) in conflicted where resolved[key] == nil {
            resolved[key] = resolveNormalEvents(events, authState: authState)
        }

        result.state = unconflicted
        for (key, event) in resolved { result.state[key] = event.eventID }
        return result
    }

    /// Splits `states`: a slot is conflicted when two states hold different events in it (a state that
    /// lacks the slot does not conflict, unlike version 2).
    static func split(_ states: [StateMap]) -> (unconflicted: StateMap, conflicted: [StateKey: [EventID]]) {
        guard var unconflicted = states.first else { return ([:], [:]) }
        var conflicted: [StateKey: [EventID]] = [:]
        for state in states.dropFirst() {
            for (key, id) in state {
                if let existing = unconflicted[key] {
                    if existing != id {
                        conflicted[key] = [existing, id]
                        unconflicted[key] = nil
                    }
                } else if conflicted[key] != nil {
                    if !conflicted[key]!.contains(id) { conflicted[key]!.append(id) }
                } else {
                    unconflicted[key] = id
                }
            }
        }
        return (unconflicted, conflicted)
    }

    /// Resolves a conflicted auth slot: starting from the shallowest event, each deeper event replaces
    /// it while it passes the auth checks with its predecessor in the auth state.
    private func resolveAuthEvents(_ events: [PDU], authState: [StateKey: PDU]) -> PDU {
        let ascending = Array(Self.ordered(events).reversed())
        var keys = Set<StateKey>()
        for event in events { keys.formUnion(authorizer.authTypes(for: event, rules: rules)) }
        var state: [StateKey: PDU] = [:]
        for key in keys { if let auth = authState[key] { state[key] = auth } }

        var previous = ascending[0]
        for event in ascending.dropFirst() {
            if let slot = previous.stateSlot { state[slot] = previous }
            do {
                try authorizer.check(event, authState: state, rules: rules)
                previous = event
            } catch {
                return previous
            }
        }
        return ascending[ascending.count - 1]
    }

    /// Resolves any other conflicted slot: the first event, deepest first, that passes the auth checks,
    /// or the shallowest if none does.
    private func resolveNormalEvents(_ events: [PDU], authState: [StateKey: PDU]) -> PDU {
        let ordered = Self.ordered(events)
        for event in ordered {
            if (try? authorizer.check(event, authState: authState, rules: rules)) != nil { return event }
        }
        return ordered[ordered.count - 1]
    }

    /// Deepest first; equal depths by the hexadecimal SHA-1 of the event ID (byte order of the digest).
    static func ordered(_ events: [PDU]) -> [PDU] {
        events.map { (event: $0, hash: SHA1.digest(Array($0.eventID.description.utf8))) }
            .sorted { lhs, rhs in
                if lhs.event.depth != rhs.event.depth { return lhs.event.depth > rhs.event.depth }
                return lhs.hash.lexicographicallyPrecedes(rhs.hash)
            }
            .map(\.event)
    }
}

/// SHA-1, needed only for the version 1 tie-break (libsodium has no SHA-1).
enum SHA1 {
    static func digest(_ message: [UInt8]) -> [UInt8] {
        var h: (UInt32, UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0)
        var padded = message
        padded.append(0x80)
        while padded.count % 64 != 56 { padded.append(0) }
        let bitLength = UInt64(message.count) &* 8
        for shift in stride(from: 56, through: 0, by: -8) { padded.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }

        var w = [UInt32](repeating: 0, count: 80)
        for chunk in stride(from: 0, to: padded.count, by: 64) {
            for i in 0..<16 {
                let b = chunk + 4 * i
                w[i] = UInt32(padded[b]) << 24 | UInt32(padded[b + 1]) << 16 | UInt32(padded[b + 2]) << 8
                    | UInt32(padded[b + 3])
            }
            for i in 16..<80 {
                let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
                w[i] = x << 1 | x >> 31
            }
            var (a, b, c, d, e) = h
            for i in 0..<80 {
                let (f, k): (UInt32, UInt32) = switch i {
                case 0..<20: ((b & c) | (~b & d), 0x5A82_7999)
                case 20..<40: (b ^ c ^ d, 0x6ED9_EBA1)
                case 40..<60: ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC)
                default: (b ^ c ^ d, 0xCA62_C1D6)
                }
                let temp = (a << 5 | a >> 27) &+ f &+ e &+ k &+ w[i]
                (e, d, c, b, a) = (d, c, b << 30 | b >> 2, a, temp)
            }
            h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ d, h.4 &+ e)
        }
        var digest: [UInt8] = []
        for word in [h.0, h.1, h.2, h.3, h.4] {
            for shift in stride(from: 24, through: 0, by: -8) { digest.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) }
        }
        return digest
    }
}
