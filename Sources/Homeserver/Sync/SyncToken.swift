import MatrixCore
import Storage

/// The `/sync` `next_batch` / `since` token: a position in every stream the response covers.
///
/// Written `s<events>_<account data>_<receipts>_<to-device>_<device lists>_<typing>_<presence>`.
/// The positions are the cluster's (PostgreSQL stream heads, and the typing and presence counters
/// in Redis), so a
/// token from one sync replica works on any other. Positions a token lacks read as 0 (the stream
/// from its start) and positions after the known ones are ignored, so tokens survive a rolling
/// upgrade that adds a stream in either direction. Anything else is `400 M_INVALID_PARAM`.
public struct SyncToken: Sendable, Equatable, CustomStringConvertible {
    public var positions: StreamPositions
    /// The position of the typing counter (``TypingRegistry``).
    public var typing: Int64
    /// The position of the presence counter (``PresenceRegistry``).
    public var presence: Int64

    public init(_ positions: StreamPositions, typing: Int64, presence: Int64) {
        self.positions = positions
        self.typing = typing
        self.presence = presence
    }

    public init(parsing token: String) throws(MatrixError) {
        guard token.hasPrefix("s") else { throw Self.invalid }
        var numbers: [Int64] = []
        for part in token.dropFirst().split(separator: "_", omittingEmptySubsequences: false) {
            guard let number = Int64(part), number >= 0 else { throw Self.invalid }
            numbers.append(number)
        }
        func position(_ index: Int) -> Int64 { index < numbers.count ? numbers[index] : 0 }
        positions = StreamPositions(events: position(0), accountData: position(1), receipts: position(2),
                                    toDevice: position(3), deviceLists: position(4))
        typing = position(5)
        presence = position(6)
    }

    public var description: String {
        "s\(positions.events)_\(positions.accountData)_\(positions.receipts)_\(positions.toDevice)"
            + "_\(positions.deviceLists)_\(typing)_\(presence)"
    }

    private static let invalid = MatrixError(.invalidParam, "Invalid sync token")
}
