import FederationClient
import Testing

@Suite("IP ranges for the URL preview deny list")
struct IPRangeTests {
    @Test("IPv4 and IPv6 blocks contain exactly their addresses; mapped IPv4 counts as IPv4")
    func containment() throws {
        let private10 = try #require(IPRange("10.0.0.0/8"))
        let linkLocal6 = try #require(IPRange("fe80::/10"))
        let loopback = try #require(IPRange("127.0.0.1"))
        func address(_ text: String) throws -> [UInt8] { try #require(IPRange.parseAddress(text)) }
        #expect(private10.contains(try address("10.255.1.2")))
        #expect(!private10.contains(try address("11.0.0.1")))
        #expect(private10.contains(try address("::ffff:10.1.2.3")))
        #expect(!private10.contains(try address("fe80::1")))
        #expect(try linkLocal6.contains(address("fe80::1")) && linkLocal6.contains(address("febf::1")))
        #expect(!linkLocal6.contains(try address("fec0::1")))
        #expect(try loopback.contains(address("127.0.0.1")) && !loopback.contains(address("127.0.0.2")))
        #expect(try #require(IPRange("172.16.0.0/12")).contains(try address("172.31.255.255")))
        #expect(!(try #require(IPRange("172.16.0.0/12")).contains(try address("172.32.0.0"))))
        #expect(try #require(IPRange("0.0.0.0/0")).contains(try address("8.8.8.8")))
    }

    @Test("malformed ranges are refused; addresses format back to text")
    func parsing() throws {
        for bad in ["10.0.0.0/33", "::/129", "example.org/8", "10.0.0/8", "", "10.0.0.0/-1"] {
            #expect(IPRange(bad) == nil, "\(bad)")
        }
        #expect(IPRange.format(try #require(IPRange.parseAddress("::1"))) == "::1")
        #expect(IPRange.format(try #require(IPRange.parseAddress("192.168.0.1"))) == "192.168.0.1")
    }
}
