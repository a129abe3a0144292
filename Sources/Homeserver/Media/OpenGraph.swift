import Foundation

/// The Open Graph metadata of an HTML page, as URL previews show it: every `og:*` `<meta>`
/// property, with the page's `<title>` and `description` filling in `og:title` and
/// `og:description` when the page has none. A tolerant scan, not an HTML parser: it reads
/// `<meta>` tags and the first `<title>` wherever they are.
public enum OpenGraph {
    /// The properties of `html` (read as UTF-8), values with entities decoded.
    public static func properties(ofHTML html: [UInt8]) -> [String: String] {
        let text = String(decoding: html, as: UTF8.self)
        var properties: [String: String] = [:]
        var description: String?
        for tag in tags(named: "meta", in: text) {
            let attributes = self.attributes(of: tag)
            guard let content = attributes["content"] else { continue }
            if let property = attributes["property"] ?? attributes["name"], property.lowercased().hasPrefix("og:") {
                let key = property.lowercased()
                if properties[key] == nil { properties[key] = decodeEntities(content) }
            } else if attributes["name"]?.lowercased() == "description", description == nil {
                description = decodeEntities(content)
            }
        }
        if properties["og:title"] == nil, let title = title(in: text) { properties["og:title"] = title }
        if properties["og:description"] == nil, let description { properties["og:description"] = description }
        return properties
    }

    /// The text of the first `<title>` element, whitespace collapsed.
    static func title(in text: String) -> String? {
        guard let open = text.range(of: "<title", options: .caseInsensitive),
              let openEnd = text[open.upperBound...].firstIndex(of: ">"),
              let close = text[openEnd...].range(of: "</title", options: .caseInsensitive)
        else { return nil }
        let title = decodeEntities(String(text[text.index(after: openEnd)..<close.lowerBound]))
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return title.isEmpty ? nil : title
    }

    /// The insides of every `<name …>` tag.
    static func tags(named name: String, in text: String) -> [Substring] {
        var tags: [Substring] = []
        var rest = text[...]
        while let start = rest.range(of: "<\(name)", options: .caseInsensitive) {
            guard let end = rest[start.upperBound...].firstIndex(of: ">") else { break }
            let inside = rest[start.upperBound..<end]
            if inside.first.map({ $0.isWhitespace || $0 == "/" }) ?? false { tags.append(inside) }
            rest = rest[rest.index(after: end)...]
        }
        return tags
    }

    /// `name="value"`, `name='value'` and `name=value` pairs, names lowercased.
    static func attributes(of tag: Substring) -> [String: String] {
        var attributes: [String: String] = [:]
        var index = tag.startIndex
        func skipSpaces() { while index < tag.endIndex, tag[index].isWhitespace || tag[index] == "/" { index = tag.index(after: index) } }
        while true {
            skipSpaces()
            guard index < tag.endIndex else { return attributes }
            let nameStart = index
            while index < tag.endIndex, !tag[index].isWhitespace, tag[index] != "=" { index = tag.index(after: index) }
            let name = tag[nameStart..<index].lowercased()
            skipSpaces()
            guard index < tag.endIndex, tag[index] == "=" else {
                if !name.isEmpty { attributes[name] = "" }
                continue
            }
            index = tag.index(after: index)
            while index < tag.endIndex, tag[index].isWhitespace { index = tag.index(after: index) }
            guard index < tag.endIndex else { return attributes }
            let value: Substring
            if tag[index] == "\"" || tag[index] == "'" {
                let quote = tag[index]
                let valueStart = tag.index(after: index)
                let valueEnd = tag[valueStart...].firstIndex(of: quote) ?? tag.endIndex
                value = tag[valueStart..<valueEnd]
                index = valueEnd < tag.endIndex ? tag.index(after: valueEnd) : valueEnd
            } else {
                let valueStart = index
                while index < tag.endIndex, !tag[index].isWhitespace { index = tag.index(after: index) }
                value = tag[valueStart..<index]
            }
            if attributes[name] == nil { attributes[name] = String(value) }
        }
    }

    /// Decodes `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&#39;` and other numeric references.
    static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        let named = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}"]
        var result = ""
        var rest = text[...]
        while let ampersand = rest.firstIndex(of: "&") {
            result += rest[..<ampersand]
            let after = rest[rest.index(after: ampersand)...]
            guard let semicolon = after.prefix(10).firstIndex(of: ";") else {
                result += "&"
                rest = after
                continue
            }
            let entity = after[..<semicolon]
            if let replacement = named[String(entity)] {
                result += replacement
            } else if entity.hasPrefix("#"), let scalar = numericScalar(entity.dropFirst()) {
                result.unicodeScalars.append(scalar)
            } else {
                result += "&" + entity + ";"
            }
            rest = after[after.index(after: semicolon)...]
        }
        return result + rest
    }

    private static func numericScalar(_ digits: Substring) -> Unicode.Scalar? {
        let value = digits.lowercased().hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
        return value.flatMap(Unicode.Scalar.init)
    }
}
