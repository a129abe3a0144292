import Homeserver
import MatrixCore
import Storage

/// The JSON of the user admin API: Synapse's user objects, and `PUT` bodies read into ``UserChanges``.
///
/// Synapse features Trellis lacks have their neutral values: no guests, shadow bans, locks,
/// suspensions, consent tracking, external IDs or GDPR erasure marks.
enum AdminUserJSON {
    /// `GET /_synapse/admin/v2/users/{userId}`: `creation_ts` in seconds, as Synapse has it there.
    static func details(_ details: AdminUserDetails) -> JSONObject {
        var object = common(details.account, lastSeen: details.lastSeenTimestamp)
        object["creation_ts"] = .integer(details.account.createdTimestamp / 1000)
        object["threepids"] = .array(details.threepids.map { threepid -> JSONValue in
            [
                "medium": .string(threepid.medium), "address": .string(threepid.address),
                "validated_at": .integer(threepid.validatedTimestamp), "added_at": .integer(threepid.addedTimestamp),
            ]
        })
        object["external_ids"] = []
        object["appservice_id"] = .null
        object["consent_server_notice_sent"] = .null
        object["consent_version"] = .null
        object["consent_ts"] = .null
        object["suspended"] = false
        return object
    }

    /// An entry of `GET /_synapse/admin/v2/users`: `creation_ts` in milliseconds, as Synapse has it there.
    static func listEntry(_ account: UserRecord, lastSeen: Int64?) -> JSONObject {
        var object = common(account, lastSeen: lastSeen)
        object["creation_ts"] = .integer(account.createdTimestamp)
        return object
    }

    private static func common(_ account: UserRecord, lastSeen: Int64?) -> JSONObject {
        [
            "name": .string(account.userID),
            "displayname": account.displayName.map(JSONValue.string) ?? .null,
            "avatar_url": account.avatarURL.map(JSONValue.string) ?? .null,
            "user_type": account.userType.map(JSONValue.string) ?? .null,
            "admin": .bool(account.isAdmin),
            "deactivated": .bool(account.deactivated),
            "is_guest": false,
            "shadow_banned": false,
            "locked": false,
            "erased": false,
            "last_seen_ts": lastSeen.map(JSONValue.integer) ?? .null,
        ]
    }

    /// Reads a `PUT /_synapse/admin/v2/users/{userId}` body. Wrong types are `M_BAD_JSON`, a
    /// third-party ID without `medium` or `address` is `M_MISSING_PARAM`, and `locked: true` is
    /// refused (`M_INVALID_PARAM`): Trellis does not lock accounts.
    static func changes(in body: JSONObject) throws(MatrixError) -> UserChanges {
        var changes = UserChanges()
        changes.password = try body.string("password")
        changes.logoutDevices = try body.bool("logout_devices") ?? true
        changes.displayName = try body.string("displayname")
        changes.avatarURL = try body.string("avatar_url")
        changes.admin = try body.bool("admin")
        changes.deactivated = try body.bool("deactivated")
        if try body.bool("locked") == true {
            throw MatrixError(.invalidParam, "Locking accounts is not supported")
        }
        if let threepids = try body.array("threepids") {
            var pairs: [(medium: String, address: String)] = []
            for item in threepids {
                guard let threepid = item.objectValue else {
                    throw MatrixError(.badJSON, "'threepids' must be an array of objects")
                }
                pairs.append((try threepid.requiredString("medium"), try threepid.requiredString("address")))
            }
            changes.threepids = pairs
        }
        if body["user_type"] != nil {
            changes.userType = .some(try body.string("user_type"))
        }
        return changes
    }
}
