import HomeserverRuntime

/// The `trellis-federation-reader` worker process.
@main
struct FederationReaderWorker {
    static func main() {
        HomeserverRuntime.main(.federationReader)
    }
}
