/// The kinds of worker process, one executable each (see DESIGN.md, "What runs").
public enum WorkerKind: String, CaseIterable, Sendable {
    case clientAPI = "client-api"
    case sync
    case federationReader = "federation-reader"
    case federationSender = "federation-sender"
    case media
    case push

    /// Whether the load balancer sends client or federation traffic to this kind.
    ///
    /// The federation sender and the pusher only consume the bus; they listen on the
    /// operations port alone.
    public var servesTraffic: Bool {
        switch self {
        case .clientAPI, .sync, .federationReader, .media: true
        case .federationSender, .push: false
        }
    }
}
