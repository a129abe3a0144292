import Foundation

/// Where the services and files that `make test` prepared are, read from the environment.
///
/// `scripts/test.sh` exports these; running `swift test` by hand needs the same variables
/// (or a local PostgreSQL/Redis on the defaults).
public enum TestEnvironment {
    static var variables: [String: String] { ProcessInfo.processInfo.environment }

    public static var postgresHost: String { variables["TRELLIS_TEST_POSTGRES_HOST"] ?? "127.0.0.1" }
    public static var postgresPort: Int { variables["TRELLIS_TEST_POSTGRES_PORT"].flatMap(Int.init) ?? 55433 }
    public static var redisHost: String { variables["TRELLIS_TEST_REDIS_HOST"] ?? "127.0.0.1" }
    public static var redisPort: Int { variables["TRELLIS_TEST_REDIS_PORT"].flatMap(Int.init) ?? 56380 }

    /// The repository root: `$TRELLIS_REPO_ROOT`, else found from this source file's path.
    public static var repositoryRoot: URL {
        if let root = variables["TRELLIS_REPO_ROOT"] { return URL(fileURLWithPath: root) }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The Python with matrix-nio that drives the client library tests: `$TRELLIS_TEST_PYTHON`,
    /// else the virtualenv `make test` creates.
    public static var python: String {
        variables["TRELLIS_TEST_PYTHON"] ?? repositoryRoot.appendingPathComponent(".test-run/python/bin/python").path
    }

    /// Directory of the built executables: `$TRELLIS_BIN_DIR`, else `.build/debug`.
    public static var binaryDirectory: URL {
        if let directory = variables["TRELLIS_BIN_DIR"] { return URL(fileURLWithPath: directory) }
        return repositoryRoot.appendingPathComponent(".build/debug")
    }
}
