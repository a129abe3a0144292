import ArgumentParser
import Foundation
import Homeserver
import HomeserverRuntime
import Logging
import MatrixCore
import Storage

/// `trellis register-user`: creates an account directly in the database, for the first admin
/// of a new server (no running worker needed; run `trellis migrate` first).
struct RegisterUserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register-user",
        abstract: "Create a user account in the database (like Synapse's register_new_matrix_user)."
    )

    @OptionGroup var options: ConfigOption

    @Option(help: "The new user's localpart, or full user ID on this server.")
    var user: String

    @Option(help: "The password; read from standard input when omitted (keeps it out of the process list).")
    var password: String?

    @Flag(help: "Make the user a server admin, allowed to use the admin API.")
    var admin = false

    func run() async throws {
        let config = try ConfigLoader.load(path: options.path)
        let settings = try config.accountSettings()
        let localpart = try Self.localpart(of: user, on: settings.serverName)
        guard let password = password ?? readLine(strippingNewline: true), !password.isEmpty else {
            throw ValidationError("a password is required (--password, or one line on standard input)")
        }
        var logger = Logger(label: "trellis.register-user")
        // postgres-nio warns when the first query is queued before the pool task is scheduled; harmless here.
        logger.logLevel = .error
        let database = Database(settings: config.databaseSettings, logger: logger)
        let accounts = AccountService(store: AccountStore(database: database), settings: settings, logger: logger)
        let userID = try await database.whileRunning {
            do {
                return try await accounts.register(
                    localpart: localpart, password: password, inhibitLogin: true, isAdmin: admin,
                    checkingPasswordPolicy: false
                ).userID
            } catch let error as MatrixError {
                let message = "cannot register \(localpart): \(error.code) \(error.message)\n"
                FileHandle.standardError.write(Data(message.utf8))
                throw ExitCode.failure
            }
        }
        print("registered \(userID)\(admin ? " (server admin)" : "")")
    }

    /// `alice` or `@alice:server` (which must be this server) → `alice`.
    static func localpart(of user: String, on serverName: ServerName) throws -> String {
        guard user.hasPrefix("@") else { return user }
        guard let userID = try? UserID(parsing: user), userID.serverName == serverName else {
            throw ValidationError("\(user) is not a user ID on \(serverName)")
        }
        return String(userID.localpart)
    }
}
