import MatrixCore
import SeededRandom
import Testing

@Suite("Unpadded Base64")
struct Base64Tests {
    @Test("RFC 4648 test vectors, unpadded", arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ])
    func rfcVectors(_ plain: String, _ encoded: String) {
        #expect(Base64.encodeUnpadded(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test("URL-safe alphabet, and decoding accepts both alphabets and padding")
    func alphabets() {
        let bytes: [UInt8] = [0xFB, 0xFF, 0xBF]
        #expect(Base64.encodeUnpadded(bytes) == "+/+/")
        #expect(Base64.encodeUnpadded(bytes, urlSafe: true) == "-_-_")
        #expect(Base64.decode("+/+/") == bytes)
        #expect(Base64.decode("-_-_") == bytes)
        #expect(Base64.decode("Zm8=") == Array("fo".utf8))
        #expect(Base64.decode("Zg==") == Array("f".utf8))
    }

    @Test("rejects what is not Base64", arguments: ["Z", "Zm9vY", "Zm9v!", "Zg=", "Z===", "=", "Zm 9v", "Zg==Zg=="])
    func rejects(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }

    @Test("random round trips in both alphabets")
    func roundTrips() {
        var generator = SplitMix64(seed: 42)
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            #expect(Base64.decode(Base64.encodeUnpadded(bytes)) == bytes)
            #expect(Base64.decode(Base64.encodeUnpadded(bytes, urlSafe: true)) == bytes)
        }
    }
}
