import HomeserverRuntime

/// The `trellis-media` worker process.
@main
struct MediaWorker {
    static func main() {
        HomeserverRuntime.main(.media)
    }
}
