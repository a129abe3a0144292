import Hummingbird
import MatrixCore

extension Request {
    /// The body as a JSON object, or the spec's error for a body that is not one.
    ///
    /// `M_NOT_JSON` for bytes that do not parse, `M_BAD_JSON` for valid JSON that is not an object.
    /// The body has already been collected under the size limit by `BodyLimitMiddleware`.
    public func jsonObject() async throws -> JSONObject {
        try Self.object(in: try await body.collect(upTo: .max))
    }

    /// The body as a JSON object, or an empty object when there is no body (`DELETE` requests
    /// whose `auth` is optional).
    public func jsonObjectOrEmpty() async throws -> JSONObject {
        let buffer = try await body.collect(upTo: .max)
        return buffer.readableBytes == 0 ? [:] : try Self.object(in: buffer)
    }

    private static func object(in buffer: ByteBuffer) throws -> JSONObject {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: buffer.readableBytesView)
        } catch {
            throw MatrixError(.notJSON, "Content not JSON.")
        }
        guard let object = value.objectValue else {
            throw MatrixError(.badJSON, "Content must be a JSON object.")
        }
        return object
    }
}
