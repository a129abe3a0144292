/// Why a value has no Matrix canonical JSON encoding.
public enum CanonicalJSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Strict canonical JSON (room v6 and later, and validation) allows no floats.
    case floatNotAllowed(Double)
    /// Strict canonical JSON allows integers in [-(2^53)+1, 2^53-1] only.
    case integerOutOfRange(Int64)
    /// NaN and infinities have no JSON encoding at all.
    case nonFiniteFloat

    public var description: String {
        switch self {
        case .floatNotAllowed(let value): "Bad JSON value: float (\(value))"
        case .integerOutOfRange(let value): "JSON integer out of range (\(value))"
        case .nonFiniteFloat: "Bad JSON value: NaN or infinity"
        }
    }
}
