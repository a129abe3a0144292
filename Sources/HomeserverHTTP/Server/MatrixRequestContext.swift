import Hummingbird

/// The request context of every Matrix listener.
///
/// Body size is enforced by `BodyLimitMiddleware` with the configured limit, so the
/// context does not carry its own upload limit.
public struct MatrixRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}
