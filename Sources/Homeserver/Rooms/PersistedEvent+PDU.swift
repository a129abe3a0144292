import MatrixCore
import MatrixEvents
import Storage

extension PersistedEvent {
    /// The stored PDU, parsed. Stored events were valid when written, so failure means the
    /// database was edited by hand; it surfaces as an internal error.
    public func pdu() throws -> PDU {
        let value = try JSONValue(parsing: Array(json.utf8))
        guard let object = value.objectValue else { throw StoredEventCorrupt(eventID: eventID) }
        return try PDU(eventID: EventID(parsing: eventID), json: object)
    }
}

/// A stored event's JSON is not a PDU.
struct StoredEventCorrupt: Error, CustomStringConvertible {
    let eventID: String
    var description: String { "stored event \(eventID) is not a JSON object" }
}

extension StateSlotKey {
    /// Storage's key for a room-graph state slot.
    init(_ key: StateKey) { self.init(type: key.type, stateKey: key.stateKey) }
}
