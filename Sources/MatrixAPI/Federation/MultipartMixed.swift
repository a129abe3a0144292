/// The `multipart/mixed` bodies of the federation media endpoints (RFC 2046): a JSON metadata
/// part, then the file (or a part whose `Location` header says where to fetch it).
///
/// Spec: https://spec.matrix.org/v1.16/server-server-api/#get_matrixfederationv1mediadownloadmediaid
public enum MultipartMixed {
    /// One part: its headers (names as sent) and its body.
    public struct Part: Sendable, Equatable {
        public var headers: [String: String]
        public var body: [UInt8]

        public init(headers: [String: String], body: [UInt8]) {
            self.headers = headers
            self.body = body
        }

        /// A header by case-insensitive name.
        public func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
    }

    /// Why a body is not the multipart body its `Content-Type` announced.
    public enum ParseError: Error, Sendable, Equatable {
        case missingBoundary
        case malformed(String)
    }

    /// The `Content-Type` of a body with `boundary`.
    public static func contentType(boundary: String) -> String {
        "multipart/mixed; boundary=\(boundary)"
    }

    /// The boundary a `multipart/mixed` content type declares.
    public static func boundary(inContentType contentType: String) -> String? {
        let parameters = contentType.split(separator: ";").map { $0.trimmingSpaces() }
        guard parameters.first?.lowercased() == "multipart/mixed" else { return nil }
        for parameter in parameters.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingSpaces().lowercased() == "boundary" else { continue }
            var value = pair[1].trimmingSpaces()
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            return value.isEmpty ? nil : value
        }
        return nil
    }

    /// The bytes that open a part: its delimiter line, headers and the blank line. The first
    /// part's delimiter starts the body; later ones follow the previous part's body.
    public static func partHead(boundary: String, headers: [(name: String, value: String)], isFirst: Bool) -> [UInt8] {
        var text = isFirst ? "" : "\r\n"
        text += "--\(boundary)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        return Array((text + "\r\n").utf8)
    }

    /// The bytes that close the body after the last part.
    public static func closing(boundary: String) -> [UInt8] {
        Array("\r\n--\(boundary)--\r\n".utf8)
    }

    /// The parts of `body`; a preamble before the first delimiter and an epilogue are ignored.
    public static func parse(_ body: [UInt8], boundary: String) throws(ParseError) -> [Part] {
        let delimiter = Array("--\(boundary)".utf8)
        let nextDelimiter = Array("\r\n--\(boundary)".utf8)
        guard var position = body.firstRange(of: delimiter)?.upperBound else { throw .missingBoundary }
        var parts: [Part] = []
        while true {
            if body[position...].starts(with: Array("--".utf8)) { return parts }
            guard body[position...].starts(with: Array("\r\n".utf8)) else { throw .malformed("no line break after a delimiter") }
            position += 2
            // A part without headers starts with the blank line that ends them.
            let noHeaders = body[position...].starts(with: Array("\r\n".utf8))
            guard let headerEnd = noHeaders ? position..<position + 2
                : body[position...].firstRange(of: Array("\r\n\r\n".utf8))
            else { throw .malformed("unterminated part headers") }
            let headers = try parseHeaders(body[position..<headerEnd.lowerBound])
            guard let end = body[headerEnd.upperBound...].firstRange(of: nextDelimiter) else {
                throw .malformed("no closing delimiter")
            }
            parts.append(Part(headers: headers, body: Array(body[headerEnd.upperBound..<end.lowerBound])))
            position = end.upperBound
        }
    }

    private static func parseHeaders(_ bytes: ArraySlice<UInt8>) throws(ParseError) -> [String: String] {
        var headers: [String: String] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\r\n") where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw .malformed("a part header without a colon") }
            headers[String(line[..<colon]).trimmingSpaces()] = String(line[line.index(after: colon)...]).trimmingSpaces()
        }
        return headers
    }
}

extension StringProtocol {
    fileprivate func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
