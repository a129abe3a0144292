import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MatrixCore
import Testing

@Suite("Errors at the HTTP edge")
struct ErrorResponseTests {
    @Test("an unknown path answers 404 M_UNRECOGNIZED", arguments: ["/", "/_matrix/client/v3/nope", "/x/y/z?q=1"])
    func unknownPath(path: String) async throws {
        try await TestApplication().run { client in
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.errcode == "M_UNRECOGNIZED")
                #expect(response.headers[.contentType] == "application/json")
            }
            try await client.execute(uri: path, method: .post, body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .notFound)
                #expect(response.errcode == "M_UNRECOGNIZED")
            }
        }
    }

    @Test("a known path with the wrong method answers 405 M_UNRECOGNIZED")
    func wrongMethod() async throws {
        try await TestApplication().run { client in
            try await client.execute(uri: "/_matrix/client/versions", method: .delete) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.errcode == "M_UNRECOGNIZED")
            }
        }
    }

    @Test("malformed JSON answers 400 M_NOT_JSON", arguments: ["{", "not json", "{\"a\":}", "{\"a\":1,}", "\u{0}"])
    func malformedJSON(body: String) async throws {
        try await TestApplication().run { client in
            try await client.execute(uri: "/_matrix/key/v2/query", method: .post, body: ByteBuffer(string: body)) {
                #expect($0.status == .badRequest)
                #expect($0.errcode == "M_NOT_JSON")
            }
        }
    }

    @Test("JSON that is not an object answers 400 M_BAD_JSON", arguments: ["[]", "1", "\"s\"", "null"])
    func nonObjectJSON(body: String) async throws {
        try await TestApplication().run { client in
            try await client.execute(uri: "/_matrix/key/v2/query", method: .post, body: ByteBuffer(string: body)) {
                #expect($0.status == .badRequest)
                #expect($0.errcode == "M_BAD_JSON")
            }
        }
    }

    @Test("a body over the limit answers 413 M_TOO_LARGE, on known and unknown paths")
    func bodyTooLarge() async throws {
        let body = ByteBuffer(repeating: UInt8(ascii: " "), count: TestApplication.maxBody + 1)
        try await TestApplication().run { client in
            for path in ["/_matrix/key/v2/query", "/_matrix/client/v3/unknown"] {
                try await client.execute(uri: path, method: .post, body: body) { response in
                    #expect(response.status == .contentTooLarge)
                    #expect(response.errcode == "M_TOO_LARGE")
                }
            }
        }
    }

    @Test("a body exactly at the limit is accepted and parsed")
    func bodyAtLimit() async throws {
        let padding = String(repeating: " ", count: TestApplication.maxBody - 2)
        try await TestApplication().run { client in
            try await client.execute(
                uri: "/_matrix/key/v2/query", method: .post, body: ByteBuffer(string: "{" + padding + "}")
            ) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test("every response names the worker kind and carries CORS headers")
    func commonHeaders() async throws {
        try await TestApplication().run { client in
            try await client.execute(uri: "/nope", method: .get, headers: [.origin: "https://app.element.io"]) { response in
                #expect(response.headers[HTTPField.Name("X-Trellis-Worker")!] == "test-worker")
                #expect(response.headers[.accessControlAllowOrigin] == "*")
            }
        }
    }
}
