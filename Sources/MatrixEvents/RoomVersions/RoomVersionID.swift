/// A room version identifier such as `"11"` or `"org.matrix.msc3757.11"`.
///
/// https://spec.matrix.org/v1.16/rooms/. Look up its behaviour with ``RoomVersionRules/rules(for:)``.
/// It encodes as the bare string (`RawRepresentable`'s `Codable`).
public struct RoomVersionID: RawRepresentable, Hashable, Sendable, Codable, LosslessStringConvertible,
                             ExpressibleByStringLiteral {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public init(_ rawValue: String) { self.rawValue = rawValue }

    public init(stringLiteral value: String) { rawValue = value }

    public var description: String { rawValue }

    /// The rules for this version, if Trellis knows it.
    public var rules: RoomVersionRules? { RoomVersionRules.rules(for: self) }

    /// The stable room versions, oldest first: `1` … `12`.
    public static let stable: [RoomVersionID] = (1...12).map { RoomVersionID(String($0)) }

    /// The version of newly created rooms (Synapse's default): `12`.
    public static let defaultVersion: RoomVersionID = "12"
}
