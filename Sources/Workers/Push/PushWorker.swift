import HomeserverRuntime

/// The `trellis-push` worker process.
@main
struct PushWorker {
    static func main() {
        HomeserverRuntime.main(.push)
    }
}
