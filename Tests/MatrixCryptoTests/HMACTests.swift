import MatrixCore
import MatrixCrypto
import Testing

@Suite("HMAC-SHA1")
struct HMACTests {
    /// The seven HMAC-SHA1 test cases of RFC 2202 §3 (without the truncated digest of case 5).
    static let rfc2202: [(key: [UInt8], message: [UInt8], digest: String)] = [
        (Array(repeating: 0x0b, count: 20), Array("Hi There".utf8), "b617318655057264e28bc0b6fb378c8ef146be00"),
        (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
        (Array(repeating: 0xaa, count: 20), Array(repeating: 0xdd, count: 50), "125d7342b9ac11cd91a39af48aa17b4f63f175d3"),
        (Array(1...25), Array(repeating: 0xcd, count: 50), "4c9007f4026250c6bc8414f9bf50c86c2d7235da"),
        (Array(repeating: 0x0c, count: 20), Array("Test With Truncation".utf8), "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"),
        (Array(repeating: 0xaa, count: 80), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
         "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
        (Array(repeating: 0xaa, count: 80),
         Array("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data".utf8),
         "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"),
    ]

    @Test("RFC 2202 test vectors", arguments: 0..<rfc2202.count)
    func rfc2202Vector(index: Int) {
        let vector = Self.rfc2202[index]
        #expect(Hex.encode(HMAC.sha1(key: vector.key, message: vector.message)) == vector.digest)
    }

    @Test("an empty key and message still give a 20-byte MAC")
    func empty() {
        #expect(Hex.encode(HMAC.sha1(key: [], message: [])) == "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d")
    }

    @Test("MAC comparison: equal, different and different lengths")
    func comparison() {
        let mac = HMAC.sha1(key: Array("key".utf8), message: Array("message".utf8))
        #expect(HMAC.isEqual(mac, mac))
        #expect(!HMAC.isEqual(mac, HMAC.sha1(key: Array("key".utf8), message: Array("messagE".utf8))))
        #expect(!HMAC.isEqual(mac, Array(mac.dropLast())))
        #expect(HMAC.isEqual([], []))
    }
}
