import Logging
import Replication

/// Announces committed changes on replication streams, after `COMMIT`.
///
/// Redis is only the wake-up (DESIGN.md invariant 2): an entry names what changed and its
/// PostgreSQL position, readers fetch the change from PostgreSQL, and a failed `XADD` is logged
/// rather than failing the request, since readers catch up by position.
struct StreamAnnouncer: Sendable {
    let publisher: StreamPublisher
    let logger: Logger

    /// Appends `fields` to `stream`, logging a failure.
    func announce(_ stream: StreamName, _ fields: [String: String]) async {
        do {
            _ = try await publisher.publish(stream, fields: fields)
        } catch {
            logger.warning("could not announce a change; readers catch up from PostgreSQL",
                           metadata: ["stream": "\(stream)", "fields": "\(fields)", "error": "\(error)"])
        }
    }
}
