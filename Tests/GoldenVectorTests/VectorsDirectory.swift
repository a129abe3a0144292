import Foundation

/// Where the golden vectors live: `$TRELLIS_VECTORS_DIR`, else `<repo>/../shared/vectors`,
/// where `<repo>` is the nearest ancestor of this file (symlinks resolved) holding `Package.swift`.
enum VectorsDirectory {
    static func resolve(filePath: String = #filePath) -> String {
        if let override = ProcessInfo.processInfo.environment["TRELLIS_VECTORS_DIR"], !override.isEmpty {
            return override
        }
        var directory = URL(fileURLWithPath: filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return directory.deletingLastPathComponent().appendingPathComponent("shared/vectors").path
            }
            directory.deleteLastPathComponent()
        }
        return "shared/vectors"
    }
}
