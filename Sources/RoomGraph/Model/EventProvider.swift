import MatrixCore
import MatrixEvents

/// Supplies events by ID to the room graph algorithms.
///
/// The algorithms are pure and synchronous: the caller (the event persister, the federation
/// handler) loads what they need, typically the auth chains of the states being resolved,
/// before calling them. An event the provider does not have is treated as unknown.
public protocol EventProvider {
    func event(_ id: EventID) -> PDU?
}

extension Dictionary: EventProvider where Key == EventID, Value == PDU {
    public func event(_ id: EventID) -> PDU? { self[id] }
}

/// Room state as the event filling each slot.
public typealias StateMap = [StateKey: EventID]
