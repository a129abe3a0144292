import Foundation
import MatrixAPI
import MatrixCore
import MatrixCrypto

/// The TURN server and credentials handed to each user for VoIP (`/voip/turnServer`).
///
/// With a shared secret, credentials follow coturn's REST API (`use-auth-secret`), as Synapse
/// issues them: the username is `<expiry>:<user ID>` and the password the Base64 HMAC-SHA1 of
/// the username keyed by the secret, so the TURN server checks them without asking Trellis and
/// they stop working at the expiry. Otherwise every user gets the same static credentials.
public struct TURNCredentials: Sendable {
    /// How credentials are made.
    public enum Source: Sendable, Equatable {
        case fixed(username: String, password: String)
        case sharedSecret(String)
    }

    public let uris: [String]
    public let source: Source?
    public let lifetimeSeconds: Int

    public init(uris: [String], source: Source?, lifetimeSeconds: Int) {
        self.uris = uris
        self.source = source
        self.lifetimeSeconds = lifetimeSeconds
    }

    /// The server and credentials for `userID`; `nil` when no TURN server is configured.
    public func server(for userID: UserID, now: Date = Date()) -> TURNServer? {
        guard !uris.isEmpty, let source else { return nil }
        switch source {
        case .fixed(let username, let password):
            return TURNServer(uris: uris, username: username, password: password, lifetimeSeconds: lifetimeSeconds)
        case .sharedSecret(let secret):
            let expiry = Int64(now.timeIntervalSince1970) + Int64(lifetimeSeconds)
            let username = "\(expiry):\(userID)"
            let mac = HMAC.sha1(key: Array(secret.utf8), message: Array(username.utf8))
            return TURNServer(uris: uris, username: username, password: Self.paddedBase64(mac),
                              lifetimeSeconds: lifetimeSeconds)
        }
    }

    /// Standard Base64 with `=` padding, which coturn expects (Matrix's own is unpadded).
    static func paddedBase64(_ bytes: [UInt8]) -> String {
        let unpadded = Base64.encodeUnpadded(bytes)
        return unpadded + String(repeating: "=", count: (4 - unpadded.count % 4) % 4)
    }
}
