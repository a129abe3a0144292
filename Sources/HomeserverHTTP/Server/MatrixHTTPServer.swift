import HTTPTypes
import Hummingbird
import Logging

/// Builds the two HTTP listeners of a worker: the Matrix API and the operations port.
public enum MatrixHTTPServer {
    /// Where a listener binds and what it accepts.
    public struct ListenerSettings: Sendable {
        public var host: String
        public var port: Int
        /// Largest request body accepted, in bytes; `nil` when the routes stream bodies and
        /// enforce their own limits (the media worker's uploads).
        public var maxRequestBodyBytes: Int?
        /// Worker kind named in the `X-Trellis-Worker` header.
        public var workerKind: String
        /// Headers added to every response of the listener, errors included.
        public var responseHeaders: HTTPFields

        public init(host: String, port: Int, maxRequestBodyBytes: Int?, workerKind: String,
                    responseHeaders: HTTPFields = [:]) {
            self.host = host
            self.port = port
            self.maxRequestBodyBytes = maxRequestBodyBytes
            self.workerKind = workerKind
            self.responseHeaders = responseHeaders
        }
    }

    /// A router with the middleware stack every Matrix listener shares.
    ///
    /// Order, outermost first: request metrics, worker and fixed headers, CORS (Matrix clients in
    /// browsers need it on every response), Matrix error rendering, body limit (unless bodies
    /// are streamed).
    public static func makeRouter(settings: ListenerSettings) -> Router<MatrixRequestContext> {
        let router = Router(context: MatrixRequestContext.self)
        router.add(middleware: RequestMetricsMiddleware())
        router.add(middleware: WorkerHeaderMiddleware(workerKind: settings.workerKind,
                                                      extraHeaders: settings.responseHeaders))
        router.add(
            middleware: CORSMiddleware(
                allowOrigin: .all,
                allowHeaders: [.accept, .authorization, .contentType, .origin, HTTPField.Name("X-Requested-With")!],
                allowMethods: [.get, .head, .post, .put, .delete, .options]
            )
        )
        router.add(middleware: MatrixErrorMiddleware())
        if let maxBytes = settings.maxRequestBodyBytes {
            router.add(middleware: BodyLimitMiddleware(maxBytes: maxBytes))
        }
        return router
    }

    /// An application serving `router` on the listener's address; it is a `Service`.
    ///
    /// Register every route before calling this: known paths then answer other methods with 405.
    public static func makeApplication(
        router: Router<MatrixRequestContext>,
        settings: ListenerSettings,
        name: String,
        logger: Logger
    ) -> some ApplicationProtocol {
        answerUnsupportedMethods(on: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: name),
            logger: logger
        )
    }

    /// Makes every registered path answer the methods it does not serve with `405 M_UNRECOGNIZED`
    /// instead of the router's 404, as the spec asks. `OPTIONS` stays with the CORS middleware.
    public static func answerUnsupportedMethods(on router: Router<MatrixRequestContext>) {
        let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .delete, .patch]
        let served = Dictionary(grouping: router.routes, by: { $0.path.description })
        for (_, routes) in served {
            let path = routes[0].path
            for method in methods where !routes.contains(where: { $0.method == method }) {
                router.on(path, method: method) { _, _ -> Response in throw UnsupportedMethodError() }
            }
        }
    }
}
