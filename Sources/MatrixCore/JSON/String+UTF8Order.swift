extension String {
    /// How this string and `other` compare by their UTF-8 bytes: negative, zero or positive.
    ///
    /// UTF-8 byte order is Unicode code point order, the order of canonical JSON's keys. Unlike
    /// `<` and `==`, it tells apart canonically equivalent strings (`"é"` and `"e\u{301}"`),
    /// which are different keys in JSON.
    public func utf8Order(comparedTo other: String) -> Int {
        var (lhs, rhs) = (self, other)
        // Over the bytes in memory: walking the UTF-8 views index by index costs several times more.
        return lhs.withUTF8 { lhs in
            rhs.withUTF8 { rhs in
                for (left, right) in zip(lhs, rhs) where left != right { return Int(left) - Int(right) }
                return lhs.count - rhs.count
            }
        }
    }
}
