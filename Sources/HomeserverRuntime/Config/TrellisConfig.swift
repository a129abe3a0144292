import Homeserver

/// The whole configuration of a Trellis process, read from one YAML file.
///
/// Every key is documented in `config/trellis.example.yaml`; `TrellisConfig.defaultsYAML`
/// holds the default of each. Environment variables `TRELLIS__SECTION__KEY` override the
/// file (see `ConfigLoader`), which is how Kubernetes sets per-pod values.
public struct TrellisConfig: Codable, Sendable, Equatable {
    /// The server name in user IDs and room aliases, e.g. `example.org`.
    public var serverName: String
    /// The URL clients use to reach the client API, announced in `.well-known/matrix/client`.
    public var publicBaseURL: String
    /// File holding the server's ed25519 signing key in Synapse's format.
    public var signingKeyPath: String
    /// Shared secret for admin registration (`/_synapse/admin/v1/register`); unset disables it.
    public var registrationSharedSecret: String?
    /// `host[:port]` served at `.well-known/matrix/server`; unset serves 404 there.
    public var federationDelegate: String?
    public var worker: Worker
    public var database: Database
    public var redis: Redis
    public var limits: Limits
    public var logging: Logging
    public var accounts: Accounts
    public var rooms: Rooms
    public var rateLimits: RateLimits
    public var turn: TURN
    public var sync: Sync
    public var media: Media
    public var federation: Federation

    /// Requests to other servers.
    public struct Federation: Codable, Sendable, Equatable {
        /// Servers reached at a fixed base URL instead of being resolved: for tests and
        /// private networks.
        public var destinationOverrides: [DestinationOverride]
        /// How long a request to another server may take, body included.
        public var requestTimeoutSeconds: Int
        /// Addresses (CIDR) other servers are never reached at, unless also in
        /// `allowed_ip_ranges`; overrides are exempt.
        public var deniedIPRanges: [String]
        public var allowedIPRanges: [String]

        /// `server_name` is reached at `base_url` (e.g. `http://127.0.0.1:8448`).
        public struct DestinationOverride: Codable, Sendable, Equatable {
            public var serverName: String
            public var baseURL: String

            enum CodingKeys: String, CodingKey {
                case serverName = "server_name"
                case baseURL = "base_url"
            }
        }

        enum CodingKeys: String, CodingKey {
            case destinationOverrides = "destination_overrides"
            case requestTimeoutSeconds = "request_timeout_seconds"
            case deniedIPRanges = "denied_ip_ranges"
            case allowedIPRanges = "allowed_ip_ranges"
        }
    }

    /// The media repository (the media worker).
    public struct Media: Codable, Sendable, Equatable {
        /// Directory of the media files; replicas of the media worker must share it.
        public var storagePath: String
        /// Largest upload accepted, in bytes (announced as `m.upload.size`).
        public var maxUploadBytes: Int
        /// Images with more decoded pixels than this (all frames counted) are not thumbnailed.
        public var maxImagePixels: Int
        /// The thumbnail sizes made; a request gets the best fit.
        public var thumbnailSizes: [ThumbnailSize]
        /// Whether every size is made right after an image is uploaded, not on first request.
        public var thumbnailsOnUpload: Bool
        /// How long an ID from `POST /_matrix/media/v1/create` waits for its upload.
        public var pendingUploadLifetimeSeconds: Int
        /// Pending `create` IDs one user may hold at once.
        public var maxPendingUploadsPerUser: Int
        /// Whether media stored from now on is served only through the authenticated endpoints
        /// (`/_matrix/client/v1/media`); earlier media stays available on the legacy ones.
        public var freezeUnauthenticatedMedia: Bool
        /// The longest a download waits for a pending upload, whatever `timeout_ms` asks.
        public var maxDownloadWaitSeconds: Int
        public var urlPreviews: URLPreviews

        /// `GET /media/preview_url`: off unless enabled.
        public struct URLPreviews: Codable, Sendable, Equatable {
            public var enabled: Bool
            /// Addresses never fetched (CIDR), unless also in `allowed_ip_ranges`.
            public var deniedIPRanges: [String]
            public var allowedIPRanges: [String]
            /// Largest page or image fetched, in bytes.
            public var maxBytes: Int
            public var timeoutSeconds: Int

            enum CodingKeys: String, CodingKey {
                case enabled
                case deniedIPRanges = "denied_ip_ranges"
                case allowedIPRanges = "allowed_ip_ranges"
                case maxBytes = "max_bytes"
                case timeoutSeconds = "timeout_seconds"
            }
        }

        enum CodingKeys: String, CodingKey {
            case storagePath = "storage_path"
            case maxUploadBytes = "max_upload_bytes"
            case maxImagePixels = "max_image_pixels"
            case thumbnailSizes = "thumbnail_sizes"
            case thumbnailsOnUpload = "thumbnails_on_upload"
            case pendingUploadLifetimeSeconds = "pending_upload_lifetime_seconds"
            case maxPendingUploadsPerUser = "max_pending_uploads_per_user"
            case freezeUnauthenticatedMedia = "freeze_unauthenticated_media"
            case maxDownloadWaitSeconds = "max_download_wait_seconds"
            case urlPreviews = "url_previews"
        }
    }

    /// `/sync` and what it carries.
    public struct Sync: Codable, Sendable, Equatable {
        /// The longest a `/sync` waits for a change, whatever its `timeout` asks.
        public var maximumTimeoutSeconds: Int
        /// Whether presence is tracked and delivered; large deployments often turn it off.
        public var presenceEnabled: Bool

        enum CodingKeys: String, CodingKey {
            case maximumTimeoutSeconds = "maximum_timeout_seconds"
            case presenceEnabled = "presence_enabled"
        }
    }

    /// Token buckets shared by all replicas through Redis; `null` turns one off.
    public struct RateLimits: Codable, Sendable, Equatable {
        public var message: Bucket?
        public var registration: Bucket?
        public var login: Bucket?
        public var joins: Bucket?

        /// `burst_count` requests at once, refilled at `per_second`.
        public struct Bucket: Codable, Sendable, Equatable {
            public var perSecond: Double
            public var burstCount: Int

            enum CodingKeys: String, CodingKey {
                case perSecond = "per_second"
                case burstCount = "burst_count"
            }
        }
    }

    /// Registration, passwords and tokens.
    public struct Accounts: Codable, Sendable, Equatable {
        /// Whether anyone may register through `POST /register` (with `m.login.dummy`).
        public var registrationEnabled: Bool
        public var minimumPasswordLength: Int
        /// Argon2id passes over memory for new password hashes.
        public var passwordHashOperations: Int
        /// Argon2id memory per password hash, in KiB.
        public var passwordHashMemoryKiB: Int
        /// Lifetime of access tokens issued together with a refresh token.
        public var refreshableAccessTokenLifetimeSeconds: Int

        enum CodingKeys: String, CodingKey {
            case registrationEnabled = "registration_enabled"
            case minimumPasswordLength = "minimum_password_length"
            case passwordHashOperations = "password_hash_operations"
            case passwordHashMemoryKiB = "password_hash_memory_kib"
            case refreshableAccessTokenLifetimeSeconds = "refreshable_access_token_lifetime_seconds"
        }
    }

    /// Room creation.
    public struct Rooms: Codable, Sendable, Equatable {
        /// The version of rooms created without `room_version`.
        public var defaultVersion: String

        enum CodingKeys: String, CodingKey {
            case defaultVersion = "default_version"
        }
    }

    /// The TURN server announced to clients for VoIP (`/voip/turnServer`).
    public struct TURN: Codable, Sendable, Equatable {
        /// `turn:`/`turns:`/`stun:` URIs; empty announces no server.
        public var uris: [String]
        /// Static credentials shared by every user (coturn's long-term credentials).
        public var username: String?
        public var password: String?
        /// coturn's `static-auth-secret`: each user gets time-limited credentials made from it.
        public var sharedSecret: String?
        /// How long clients may use the credentials before asking again, in seconds.
        public var userLifetimeSeconds: Int

        enum CodingKeys: String, CodingKey {
            case uris, username, password
            case sharedSecret = "shared_secret"
            case userLifetimeSeconds = "user_lifetime_seconds"
        }
    }

    /// This process: its instance name and where it listens.
    public struct Worker: Codable, Sendable, Equatable {
        /// Unique name of this instance, e.g. `client-api-1` (the pod name on Kubernetes).
        public var name: String
        public var listenHost: String
        public var listenPort: Int
        /// Port of `/health`, `/ready` and `/metrics`.
        public var metricsPort: Int
        /// This instance's shard of the work of a sharded kind (the federation sender and the
        /// pusher), from 0 to `shard_count - 1`; on Kubernetes the chart sets it from the pod's
        /// ordinal.
        public var shardIndex: Int
        /// How many instances share the work of a sharded kind.
        public var shardCount: Int

        enum CodingKeys: String, CodingKey {
            case name
            case listenHost = "listen_host"
            case listenPort = "listen_port"
            case metricsPort = "metrics_port"
            case shardIndex = "shard_index"
            case shardCount = "shard_count"
        }
    }

    public struct Database: Codable, Sendable, Equatable {
        public var host: String
        public var port: Int
        public var user: String
        public var password: String?
        public var name: String
        public var maxConnections: Int
        public var connectTimeoutSeconds: Int
        /// `disable`, `prefer`, `require` or `verify-full`, as libpq's `sslmode`.
        public var tlsMode: String
        /// PEM file of the certificate authorities `verify-full` trusts; unset uses the system's.
        public var tlsCAFile: String?

        enum CodingKeys: String, CodingKey {
            case host, port, user, password, name
            case maxConnections = "max_connections"
            case connectTimeoutSeconds = "connect_timeout_seconds"
            case tlsMode = "tls_mode"
            case tlsCAFile = "tls_ca_file"
        }
    }

    public struct Redis: Codable, Sendable, Equatable {
        public var host: String
        public var port: Int
        public var password: String?
        public var database: Int
    }

    public struct Limits: Codable, Sendable, Equatable {
        /// Largest request body accepted by the API listeners, in bytes.
        public var maxRequestBodyBytes: Int

        enum CodingKeys: String, CodingKey {
            case maxRequestBodyBytes = "max_request_body_bytes"
        }
    }

    public struct Logging: Codable, Sendable, Equatable {
        /// `trace`, `debug`, `info`, `notice`, `warning`, `error` or `critical`.
        public var level: String
        /// `json` (one object per line) or `text` (logfmt-style key=value).
        public var format: String
    }

    enum CodingKeys: String, CodingKey {
        case serverName = "server_name"
        case publicBaseURL = "public_baseurl"
        case signingKeyPath = "signing_key_path"
        case registrationSharedSecret = "registration_shared_secret"
        case federationDelegate = "federation_delegate"
        case worker, database, redis, limits, logging, accounts, rooms, turn, sync, media, federation
        case rateLimits = "rate_limits"
    }

    /// The default of every key; a file only needs what differs.
    static let defaultsYAML = """
        server_name: localhost
        public_baseurl: http://127.0.0.1:8008/
        signing_key_path: signing.key
        registration_shared_secret: null
        federation_delegate: null
        worker:
          name: main
          listen_host: 127.0.0.1
          listen_port: 8008
          metrics_port: 9000
          shard_index: 0
          shard_count: 1
        database:
          host: 127.0.0.1
          port: 5432
          user: trellis
          password: null
          name: trellis
          max_connections: 20
          connect_timeout_seconds: 10
          tls_mode: disable
          tls_ca_file: null
        redis:
          host: 127.0.0.1
          port: 6379
          password: null
          database: 0
        limits:
          max_request_body_bytes: 52428800
        logging:
          level: info
          format: json
        accounts:
          registration_enabled: false
          minimum_password_length: 8
          password_hash_operations: 2
          password_hash_memory_kib: 65536
          refreshable_access_token_lifetime_seconds: 300
        rooms:
          default_version: "12"
        rate_limits:
          message: { per_second: 0.2, burst_count: 10 }
          registration: { per_second: 0.17, burst_count: 3 }
          login: { per_second: 0.003, burst_count: 5 }
          joins: { per_second: 0.1, burst_count: 10 }
        turn:
          uris: []
          username: null
          password: null
          shared_secret: null
          user_lifetime_seconds: 86400
        sync:
          maximum_timeout_seconds: 300
          presence_enabled: true
        media:
          storage_path: media_store
          max_upload_bytes: 52428800
          max_image_pixels: 32000000
          thumbnail_sizes:
            - { width: 32, height: 32, method: crop }
            - { width: 96, height: 96, method: crop }
            - { width: 320, height: 240, method: scale }
            - { width: 640, height: 480, method: scale }
            - { width: 800, height: 600, method: scale }
          thumbnails_on_upload: false
          pending_upload_lifetime_seconds: 86400
          max_pending_uploads_per_user: 5
          freeze_unauthenticated_media: true
          max_download_wait_seconds: 60
          url_previews:
            enabled: false
            denied_ip_ranges: &private_ranges [0.0.0.0/8, 10.0.0.0/8, 100.64.0.0/10, 127.0.0.0/8, 169.254.0.0/16, 172.16.0.0/12, 192.0.0.0/24, 192.0.2.0/24, 192.88.99.0/24, 192.168.0.0/16, 198.18.0.0/15, 198.51.100.0/24, 203.0.113.0/24, 224.0.0.0/4, 240.0.0.0/4, "::/128", "::1/128", "fe80::/10", "fc00::/7", "2001:db8::/32", "ff00::/8", "fec0::/10"]
            allowed_ip_ranges: []
            max_bytes: 10485760
            timeout_seconds: 10
        federation:
          destination_overrides: []
          request_timeout_seconds: 30
          denied_ip_ranges: *private_ranges
          allowed_ip_ranges: []
        """
}
