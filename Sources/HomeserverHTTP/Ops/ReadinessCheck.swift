/// One dependency that must answer before a worker takes traffic (PostgreSQL, Redis, schema).
public struct ReadinessCheck: Sendable {
    public let name: String
    /// Throws when the dependency is not usable.
    public let probe: @Sendable () async throws -> Void

    public init(name: String, probe: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.probe = probe
    }
}
