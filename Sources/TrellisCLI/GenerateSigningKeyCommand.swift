import ArgumentParser
import Foundation
import MatrixCore
import MatrixCrypto

/// `trellis generate-signing-key`: writes a new ed25519 key in Synapse's file format.
struct GenerateSigningKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-signing-key",
        abstract: "Generate a server signing key (Synapse's format: `ed25519 a_XXXX <seed>`)."
    )

    @Option(name: .shortAndLong, help: "File to write; prints to standard output when omitted.")
    var output: String?

    @Flag(help: "Overwrite the output file if it exists.")
    var force = false

    func run() throws {
        let key = ServerSigningKey.generate()
        guard let output else {
            print(key.fileContents, terminator: "")
            return
        }
        if FileManager.default.fileExists(atPath: output), !force {
            throw ValidationError("\(output) exists; pass --force to replace it")
        }
        guard FileManager.default.createFile(
            atPath: output, contents: Data(key.fileContents.utf8), attributes: [.posixPermissions: 0o600]
        ) else {
            throw ValidationError("cannot write \(output)")
        }
        print("wrote \(key.keyID) (public key \(Base64.encodeUnpadded(key.key.publicKey))) to \(output)")
    }
}
