import HomeserverRuntime

/// The `trellis-push` worker process.
@main
struct PushWorker {
    static func main() async {
        await HomeserverRuntime.run(.push)
    }
}
