import MatrixEvents
import Storage

/// Which users' device lists a user must refetch (`changed`) or may stop tracking (`left`)
/// between two points: the answer of `/keys/changes` and of `/sync`'s `device_lists`.
///
/// A user is `changed` when their devices or keys changed while sharing a room with the viewer,
/// or when they came to share a room with the viewer (they or the viewer joined); `left` when a
/// membership change in the range means they share no room with the viewer any more.
public struct DeviceListTracker: Sendable {
    let store: SyncStore

    public init(store: SyncStore) {
        self.store = store
    }

    /// The `changed` and `left` users for `userID`, whose current memberships are `memberships`,
    /// between positions `from` and `to` of the events and device list streams. A caller that
    /// already knows which joined rooms had membership events in the range passes them, so only
    /// those are read (`/sync`); `nil` reads every joined room (`/keys/changes`).
    public func changes(
        for userID: String, memberships: [RoomMembership], from: StreamPositions, to: StreamPositions,
        roomsWithMembershipChanges: Set<String>? = nil
    ) async throws -> (changed: Set<String>, left: Set<String>) {
        var changed = try await store.deviceListChanges(for: userID, after: from.deviceLists, upTo: to.deviceLists)
        let movedInRange = memberships.filter { $0.streamPosition > from.events }
        let joined = memberships.filter { membership in
            membership.membership == Membership.join && roomsWithMembershipChanges?.contains(membership.roomID) ?? true
        }.map(\.roomID)
        let leftInRange = movedInRange.filter { $0.membership != Membership.join }.map(\.roomID)
        var candidates = try await store.membershipChanges(in: joined + leftInRange, after: from.events, upTo: to.events)
        let viewerMoved = movedInRange.filter { [Membership.join, Membership.leave, Membership.ban].contains($0.membership) }
        candidates.formUnion(try await store.joinedMembers(of: viewerMoved.map(\.roomID)))
        candidates.remove(userID)
        guard !candidates.isEmpty else { return (changed, []) }
        let sharing = try await store.usersSharingRoom(with: userID, among: Array(candidates))
        let left = candidates.subtracting(sharing)
        changed.formUnion(sharing)
        changed.subtract(left)
        return (changed, left)
    }
}
