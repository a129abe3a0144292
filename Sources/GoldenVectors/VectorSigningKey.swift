import MatrixCore
import MatrixCrypto

/// The signing key a vector file declares (`seed`, `key_id`, `server_name`).
struct VectorSigningKey {
    let serverName: String
    let keyID: String
    let key: Ed25519SigningKey

    init(_ file: JSONObject) throws {
        serverName = try file.required("server_name")
        keyID = try file.required("key_id")
        guard let seed = Base64.decode(try file.required("seed")) else {
            throw VectorFormatError(file: "", problem: "seed is not Base64")
        }
        key = try Ed25519SigningKey(seed: seed)
    }
}
