import Foundation

/// One numbered schema change, shipped as `Migrations/NNNN_description.sql`.
public struct Migration: Sendable, Equatable {
    /// The number that orders migrations; the schema version after this one is applied.
    public let version: Int
    /// The descriptive part of the file name.
    public let name: String
    /// The SQL run in one transaction.
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Parses a file name such as `0001_server_keys.sql`; `nil` for anything else.
    static func parseFileName(_ fileName: String) -> (version: Int, name: String)? {
        guard fileName.hasSuffix(".sql") else { return nil }
        let stem = fileName.dropLast(4)
        guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]), version > 0 else {
            return nil
        }
        return (version, String(stem[stem.index(after: underscore)...]))
    }

    /// The migrations shipped with this build, in version order.
    public static func bundled() throws -> [Migration] {
        guard let directory = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw MigrationError.resourcesMissing
        }
        return try load(from: directory)
    }

    /// Loads every `NNNN_name.sql` file of a directory, in version order; duplicate numbers are an error.
    public static func load(from directory: URL) throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        var migrations: [Migration] = []
        for file in files {
            guard let (version, name) = parseFileName(file) else { continue }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            migrations.append(Migration(version: version, name: name, sql: sql))
        }
        migrations.sort { $0.version < $1.version }
        for (previous, next) in zip(migrations, migrations.dropFirst()) where previous.version == next.version {
            throw MigrationError.duplicateVersion(next.version)
        }
        return migrations
    }
}

/// Why the schema could not be brought up to date.
public enum MigrationError: Error, Equatable, CustomStringConvertible {
    case resourcesMissing
    case duplicateVersion(Int)
    case databaseAhead(database: Int, build: Int)

    public var description: String {
        switch self {
        case .resourcesMissing: "the Migrations resource folder is missing from this build"
        case .duplicateVersion(let version): "two migrations share version \(version)"
        case .databaseAhead(let database, let build):
            "the database is at schema version \(database), newer than this build's \(build)"
        }
    }
}
