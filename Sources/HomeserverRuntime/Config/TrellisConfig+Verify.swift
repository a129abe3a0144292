import FederationClient
import MatrixEvents
import Logging
import MatrixCore

extension TrellisConfig {
    /// Every problem with the values, all at once, so an operator fixes them in one go.
    public func problems() -> [String] {
        var problems: [String] = []
        if (try? ServerName(parsing: serverName)) == nil {
            problems.append("server_name: '\(serverName)' is not a valid server name")
        }
        if !(publicBaseURL.hasPrefix("http://") || publicBaseURL.hasPrefix("https://")) {
            problems.append("public_baseurl: must start with http:// or https://")
        }
        if signingKeyPath.isEmpty { problems.append("signing_key_path: must not be empty") }
        if worker.name.isEmpty { problems.append("worker.name: must not be empty") }
        for (key, port) in [
            ("worker.listen_port", worker.listenPort), ("worker.metrics_port", worker.metricsPort),
            ("database.port", database.port), ("redis.port", redis.port),
        ] where !(1...65535).contains(port) {
            problems.append("\(key): \(port) is not a TCP port")
        }
        if worker.listenPort == worker.metricsPort {
            problems.append("worker.metrics_port: must differ from worker.listen_port")
        }
        if worker.shardCount < 1 { problems.append("worker.shard_count: must be at least 1") }
        if !(0..<max(worker.shardCount, 1)).contains(worker.shardIndex) {
            problems.append("worker.shard_index: \(worker.shardIndex) is not between 0 and shard_count - 1")
        }
        if databaseTLS == nil {
            problems.append("database.tls_mode: '\(database.tlsMode)' is not one of disable, prefer, require, verify-full")
        }
        if database.maxConnections < 1 { problems.append("database.max_connections: must be at least 1") }
        if database.connectTimeoutSeconds < 1 {
            problems.append("database.connect_timeout_seconds: must be at least 1")
        }
        if redis.database < 0 { problems.append("redis.database: must not be negative") }
        if limits.maxRequestBodyBytes < 1024 {
            problems.append("limits.max_request_body_bytes: must be at least 1024")
        }
        if accounts.minimumPasswordLength < 1 { problems.append("accounts.minimum_password_length: must be at least 1") }
        if accounts.passwordHashOperations < 1 { problems.append("accounts.password_hash_operations: must be at least 1") }
        if accounts.passwordHashMemoryKiB < 8 { problems.append("accounts.password_hash_memory_kib: must be at least 8") }
        if accounts.refreshableAccessTokenLifetimeSeconds < 1 {
            problems.append("accounts.refreshable_access_token_lifetime_seconds: must be at least 1")
        }
        if !RoomVersionID.stable.contains(RoomVersionID(rawValue: rooms.defaultVersion)) {
            problems.append("rooms.default_version: '\(rooms.defaultVersion)' is not a stable room version (1 to 12)")
        }
        let buckets = [("message", rateLimits.message), ("registration", rateLimits.registration),
                       ("login", rateLimits.login), ("joins", rateLimits.joins)]
        for case let (name, bucket?) in buckets where bucket.perSecond <= 0 || bucket.burstCount < 1 {
            problems.append("rate_limits.\(name): per_second must be positive and burst_count at least 1")
        }
        problems += turnProblems()
        problems += mediaProblems()
        if Logger.Level(rawValue: logging.level) == nil {
            problems.append("logging.level: '\(logging.level)' is not one of trace, debug, info, notice, warning, error, critical")
        }
        if !["json", "text"].contains(logging.format) {
            problems.append("logging.format: must be json or text")
        }
        return problems
    }

    /// The problems of the `media` section.
    private func mediaProblems() -> [String] {
        var problems: [String] = []
        if media.storagePath.isEmpty { problems.append("media.storage_path: must not be empty") }
        for (key, value) in [
            ("max_upload_bytes", media.maxUploadBytes), ("max_image_pixels", media.maxImagePixels),
            ("pending_upload_lifetime_seconds", media.pendingUploadLifetimeSeconds),
            ("max_pending_uploads_per_user", media.maxPendingUploadsPerUser),
        ] where value < 1 {
            problems.append("media.\(key): must be at least 1")
        }
        for override in federation.destinationOverrides where (try? ServerName(parsing: override.serverName)) == nil
            || !(override.baseURL.hasPrefix("http://") || override.baseURL.hasPrefix("https://")) {
            problems.append("federation.destination_overrides: '\(override.serverName)' must be a server name and "
                + "'\(override.baseURL)' an http(s) URL")
        }
        if federation.requestTimeoutSeconds < 1 { problems.append("federation.request_timeout_seconds: must be at least 1") }
        for range in media.urlPreviews.deniedIPRanges + media.urlPreviews.allowedIPRanges where IPRange(range) == nil {
            problems.append("media.url_previews: '\(range)' is not an IP range in CIDR notation")
        }
        for range in federation.deniedIPRanges + federation.allowedIPRanges where IPRange(range) == nil {
            problems.append("federation: '\(range)' is not an IP range in CIDR notation")
        }
        if media.urlPreviews.maxBytes < 1 || media.urlPreviews.timeoutSeconds < 1 {
            problems.append("media.url_previews: max_bytes and timeout_seconds must be at least 1")
        }
        if media.maxDownloadWaitSeconds < 0 { problems.append("media.max_download_wait_seconds: must not be negative") }
        for size in media.thumbnailSizes where size.width < 1 || size.height < 1 {
            problems.append("media.thumbnail_sizes: \(size.width)x\(size.height) is not a size")
        }
        return problems
    }

    /// The problems of the `turn` section.
    private func turnProblems() -> [String] {
        var problems: [String] = []
        for uri in turn.uris where !["turn:", "turns:", "stun:"].contains(where: uri.hasPrefix) {
            problems.append("turn.uris: '\(uri)' is not a turn:, turns: or stun: URI")
        }
        if !turn.uris.isEmpty && turn.sharedSecret == nil && (turn.username == nil || turn.password == nil) {
            problems.append("turn.shared_secret, or turn.username and turn.password: must be set when turn.uris is not empty")
        }
        if turn.userLifetimeSeconds < 1 { problems.append("turn.user_lifetime_seconds: must be at least 1") }
        return problems
    }
}
