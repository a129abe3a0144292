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

    /// ``texts(grouped:for:)`` of groups some of which were formatted without a viewer already
    /// (`formatted`, `nil` where not): of those, only the viewer's own events are formatted
    /// again, for their transaction IDs. A timeline that many long-polls share is formatted once.
    public func texts(grouped groups: [[PersistedEvent]], formatted: [[String]?], for viewer: Requester?)
        async throws -> [[String]] {
        precondition(groups.count == formatted.count, "one entry of formatted texts per group")
        let userID = viewer?.userID.description
        // Where each group's events to format are: all of a group not formatted yet, the viewer's
        // own of one that is.
        let toFormat = zip(groups, formatted).map { events, texts in
            precondition(texts == nil || texts?.count == events.count, "one formatted text per event")
            return texts == nil ? Array(events.indices) : events.indices.filter { events[$0].sender == userID }
        }
        // Most long-polls that share a timeline did not send any of it: nothing to format then.
        let fresh = toFormat.allSatisfy(\.isEmpty) ? toFormat.map { _ in [] } : try await texts(
            grouped: zip(groups, toFormat).map { events, indices in indices.map { events[$0] } }, for: viewer
        )
        return zip(zip(formatted, toFormat), fresh).map { group, fresh in
            guard var texts = group.0 else { return fresh }
            for (index, text) in zip(group.1, fresh) { texts[index] = text }
            return texts
        }
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
            let own = events.filter { $0.sender == userID }.map(\.eventID)
            if !own.isEmpty {
                transactionIDs = try await rooms.transactionIDs(of: own, userID: userID, deviceID: viewer.deviceID)
            }
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
