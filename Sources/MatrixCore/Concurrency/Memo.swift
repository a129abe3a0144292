import Synchronization

/// Values made once per key and kept, behind a lock: metric handles by label set, an event's
/// values by key path. For small key sets only; nothing is ever forgotten.
public final class Memo<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let values = Mutex<[Key: Value]>([:])

    public init() {}

    /// The value of `key`, made by `make` the first time it is asked for.
    public func value(for key: Key, make: () -> Value) -> Value {
        values.withLock { values in
            if let value = values[key] { return value }
            let value = make()
            values[key] = value
            return value
        }
    }
}
