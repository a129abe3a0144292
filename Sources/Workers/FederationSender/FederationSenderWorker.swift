import HomeserverRuntime

/// The `trellis-federation-sender` worker process.
@main
struct FederationSenderWorker {
    static func main() {
        HomeserverRuntime.main(.federationSender)
    }
}
