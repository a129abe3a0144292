import MatrixCore

/// The `Authorization: X-Matrix …` header of a federation request.
///
/// https://spec.matrix.org/v1.16/server-server-api/#request-authentication
///
/// ```
/// X-Matrix origin="origin.example.org",destination="dest.example.org",key="ed25519:1",sig="ABC…"
/// ```
public struct XMatrixAuthorization: Sendable, Equatable {
    /// The requesting server.
    public var origin: String
    /// The receiving server; optional in older senders.
    public var destination: String?
    /// The signing key ID, e.g. `ed25519:1`.
    public var key: String
    /// Unpadded Base64 signature of ``signingObject(method:uri:origin:destination:content:)``.
    public var signature: String

    /// Why a header could not be parsed.
    public enum ParseError: Error, Sendable, Equatable {
        case notXMatrix
        case missingParameter(String)
        case malformedParameter(String)
    }

    public init(origin: String, destination: String?, key: String, signature: String) {
        self.origin = origin
        self.destination = destination
        self.key = key
        self.signature = signature
    }

    /// Parses a header value. The scheme is case-insensitive; parameter values may be quoted
    /// (with `\` escapes) or bare; unknown parameters are ignored.
    public init(parsing header: String) throws(ParseError) {
        let trimmed = header.drop { $0 == " " }
        guard let space = trimmed.firstIndex(of: " "),
              trimmed[..<space].lowercased() == "x-matrix"
        else { throw .notXMatrix }
        var parameters: [String: String] = [:]
        for part in Self.splitParameters(trimmed[trimmed.index(after: space)...]) {
            guard let equals = part.firstIndex(of: "=") else { throw .malformedParameter(String(part)) }
            let name = part[..<equals].trimmingSpaces().lowercased()
            parameters[name] = Self.unquote(part[part.index(after: equals)...].trimmingSpaces())
        }
        guard let origin = parameters["origin"] else { throw .missingParameter("origin") }
        guard let key = parameters["key"] else { throw .missingParameter("key") }
        guard let signature = parameters["sig"] else { throw .missingParameter("sig") }
        self.init(origin: origin, destination: parameters["destination"], key: key, signature: signature)
    }

    /// The header value, with every parameter quoted.
    public var headerValue: String {
        var parameters = ["origin=\(Self.quote(origin))"]
        if let destination { parameters.append("destination=\(Self.quote(destination))") }
        parameters.append("key=\(Self.quote(key))")
        parameters.append("sig=\(Self.quote(signature))")
        return "X-Matrix " + parameters.joined(separator: ",")
    }

    /// The JSON object whose signature authenticates a request: `method`, `uri` (path and
    /// query as sent), `origin`, `destination` and, if the request has a body, `content`.
    public static func signingObject(
        method: String, uri: String, origin: String, destination: String, content: JSONValue? = nil
    ) -> JSONObject {
        var object: JSONObject = [
            "method": .string(method), "uri": .string(uri),
            "origin": .string(origin), "destination": .string(destination),
        ]
        if let content { object["content"] = content }
        return object
    }

    /// Signs a request and returns its authorization header.
    public static func sign(
        method: String, uri: String, origin: String, destination: String, content: JSONValue? = nil,
        keyID: String, key: Ed25519SigningKey
    ) throws(CanonicalJSONError) -> XMatrixAuthorization {
        let object = signingObject(method: method, uri: uri, origin: origin, destination: destination, content: content)
        let signature = key.sign(try JSONSigning.signingBytes(of: object))
        return XMatrixAuthorization(
            origin: origin, destination: destination, key: keyID, signature: Base64.encodeUnpadded(signature))
    }

    /// Verifies this header for a received request, given the origin's public key for ``key``.
    /// `destination` is our own server name (used when the header omits it).
    public func verify(
        method: String, uri: String, destination ownServerName: String, content: JSONValue?, publicKey: [UInt8]
    ) throws(SignatureVerificationError) {
        var object = Self.signingObject(
            method: method, uri: uri, origin: origin, destination: destination ?? ownServerName, content: content)
        object["signatures"] = [origin: [key: .string(signature)]]
        try JSONSigning.verify(object, serverName: origin, keyID: key, publicKey: publicKey)
    }

    /// Splits on commas that are outside quotes.
    private static func splitParameters(_ text: Substring) -> [Substring] {
        var parts: [Substring] = []
        var start = text.startIndex, inQuotes = false, escaped = false
        for index in text.indices {
            let character = text[index]
            if escaped { escaped = false; continue }
            switch character {
            case "\\" where inQuotes: escaped = true
            case "\"": inQuotes.toggle()
            case "," where !inQuotes:
                parts.append(text[start..<index])
                start = text.index(after: index)
            default: break
            }
        }
        parts.append(text[start...])
        return parts.filter { !$0.trimmingSpaces().isEmpty }
    }

    private static func unquote(_ value: Substring) -> String {
        guard value.count >= 2, value.first == "\"", value.last == "\"" else { return String(value) }
        var result = ""
        var escaped = false
        for character in value.dropFirst().dropLast() {
            if escaped || character != "\\" {
                result.append(character)
                escaped = false
            } else {
                escaped = true
            }
        }
        return result
    }

    private static func quote(_ value: String) -> String {
        var quoted = "\""
        for character in value {
            if character == "\\" || character == "\"" { quoted.append("\\") }
            quoted.append(character)
        }
        return quoted + "\""
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
