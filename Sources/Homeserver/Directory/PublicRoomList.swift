import MatrixCore
import Storage

/// One page of the public room directory.
public struct PublicRoomsPage: Sendable, Equatable {
    public var rooms: [PublicRoomSummary]
    /// The `since` of the next page; `nil` on the last page.
    public var nextBatch: String?
    /// The `since` of the previous page; `nil` on the first page.
    public var previousBatch: String?
    /// How many listed rooms match the filter in all.
    public var totalRoomCountEstimate: Int
}

/// The public room directory (`/publicRooms`): rooms published with `visibility: public`, most
/// joined members first.
///
/// Pagination tokens are offsets into that order, so a page may repeat or skip a room whose
/// member count changed in between; clients treat the directory as a snapshot anyway.
public struct PublicRoomList: Sendable {
    let store: PublicRoomStore
    let serverName: ServerName

    /// The page size when the client gives none, and the largest page served.
    public static let defaultLimit = 100
    public static let maximumLimit = 500

    public init(store: PublicRoomStore, serverName: ServerName) {
        self.store = store
        self.serverName = serverName
    }

    /// A page of this server's directory.
    ///
    /// - Parameters:
    ///   - server: the server whose directory to list; only this server's is served (`400` else).
    ///   - since: a `next_batch` or `prev_batch` token (`400 M_INVALID_PARAM` for anything else).
    public func page(
        server: String?, limit: Int?, since: String?, filter: PublicRoomFilter
    ) async throws -> PublicRoomsPage {
        if let server, server != serverName.description {
            throw MatrixError(.invalidParam, "Listing the public rooms of other servers is not supported")
        }
        let offset = try since.map(Self.offset(of:)) ?? 0
        let limit = min(max(limit ?? Self.defaultLimit, 0), Self.maximumLimit)
        let (rooms, total) = try await store.page(filter: filter, offset: offset, limit: limit)
        return PublicRoomsPage(
            rooms: rooms,
            nextBatch: limit > 0 && offset + rooms.count < total ? Self.token(offset + rooms.count) : nil,
            previousBatch: offset > 0 ? Self.token(max(offset - limit, 0)) : nil,
            totalRoomCountEstimate: total
        )
    }

    private static func token(_ offset: Int) -> String { "o\(offset)" }

    private static func offset(of token: String) throws -> Int {
        guard token.hasPrefix("o"), let offset = Int(token.dropFirst()), offset >= 0 else {
            throw MatrixError(.invalidParam, "Invalid since token")
        }
        return offset
    }
}
