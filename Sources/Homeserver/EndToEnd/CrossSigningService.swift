import MatrixCore
import MatrixCrypto
import Storage

/// Cross-signing: `/keys/device_signing/upload` (a user's master, self-signing and user-signing
/// keys) and `/keys/signatures/upload` (signatures of devices and of other users' master keys).
///
/// Every signature is checked against the signing key before it is stored: a self-signing key
/// signs the user's own devices, the user's devices sign their master key, and a user-signing
/// key signs other users' master keys.
public struct CrossSigningService: Sendable {
    let keys: EndToEndKeyStore
    let deviceKeys: DeviceKeyService

    public init(keys: EndToEndKeyStore, deviceKeys: DeviceKeyService) {
        self.keys = keys
        self.deviceKeys = deviceKeys
    }

    /// A cross-signing key of an upload, checked.
    struct ParsedKey {
        var type: String
        var publicKey: String
        var object: JSONObject
    }

    // MARK: - Device signing keys

    /// Whether storing this `/keys/device_signing/upload` needs the user to authenticate: it does
    /// when it replaces a master key the user already has (uploading the first keys, or the same
    /// keys again, does not).
    public func requiresAuthentication(_ body: JSONObject, of requester: Requester) async throws -> Bool {
        let stored = try await keys.crossSigningKeys(of: [requester.userID.description])
        guard stored.contains(where: { $0.type == CrossSigningKeyType.master }) else { return false }
        let uploaded = try parseKeys(body, of: requester.userID)
        return uploaded.contains { key in
            !stored.contains { $0.type == key.type && $0.publicKey == key.publicKey }
        }
    }

    /// Stores the cross-signing keys of a `/keys/device_signing/upload` body. The self-signing and
    /// user-signing keys must be signed by the master key (the uploaded one, or else the stored).
    public func uploadSigningKeys(_ body: JSONObject, by requester: Requester) async throws {
        let userID = requester.userID.description
        let uploaded = try parseKeys(body, of: requester.userID)
        guard !uploaded.isEmpty else { return }
        var master = uploaded.first { $0.type == CrossSigningKeyType.master }?.publicKey
        if master == nil {
            master = try await keys.crossSigningKeys(of: [userID]).first { $0.type == CrossSigningKeyType.master }?
                .publicKey
        }
        for key in uploaded where key.type != CrossSigningKeyType.master {
            guard let master else { throw MatrixError(.missingParam, "A master key is needed to sign the \(key.type) key") }
            try verify(key.object, signedBy: userID, keyID: "ed25519:" + master, publicKey: master)
        }
        _ = try await keys.putCrossSigningKeys(
            uploaded.map { StoredCrossSigningKey(userID: userID, type: $0.type, publicKey: $0.publicKey,
                                                 json: $0.object.jsonString()) },
            of: userID
        )
        await deviceKeys.announceDeviceListChange(of: userID)
    }

    /// The `master_key`, `self_signing_key` and `user_signing_key` of an upload, each for the
    /// user, with its usage and exactly one ed25519 key (`400 M_INVALID_PARAM` otherwise).
    private func parseKeys(_ body: JSONObject, of userID: UserID) throws -> [ParsedKey] {
        let types = [CrossSigningKeyType.master, CrossSigningKeyType.selfSigning, CrossSigningKeyType.userSigning]
        return try types.compactMap { type in
            guard let object = try body.object(type + "_key") else { return nil }
            guard try object.string("user_id") == userID.description else {
                throw MatrixError(.invalidParam, "The \(type) key must be for \(userID)")
            }
            guard try object.stringArray("usage")?.contains(type) == true else {
                throw MatrixError(.invalidParam, "The \(type) key's usage must include '\(type)'")
            }
            guard let keyMap = try object.object("keys"), keyMap.count == 1,
                  let (keyID, value) = keyMap.first(where: { _ in true }), let publicKey = value.stringValue,
                  keyID == "ed25519:" + publicKey else {
                throw MatrixError(.invalidParam, "The \(type) key must hold one key, 'ed25519:<public key>'")
            }
            return ParsedKey(type: type, publicKey: publicKey, object: object)
        }
    }

    // MARK: - Signatures

    /// Stores the signatures of a `/keys/signatures/upload` body (`{user: {key ID: signed key}}`)
    /// and returns the failures, by user and key ID.
    public func uploadSignatures(_ body: JSONObject, by requester: Requester) async throws -> JSONObject {
        let signer = requester.userID.description
        let ownKeys = try await keys.crossSigningKeys(of: [signer])
        var accepted: [KeySignature] = []
        var failures = JSONObject()
        for (targetUser, signedKeys) in body {
            guard let signedKeys = signedKeys.objectValue else {
                throw MatrixError(.invalidParam, "Signatures for \(targetUser) must be an object")
            }
            for (keyID, signed) in signedKeys {
                do {
                    _ = try keyID.rejectingNUL("A key ID")
                    guard let signed = signed.objectValue else {
                        throw MatrixError(.invalidParam, "The signed key must be an object")
                    }
                    accepted += try await signatures(of: signed, target: targetUser, keyID: keyID, by: signer,
                                                     ownKeys: ownKeys)
                } catch let error as MatrixError {
                    var userFailures = failures[targetUser]?.objectValue ?? [:]
                    userFailures[keyID] = error.body
                    failures[targetUser] = .object(userFailures)
                }
            }
        }
        if !accepted.isEmpty {
            _ = try await keys.putSignatures(accepted, by: signer)
            await deviceKeys.announceDeviceListChange(of: signer)
        }
        return failures
    }

    /// The checked signatures by `signer` in `signed`, the key `keyID` of `target`.
    private func signatures(
        of signed: JSONObject, target: String, keyID: String, by signer: String, ownKeys: [StoredCrossSigningKey]
    ) async throws -> [KeySignature] {
        let stored = try await storedKey(of: target, keyID: keyID)
        guard try JSONSigning.signingBytes(of: stored) == JSONSigning.signingBytes(of: signed) else {
            throw MatrixError(.invalidSignature, "The signed key does not match the stored key")
        }
        let signingKeys: [(keyID: String, publicKey: String)]
        if target != signer {
            // Another user's master key, by the signer's user-signing key.
            signingKeys = ownKeys.filter { $0.type == CrossSigningKeyType.userSigning }
                .map { ("ed25519:" + $0.publicKey, $0.publicKey) }
        } else if ownKeys.contains(where: { $0.type == CrossSigningKeyType.master && $0.publicKey == keyID }) {
            // The signer's own master key, by one of their devices.
            signingKeys = try await deviceSigningKeys(of: signer)
        } else {
            // One of the signer's devices, by their self-signing key.
            signingKeys = ownKeys.filter { $0.type == CrossSigningKeyType.selfSigning }
                .map { ("ed25519:" + $0.publicKey, $0.publicKey) }
        }
        let offered = signed["signatures"]?[signer]?.objectValue ?? [:]
        var result: [KeySignature] = []
        for (signerKeyID, signature) in offered {
            _ = try signerKeyID.rejectingNUL("A key ID")
            guard let signingKey = signingKeys.first(where: { $0.keyID == signerKeyID }),
                  let signature = signature.stringValue else { continue }
            try verify(signed, signedBy: signer, keyID: signerKeyID, publicKey: signingKey.publicKey)
            result.append(KeySignature(signerUserID: signer, signerKeyID: signerKeyID, targetUserID: target,
                                       targetKeyID: keyID, signature: signature))
        }
        guard !result.isEmpty else {
            throw MatrixError(.invalidSignature, "No signature by a key that may sign this key")
        }
        return result
    }

    /// The stored device keys or master key of `userID` named `keyID` (`404` when unknown).
    private func storedKey(of userID: String, keyID: String) async throws -> JSONObject {
        if let device = try await keys.deviceKeys(of: [userID]).first(where: { $0.deviceID == keyID }) {
            return try DeviceKeyService.object(device.json)
        }
        if let master = try await keys.crossSigningKeys(of: [userID])
            .first(where: { $0.type == CrossSigningKeyType.master && $0.publicKey == keyID }) {
            return try DeviceKeyService.object(master.json)
        }
        throw MatrixError(.notFound, "Unknown key \(keyID) of \(userID)")
    }

    /// The ed25519 keys of the user's devices, as `(ed25519:<device ID>, public key)`.
    private func deviceSigningKeys(of userID: String) async throws -> [(keyID: String, publicKey: String)] {
        try await keys.deviceKeys(of: [userID]).compactMap { device in
            let keyID = "ed25519:" + device.deviceID
            guard let publicKey = try DeviceKeyService.object(device.json)["keys"]?[keyID]?.stringValue else {
                return nil
            }
            return (keyID, publicKey)
        }
    }

    private func verify(_ object: JSONObject, signedBy userID: String, keyID: String, publicKey: String) throws {
        guard let bytes = Base64.decode(publicKey) else {
            throw MatrixError(.invalidParam, "Key \(keyID) is not base64")
        }
        do {
            try JSONSigning.verify(object, serverName: userID, keyID: keyID, publicKey: bytes)
        } catch {
            throw MatrixError(.invalidSignature, "Invalid signature by \(keyID): \(error)")
        }
    }
}
