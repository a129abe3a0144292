import Foundation
import HomeserverTesting
import MatrixCore

/// An HTTP exchange made with the real `curl`, as an outside client would.
struct CurlResponse {
    var status: Int
    /// Header names in lower case.
    var headers: [String: String]
    var body: String

    var json: JSONValue { get throws { try JSONValue(parsing: body) } }
    var errcode: String? { (try? json)?["errcode"]?.stringValue }
}

enum Curl {
    static func request(
        _ url: String, method: String = "GET", body: Data? = nil, token: String? = nil
    ) async throws -> CurlResponse {
        var arguments = ["-sS", "-i", "--max-time", "30", "-X", method, "-H", "Expect:"]
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        var bodyFile: URL?
        if let body {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("curl-\(UUID().uuidString)")
            try body.write(to: file)
            bodyFile = file
            arguments += ["-H", "Content-Type: application/json", "--data-binary", "@" + file.path]
        }
        defer { bodyFile.map { try? FileManager.default.removeItem(at: $0) } }
        let output = try await Command.run("/usr/bin/curl", arguments + [url])
        return try parse(output)
    }

    /// Splits `curl -i` output into status, headers and body.
    static func parse(_ output: String) throws -> CurlResponse {
        guard let split = output.range(of: "\r\n\r\n") else {
            throw CommandError(description: "no HTTP response in curl output: \(output.prefix(200))")
        }
        let head = output[..<split.lowerBound].split(separator: "\r\n")
        let statusParts = head.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw CommandError(description: "bad status line: \(head.first ?? "")")
        }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return CurlResponse(status: status, headers: headers, body: String(output[split.upperBound...]))
    }
}

extension Curl {
    /// A request with a JSON object body.
    static func request(
        _ url: String, method: String, json: JSONObject, token: String? = nil
    ) async throws -> CurlResponse {
        try await request(url, method: method, body: Data(JSONValue.object(json).jsonString().utf8), token: token)
    }
}
