import MatrixCore
import Storage

/// The `next_batch` / `since` token of `/sync`: a position in every stream the response covers.
///
/// Written `s<events>_<account data>_<receipts>`. The positions are the cluster's (PostgreSQL
/// stream heads), so a token from one sync replica works on any other. Positions a token lacks
/// read as 0 (the stream from its start) and positions after the known ones are ignored, so
/// tokens survive a rolling upgrade that adds a stream in either direction. Anything else is
/// `400 M_INVALID_PARAM`.
public struct SyncToken: Sendable, Equatable, CustomStringConvertible {
    public var positions: StreamPositions

    public init(_ positions: StreamPositions) {
        self.positions = positions
    }

    public init(parsing token: String) throws(MatrixError) {
        guard token.hasPrefix("s") else { throw Self.invalid }
        var numbers: [Int64] = []
        for part in token.dropFirst().split(separator: "_", omittingEmptySubsequences: false) {
            guard let number = Int64(part), number >= 0 else { throw Self.invalid }
            numbers.append(number)
        }
        func position(_ index: Int) -> Int64 { index < numbers.count ? numbers[index] : 0 }
        positions = StreamPositions(events: position(0), accountData: position(1), receipts: position(2))
    }

    public var description: String {
        "s\(positions.events)_\(positions.accountData)_\(positions.receipts)"
    }

    private static let invalid = MatrixError(.invalidParam, "Invalid sync token")
}
