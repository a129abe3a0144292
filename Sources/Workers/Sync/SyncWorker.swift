import HomeserverRuntime

/// The `trellis-sync` worker process.
@main
struct SyncWorker {
    static func main() {
        HomeserverRuntime.main(.sync)
    }
}
