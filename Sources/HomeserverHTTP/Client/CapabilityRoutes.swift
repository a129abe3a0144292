import Hummingbird
import MatrixAPI
import MatrixCore
import MatrixEvents

/// `GET /capabilities`: what clients may do here, and the room versions on offer.
public struct CapabilityRoutes: Sendable {
    /// The version of rooms created without `room_version`.
    let defaultRoomVersion: RoomVersionID

    public init(defaultRoomVersion: RoomVersionID) {
        self.defaultRoomVersion = defaultRoomVersion
    }

    public func register(on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware) {
        let response = Capabilities.response(defaultRoomVersion: defaultRoomVersion.rawValue,
                                             stableRoomVersions: RoomVersionID.stable.map(\.rawValue))
        for group in router.clientGroups(authenticatedBy: authentication) {
            group.get("capabilities") { _, _ in response }
        }
    }
}
