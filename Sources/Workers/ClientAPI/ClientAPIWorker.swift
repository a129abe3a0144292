import HomeserverRuntime

/// The `trellis-client-api` worker process.
@main
struct ClientAPIWorker {
    static func main() {
        HomeserverRuntime.main(.clientAPI)
    }
}
