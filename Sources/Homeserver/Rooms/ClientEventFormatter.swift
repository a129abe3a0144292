import MatrixCore
import Storage

/// Formats stored events for clients, embedding each redacted event's redaction.
public struct ClientEventFormatter: Sendable {
    let rooms: RoomStore

    public init(rooms: RoomStore) {
        self.rooms = rooms
    }

    /// The events of several lists as client-format objects, with one read of their redactions.
    public func objects(grouped groups: [[PersistedEvent]]) async throws -> [[JSONObject]] {
        try await formatted(groups) { event, redaction in try event.clientEvent(redaction: redaction) }
    }

    /// ``objects(grouped:)`` as JSON texts, for responses that serve many events.
    public func texts(grouped groups: [[PersistedEvent]]) async throws -> [[String]] {
        try await formatted(groups) { event, redaction in try event.clientEventJSON(redaction: redaction) }
    }

    private func formatted<Formatted>(
        _ groups: [[PersistedEvent]], _ format: (PersistedEvent, PersistedEvent?) throws -> Formatted
    ) async throws -> [[Formatted]] {
        let redactionIDs = groups.joined().compactMap(\.redactedBy)
        let redactions = redactionIDs.isEmpty ? [:] : try await rooms.events(redactionIDs)
        return try groups.map { events in
            try events.map { event in try format(event, event.redactedBy.flatMap { redactions[$0] }) }
        }
    }
}
