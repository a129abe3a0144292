import Foundation
import MatrixCrypto

/// Reads the server's signing key file (Synapse's format, `ed25519 a_XXXX <seed>`).
public enum SigningKeyLoader {
    public static func load(path: String) throws -> ServerSigningKey {
        let contents: String
        do {
            contents = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(problems: [
                "signing_key_path: cannot read \(path) (create one with `trellis generate-signing-key --output \(path)`)"
            ])
        }
        do {
            return try ServerSigningKey(fileContents: contents)
        } catch {
            throw ConfigError(problems: ["signing_key_path: \(path) is not a signing key file: \(error)"])
        }
    }
}
