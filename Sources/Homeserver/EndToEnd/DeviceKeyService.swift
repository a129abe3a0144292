import Logging
import MatrixCore
import Replication
import Storage

/// The key APIs of end-to-end encryption: `/keys/upload`, `/keys/query`, `/keys/claim` and
/// `/keys/changes`.
///
/// Keys are stored as the JSON the device uploaded; signatures uploaded later by other keys
/// (``CrossSigningService``) are merged in when the keys are shown. A change other users must
/// learn about is announced on ``StreamName/deviceLists`` so their syncs wake up.
public struct DeviceKeyService: Sendable {
    let keys: EndToEndKeyStore
    let syncStore: SyncStore
    let serverName: ServerName
    let announcer: StreamAnnouncer

    /// The algorithm whose one-time key count is always reported.
    static let signedCurve25519 = "signed_curve25519"

    public init(keys: EndToEndKeyStore, syncStore: SyncStore, serverName: ServerName, publisher: StreamPublisher,
                logger: Logger) {
        self.keys = keys
        self.syncStore = syncStore
        self.serverName = serverName
        self.announcer = StreamAnnouncer(publisher: publisher, logger: logger)
    }

    // MARK: - Upload

    /// Stores the device's identity keys, one-time keys and fallback keys of a `/keys/upload`
    /// body and returns the device's one-time key counts.
    public func upload(_ body: JSONObject, by requester: Requester) async throws -> [String: Int] {
        let deviceKeys = try body.object("device_keys")
        if let deviceKeys {
            guard try deviceKeys.string("user_id") == requester.userID.description,
                  try deviceKeys.string("device_id") == requester.deviceID else {
                throw MatrixError(.invalidParam, "device_keys must be for the requesting user and device")
            }
            guard try deviceKeys.object("keys") != nil, try deviceKeys.stringArray("algorithms") != nil else {
                throw MatrixError(.invalidParam, "device_keys needs 'keys' and 'algorithms'")
            }
        }
        let fallbackKeys = try body.object("fallback_keys") ?? body.object("org.matrix.msc2732.fallback_keys")
        let position: Int64?
        do {
            position = try await keys.upload(
                userID: requester.userID.description, deviceID: requester.deviceID,
                deviceKeys: deviceKeys.map { Self.withoutUnsigned($0).jsonString() },
                oneTimeKeys: try Self.uploadedKeys(try body.object("one_time_keys")),
                fallbackKeys: try Self.uploadedKeys(fallbackKeys)
            )
        } catch let conflict as OneTimeKeyConflict {
            throw MatrixError(.invalidParam, "One-time key \(conflict.algorithm):\(conflict.keyID) already exists "
                                + "with another value")
        }
        if position != nil { await announceDeviceListChange(of: requester.userID.description) }
        return try await Self.keyCounts(of: requester, in: keys).oneTimeKeys
    }

    /// The device's unclaimed one-time keys per algorithm and its unused fallback key types, as
    /// clients are told them (``reported(_:)``).
    static func keyCounts(of requester: Requester, in keys: EndToEndKeyStore) async throws -> DeviceKeyCounts {
        reported(try await keys.keyCounts(userID: requester.userID.description, deviceID: requester.deviceID))
    }

    /// The counts with `signed_curve25519` always present (0 when none are left, so that clients
    /// know to upload more).
    static func reported(_ counts: DeviceKeyCounts) -> DeviceKeyCounts {
        var counts = counts
        if counts.oneTimeKeys[signedCurve25519] == nil { counts.oneTimeKeys[signedCurve25519] = 0 }
        return counts
    }

    /// `{"<algorithm>:<key ID>": key}` as ``UploadedKey``s; `400 M_INVALID_PARAM` for a bad ID.
    private static func uploadedKeys(_ object: JSONObject?) throws -> [UploadedKey] {
        guard let object else { return [] }
        return try object.map { id, key in
            guard let colon = id.firstIndex(of: ":"), colon != id.startIndex, id.index(after: colon) != id.endIndex
            else { throw MatrixError(.invalidParam, "Invalid key ID '\(id)': expected <algorithm>:<key ID>") }
            guard key.stringValue != nil || key.objectValue != nil else {
                throw MatrixError(.invalidParam, "Key '\(id)' must be a string or an object")
            }
            return UploadedKey(algorithm: String(id[..<colon]),
                               keyID: try String(id[id.index(after: colon)...]).rejectingNUL("A key ID"),
                               json: key.jsonString())
        }
    }

    private static func withoutUnsigned(_ object: JSONObject) -> JSONObject {
        var object = object
        object.removeValue(forKey: "unsigned")
        return object
    }

    // MARK: - Query

    /// The answer to `/keys/query`: the devices' identity keys and the users' cross-signing keys,
    /// with the signatures `requester` may see. `device_keys` maps users to the device IDs wanted
    /// (all when empty). Users of other servers are reported under `failures`.
    public func query(_ deviceKeys: JSONObject, by requester: Requester) async throws -> JSONObject {
        var wanted: [String: Set<String>] = [:]
        var failures = JSONObject()
        for (user, devices) in deviceKeys {
            guard let userID = try? UserID(parsing: user) else {
                throw MatrixError(.invalidParam, "Invalid user ID '\(user)'")
            }
            guard let devices = devices.arrayValue else {
                throw MatrixError(.invalidParam, "device_keys['\(user)'] must be a list of device IDs")
            }
            guard userID.serverName == serverName else {
                failures[userID.serverName.description] = Self.unreachable
                continue
            }
            wanted[user] = Set(devices.compactMap(\.stringValue))
        }
        let users = Array(wanted.keys)
        let signatures = KeySignatures(try await keys.signatures(of: users, visibleTo: requester.userID.description))
        var result: JSONObject = ["failures": .object(failures)]
        result["device_keys"] = .object(try await deviceKeyObjects(of: wanted, signatures: signatures))
        var crossSigning: [String: JSONObject] = ["master_keys": [:], "self_signing_keys": [:], "user_signing_keys": [:]]
        for key in try await keys.crossSigningKeys(of: users) {
            guard key.type != CrossSigningKeyType.userSigning || key.userID == requester.userID.description else {
                continue
            }
            let section = key.type + "_keys"
            crossSigning[section]?[key.userID] = .object(
                signatures.merged(into: try Self.object(key.json), of: key.userID, key.publicKey)
            )
        }
        for (section, keys) in crossSigning { result[section] = .object(keys) }
        return result
    }

    private func deviceKeyObjects(of wanted: [String: Set<String>], signatures: KeySignatures) async throws
        -> JSONObject {
        var result = JSONObject()
        for user in wanted.keys { result[user] = .object([:]) }
        for stored in try await keys.deviceKeys(of: Array(wanted.keys)) {
            guard let devices = wanted[stored.userID], devices.isEmpty || devices.contains(stored.deviceID) else {
                continue
            }
            var object = signatures.merged(into: try Self.object(stored.json), of: stored.userID, stored.deviceID)
            object["unsigned"] = stored.displayName.map { ["device_display_name": .string($0)] } ?? [:]
            var userDevices = result[stored.userID]?.objectValue ?? [:]
            userDevices[stored.deviceID] = .object(object)
            result[stored.userID] = .object(userDevices)
        }
        return result
    }

    /// The failure reported for a server whose users' keys are asked for: federation does not
    /// fetch them yet.
    static let unreachable: JSONValue = ["status": 503, "message": "Keys of users on other servers are not available"]

    static func object(_ json: String) throws -> JSONObject {
        guard let object = try JSONValue(parsing: json).objectValue else {
            throw MatrixError(.unknown, "A stored key is not a JSON object")
        }
        return object
    }

    // MARK: - Claim

    /// The answer to `/keys/claim`: for each `{user: {device: algorithm}}`, one key of the
    /// algorithm (a one-time key, or the fallback key when none is left).
    public func claim(_ oneTimeKeys: JSONObject) async throws -> JSONObject {
        var requests: [(userID: String, deviceID: String, algorithm: String)] = []
        var failures = JSONObject()
        for (user, devices) in oneTimeKeys {
            guard let userID = try? UserID(parsing: user), let devices = devices.objectValue else {
                throw MatrixError(.invalidParam, "one_time_keys['\(user)'] must map device IDs to algorithms")
            }
            guard userID.serverName == serverName else {
                failures[userID.serverName.description] = Self.unreachable
                continue
            }
            for (deviceID, algorithm) in devices {
                guard let algorithm = algorithm.stringValue else {
                    throw MatrixError(.invalidParam, "The algorithm for \(user) \(deviceID) must be a string")
                }
                requests.append((user, try deviceID.rejectingNUL("A device ID"), try algorithm.rejectingNUL("An algorithm")))
            }
        }
        var claimed = JSONObject()
        for key in try await keys.claim(requests) {
            var devices = claimed[key.userID]?.objectValue ?? [:]
            devices[key.deviceID] = [key.algorithm + ":" + key.keyID: try JSONValue(parsing: key.json)]
            claimed[key.userID] = .object(devices)
        }
        return ["one_time_keys": .object(claimed), "failures": .object(failures)]
    }

    // MARK: - Changes

    /// The users whose device lists changed between two sync tokens (`/keys/changes`).
    public func changes(from: SyncToken, to: SyncToken, for requester: Requester) async throws
        -> (changed: Set<String>, left: Set<String>) {
        let userID = requester.userID.description
        return try await DeviceListTracker(store: syncStore).changes(
            for: userID, memberships: try await syncStore.memberships(of: userID), from: from.positions,
            to: to.positions
        )
    }

    func announceDeviceListChange(of userID: String) async {
        await announcer.announce(.deviceLists, ["user_id": userID])
    }
}

/// The names of the three cross-signing keys, as `usage` and in `e2e_cross_signing_keys`.
public enum CrossSigningKeyType {
    public static let master = "master"
    public static let selfSigning = "self_signing"
    public static let userSigning = "user_signing"
}

/// Stored signatures by target key, merged into the keys they sign when those are shown.
struct KeySignatures {
    private var byTarget: [String: [KeySignature]] = [:]

    init(_ signatures: [KeySignature]) {
        for signature in signatures {
            byTarget[signature.targetUserID + " " + signature.targetKeyID, default: []].append(signature)
        }
    }

    /// `object` with the signatures of `userID`'s key `keyID` added under `signatures`.
    func merged(into object: JSONObject, of userID: String, _ keyID: String) -> JSONObject {
        guard let extra = byTarget[userID + " " + keyID] else { return object }
        var object = object
        var signatures = object["signatures"]?.objectValue ?? [:]
        for signature in extra {
            var bySigner = signatures[signature.signerUserID]?.objectValue ?? [:]
            bySigner[signature.signerKeyID] = .string(signature.signature)
            signatures[signature.signerUserID] = .object(bySigner)
        }
        object["signatures"] = .object(signatures)
        return object
    }
}
