import HomeserverRuntime

/// The `trellis-federation-sender` worker process.
@main
struct FederationSenderWorker {
    static func main() async {
        await HomeserverRuntime.run(.federationSender)
    }
}
