import Hummingbird
import MatrixCore

extension Response {
    /// A JSON response with the given status.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: value.jsonString()))
        )
    }
}

extension JSONValue: ResponseGenerator {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        .json(self)
    }
}

extension JSONObject: ResponseGenerator {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        .json(.object(self))
    }
}
