import HomeserverRuntime

/// The `trellis-sync` worker process.
@main
struct SyncWorker {
    static func main() async {
        await HomeserverRuntime.run(.sync)
    }
}
