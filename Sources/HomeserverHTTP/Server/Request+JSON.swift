import Hummingbird
import MatrixCore

extension Request {
    /// The body as a JSON object, or the spec's error for a body that is not one.
    ///
    /// `M_NOT_JSON` for bytes that do not parse, `M_BAD_JSON` for valid JSON that is not an object.
    /// The body has already been collected under the size limit by `BodyLimitMiddleware`.
    public func jsonObject() async throws -> JSONObject {
        let buffer = try await body.collect(upTo: .max)
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
