import MatrixCore
import Storage

/// Formats stored events for clients, with what their `unsigned` data links to
/// (``ClientEventLinks``): each redacted event's redaction, each state event's replaced event,
/// and the transaction IDs of the events the viewing device sent.
public struct ClientEventFormatter: Sendable {
    let rooms: RoomStore

    public init(rooms: RoomStore) {
        self.rooms = rooms
    }

    /// The events of several lists as client-format objects for `viewer`, with one read of the
    /// events they link to.
    public func objects(grouped groups: [[PersistedEvent]], for viewer: Requester?) async throws -> [[JSONObject]] {
        try await formatted(groups, for: viewer) { event, links in try event.clientEvent(links: links) }
    }

    /// ``objects(grouped:for:)`` as JSON texts, for responses that serve many events.
    public func texts(grouped groups: [[PersistedEvent]], for viewer: Requester?) async throws -> [[String]] {
        try await formatted(groups, for: viewer) { event, links in try event.clientEventJSON(links: links) }
    }

    private func formatted<Formatted>(
        _ groups: [[PersistedEvent]], for viewer: Requester?,
        _ format: (PersistedEvent, ClientEventLinks) throws -> Formatted
    ) async throws -> [[Formatted]] {
        let events = groups.joined()
        let linkedIDs = events.flatMap { [$0.redactedBy, $0.replacesState].compactMap { $0 } }
        let linked = linkedIDs.isEmpty ? [:] : try await rooms.events(linkedIDs)
        var transactionIDs: [String: String] = [:]
        if let viewer {
            let userID = viewer.userID.description
            transactionIDs = try await rooms.transactionIDs(
                of: events.filter { $0.sender == userID }.map(\.eventID), userID: userID, deviceID: viewer.deviceID
            )
        }
        return try groups.map { events in
            try events.map { event in
                try format(event, ClientEventLinks(
                    redaction: event.redactedBy.flatMap { linked[$0] },
                    replaced: event.replacesState.flatMap { linked[$0] },
                    transactionID: transactionIDs[event.eventID]
                ))
            }
        }
    }
}
