import MatrixAPI
import Testing

@Suite("multipart/mixed bodies of the federation media API")
struct MultipartMixedTests {
    @Test("what partHead and closing write parses back into the same parts")
    func roundTrip() throws {
        let file: [UInt8] = Array("--boundary-lookalike\r\n\r\nbinary \u{0}\u{1} bytes".utf8)
        let body = MultipartMixed.partHead(boundary: "b1", headers: [("Content-Type", "application/json")], isFirst: true)
            + Array("{}".utf8)
            + MultipartMixed.partHead(boundary: "b1", headers: [("Content-Type", "image/png"),
                                                               ("Content-Disposition", "inline; filename=\"a.png\"")],
                                      isFirst: false)
            + file + MultipartMixed.closing(boundary: "b1")
        let parts = try MultipartMixed.parse(body, boundary: "b1")
        #expect(parts.count == 2)
        #expect(parts[0].header("content-type") == "application/json" && parts[0].body == Array("{}".utf8))
        #expect(parts[1].header("CONTENT-TYPE") == "image/png")
        #expect(parts[1].header("Content-Disposition") == "inline; filename=\"a.png\"")
        #expect(parts[1].body == file)
    }

    @Test("a preamble, a part without headers and a Location part, as other servers send them")
    func foreignBodies() throws {
        let body = Array("""
            This is the preamble.\r
            --xyz\r
            \r
            {"a":1}\r
            --xyz\r
            Location: https://cdn.example/f\r
            \r
            \r
            --xyz--\r
            epilogue
            """.utf8)
        let parts = try MultipartMixed.parse(body, boundary: "xyz")
        #expect(parts.map(\.body) == [Array(#"{"a":1}"#.utf8), []])
        #expect(parts[0].headers.isEmpty)
        #expect(parts[1].header("location") == "https://cdn.example/f")
    }

    @Test("boundaries come from the content type; broken bodies are errors")
    func errors() throws {
        #expect(MultipartMixed.boundary(inContentType: "multipart/mixed; boundary=abc") == "abc")
        #expect(MultipartMixed.boundary(inContentType: "Multipart/Mixed;Boundary=\"q r\"") == "q r")
        #expect(MultipartMixed.boundary(inContentType: "multipart/form-data; boundary=abc") == nil)
        #expect(MultipartMixed.boundary(inContentType: "multipart/mixed") == nil)
        #expect(throws: MultipartMixed.ParseError.missingBoundary) { try MultipartMixed.parse(Array("no parts".utf8), boundary: "b") }
        #expect(throws: MultipartMixed.ParseError.self) {
            try MultipartMixed.parse(Array("--b\r\nContent-Type: x\r\n\r\nunterminated".utf8), boundary: "b")
        }
    }
}
