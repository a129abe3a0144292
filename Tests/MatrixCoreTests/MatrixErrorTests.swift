import MatrixCore
import Testing

@Suite("Matrix errors")
struct MatrixErrorTests {
    @Test("body holds errcode, error and extra fields")
    func body() {
        let error = MatrixError(.limitExceeded, "Too many requests", extra: ["retry_after_ms": 2000])
        #expect(error.body == ["errcode": "M_LIMIT_EXCEEDED", "error": "Too many requests", "retry_after_ms": 2000])
        #expect(MatrixError(.forbidden, "no").body.jsonString() == #"{"errcode":"M_FORBIDDEN","error":"no"}"#)
    }

    @Test("errcode and error take precedence over extra fields of the same name")
    func precedence() {
        let error = MatrixError(.notFound, "gone", extra: ["errcode": "X"])
        #expect(error.body["errcode"] == "M_NOT_FOUND")
    }
}
