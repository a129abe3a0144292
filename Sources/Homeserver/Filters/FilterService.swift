import MatrixAPI
import MatrixCore
import Storage

/// Filters users upload once and name by ID in `/sync` and `/messages`.
public struct FilterService: Sendable {
    let store: FilterStore

    public init(store: FilterStore) {
        self.store = store
    }

    /// Checks and stores `owner`'s filter and returns its ID; only the owner may (`403`).
    public func create(_ filter: JSONObject, owner: UserID, by requester: Requester) async throws -> String {
        guard owner == requester.userID else {
            throw MatrixError(.forbidden, "Can only create filters for your own user")
        }
        try Filter.validate(filter)
        let canonical: String
        do {
            canonical = try filter.canonicalJSON(strict: false)
        } catch {
            throw MatrixError(.badJSON, "Filter must be canonical JSON: \(error)")
        }
        return String(try await store.create(userID: owner.description, filterJSON: canonical))
    }

    /// One of `owner`'s filters: only the owner may read it (`403`); `400 M_INVALID_PARAM` for an
    /// ID this server never gives out, `404 M_NOT_FOUND` for an unknown one.
    public func filter(_ filterID: String, owner: UserID, requester: Requester) async throws -> JSONObject {
        guard owner == requester.userID else {
            throw MatrixError(.forbidden, "Cannot get filters for other users")
        }
        guard let id = Int64(filterID) else { throw MatrixError(.invalidParam, "Invalid filter_id") }
        guard let json = try await store.filterJSON(userID: owner.description, filterID: id),
              let filter = try JSONValue(parsing: json).objectValue
        else { throw MatrixError(.notFound, "No such filter") }
        return filter
    }
}
