/// Formats a `Double` the way Python's `repr(float)` does, which is what Synapse's canonical
/// JSON encoder emits for floats in room versions 1 to 5.
///
/// Python uses the shortest round-trip digits (as Swift's `description` does) and switches to
/// exponent notation when the decimal exponent is below -4 or at least 16: `1000.0`, `1e+16`,
/// `0.0001`, `1e-05`. One deliberate difference: an integral value beyond `Int64` is printed as
/// plain digits, because the parser only produces such a `Double` from an integer literal too
/// big for `Int64` (Python would have kept that as an `int`).
enum PythonFloatFormat {
    static func repr(_ value: Double) -> String {
        let (negative, digits, pointPosition) = shortestDigits(value)
        let sign = negative ? "-" : ""
        if value == value.rounded(), abs(value) >= 0x1p63 {
            return sign + digits + String(repeating: "0", count: pointPosition - digits.count)
        }
        if pointPosition <= -4 || pointPosition > 16 {
            let exponent = pointPosition - 1
            let mantissa = digits.count == 1 ? digits : "\(digits.prefix(1)).\(digits.dropFirst())"
            let exponentText = String(abs(exponent))
            let padded = exponentText.count < 2 ? "0" + exponentText : exponentText
            return "\(sign)\(mantissa)e\(exponent < 0 ? "-" : "+")\(padded)"
        }
        if pointPosition <= 0 {
            return "\(sign)0.\(String(repeating: "0", count: -pointPosition))\(digits)"
        }
        if pointPosition >= digits.count {
            return "\(sign)\(digits)\(String(repeating: "0", count: pointPosition - digits.count)).0"
        }
        return "\(sign)\(digits.prefix(pointPosition)).\(digits.dropFirst(pointPosition))"
    }

    /// Splits `value` into sign, shortest significant digits `d1d2…` and the position of the
    /// decimal point, so that `|value| = 0.d1d2… × 10^pointPosition`. Zero is `("0", 1)`.
    private static func shortestDigits(_ value: Double) -> (negative: Bool, digits: String, pointPosition: Int) {
        let negative = value.sign == .minus
        let text = abs(value).description  // e.g. "1000.0", "1e-05", "1.5e+16"
        let parts = text.split(separator: "e", maxSplits: 1)
        let exponent = parts.count == 2 ? Int(parts[1])! : 0
        let mantissa = parts[0].split(separator: ".", maxSplits: 1)
        let integerPart = String(mantissa[0])
        let fractionPart = mantissa.count == 2 ? String(mantissa[1]) : ""
        var digits = Substring(integerPart + fractionPart)
        var pointPosition = integerPart.count + exponent
        while digits.count > 1, digits.first == "0" {
            digits = digits.dropFirst()
            pointPosition -= 1
        }
        while digits.count > 1, digits.last == "0" { digits = digits.dropLast() }
        if digits == "0" { pointPosition = 1 }
        return (negative, String(digits), pointPosition)
    }
}
