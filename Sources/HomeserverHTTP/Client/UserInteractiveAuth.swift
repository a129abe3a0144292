import Homeserver
import MatrixCore
import MatrixCrypto

/// User-interactive authentication with the single-stage flows Trellis offers:
/// `m.login.dummy` for registration and `m.login.password` to confirm sensitive changes.
///
/// Each flow has one stage, so a request carrying a successful `auth` dict completes it; the
/// session ID is issued for clients that echo it, and needs no server-side state.
struct UserInteractiveAuth: Sendable {
    static let dummy = "m.login.dummy"
    static let password = "m.login.password"

    let accounts: AccountService

    /// Passes when `auth` is an `m.login.dummy` stage; otherwise answers with the challenge.
    func requireDummy(_ body: JSONObject) throws {
        guard let auth = try body.object("auth"), let type = try auth.string("type") else {
            throw challenge([Self.dummy], session: nil)
        }
        guard type == Self.dummy else {
            throw challenge([Self.dummy], session: try auth.string("session"),
                            failure: MatrixError(.unrecognized, "Unsupported authentication type \(type)"))
        }
    }

    /// Passes when `auth` proves the requester's password; otherwise answers with the challenge.
    func requirePassword(_ body: JSONObject, of requester: Requester) async throws {
        guard let auth = try body.object("auth"), let type = try auth.string("type") else {
            throw challenge([Self.password], session: nil)
        }
        let session = try auth.string("session")
        guard type == Self.password else {
            throw challenge([Self.password], session: session,
                            failure: MatrixError(.unrecognized, "Unsupported authentication type \(type)"))
        }
        let user = try auth.object("identifier")?.string("user") ?? auth.string("user") ?? requester.userID.description
        do {
            let userID = try await accounts.verifyPassword(user: user, password: try auth.requiredString("password"))
            guard userID == requester.userID else { throw MatrixError(.forbidden, "Invalid username or password") }
        } catch let error as MatrixError {
            throw challenge([Self.password], session: session, failure: error)
        }
    }

    private func challenge(_ stages: [String], session: String?, failure: MatrixError? = nil) -> AuthenticationChallenge {
        AuthenticationChallenge(flows: [stages], session: session ?? SecureToken.alphanumeric(24), failure: failure)
    }
}
