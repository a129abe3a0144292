import MatrixCore
import Testing

@Suite("Identifier grammar")
struct IdentifierTests {
    @Test("server names accepted", arguments: [
        "matrix.org", "matrix.org:8448", "localhost", "1.2.3.4", "1.2.3.4:1234", "[1234:5678::abcd]",
        "[1234:5678::abcd]:5678", "[::1]", "a-b.example", "domain",
    ])
    func serverNamesAccepted(_ text: String) throws {
        #expect(try ServerName(parsing: text).description == text)
    }

    @Test("server names rejected", arguments: [
        "", ":8448", "matrix.org:", "matrix.org:65536", "matrix.org:123456", "matrix.org:80a", "exa mple.org",
        "[1234:5678::abcd", "[]", "[g::1]", "ex_ample.org", "例え.jp", "matrix.org:1:2", String(repeating: "a", count: 256),
    ])
    func serverNamesRejected(_ text: String) {
        #expect(ServerName(text) == nil)
    }

    @Test("server name parts")
    func serverNameParts() throws {
        let ipv6 = try ServerName(parsing: "[::1]:8448")
        #expect(ipv6.host == "[::1]" && ipv6.port == 8448)
        let plain = try ServerName(parsing: "example.org")
        #expect(plain.host == "example.org" && plain.port == nil)
    }

    @Test("user IDs accepted, including historical localparts", arguments: [
        "@alice:example.org", "@a.b_c=d-e/f+g:example.org:8448", "@Alice:example.org", "@!#$%&'*~:example.org",
        "@alice:[::1]:8448",
    ])
    func userIDsAccepted(_ text: String) throws {
        #expect(try UserID(parsing: text).description == text)
    }

    @Test("user IDs rejected", arguments: [
        "", "alice:example.org", "@alice", "@:example.org", "@alice:", "@al ice:example.org", "@alicé:example.org",
        "@alice:exa mple.org", "#alice:example.org", "@" + String(repeating: "a", count: 250) + ":example.org",
    ])
    func userIDsRejected(_ text: String) {
        #expect(UserID(text) == nil)
    }

    @Test("user ID parts and the strict grammar for new users")
    func userIDParts() throws {
        let user = try UserID(parsing: "@alice:example.org:8448")
        #expect(user.localpart == "alice")
        #expect(user.serverName.host == "example.org" && user.serverName.port == 8448)
        #expect(UserID.isValidNewLocalpart("alice.b_c=d-e/f+1"))
        for invalid in ["Alice", "", "al ice", "alice!", "alicé", "a:b"] { #expect(!UserID.isValidNewLocalpart(invalid)) }
        #expect(try UserID(localpart: "bob", serverName: ServerName(parsing: "x.org")).description == "@bob:x.org")
    }

    @Test("room IDs in both forms")
    func roomIDs() throws {
        let classic = try RoomID(parsing: "!abc:example.org")
        #expect(classic.serverName?.description == "example.org" && classic.opaqueID == "abc")
        let v12 = try RoomID(parsing: "!Mx4RMGpR0Y-s7r7JImHujzB_ID3bi6-l_wWDR5HiCH0")
        #expect(v12.serverName == nil)
        for invalid in ["", "!", "!:example.org", "abc:example.org", "!abc:", "!a+b/c", "!has space"] {
            #expect(RoomID(invalid) == nil, "\(invalid)")
        }
    }

    @Test("event IDs in all three formats")
    func eventIDs() throws {
        #expect(try EventID(parsing: "$event0:domain").serverName?.description == "domain")
        #expect(try EventID(parsing: "$LB2oIEUIh956zFtx0KDJP5LjF/sazN5fNWpd4EAmF/4").serverName == nil)
        #expect(try EventID(parsing: "$oPfkLMrmFfl3dyJ_4Oi3_AjbGmQXP6vwM_QA6X0_WsE").opaqueID.count == 43)
        for invalid in ["", "$", "event:domain", "$:domain", "$a b", "$abc=", "$x:bad domain"] {
            #expect(EventID(invalid) == nil, "\(invalid)")
        }
    }

    @Test("room aliases, device IDs and content URIs")
    func otherIdentifiers() throws {
        let alias = try RoomAlias(parsing: "#häppy:example.org")
        #expect(alias.localpart == "häppy" && alias.serverName.description == "example.org")
        for invalid in ["#:example.org", "#room", "room:example.org", "#ro\u{0}om:example.org"] {
            #expect(RoomAlias(invalid) == nil, "\(invalid)")
        }
        #expect(DeviceID("ABCDEFGH")?.description == "ABCDEFGH")
        #expect(DeviceID("") == nil && DeviceID(String(repeating: "D", count: 256)) == nil)
        let uri = try MXCURI(parsing: "mxc://example.org/SEsfnsuifSDFSSEF_-1")
        #expect(uri.serverName.description == "example.org" && uri.mediaID == "SEsfnsuifSDFSSEF_-1")
        for invalid in ["mxc://example.org/", "mxc://example.org", "http://example.org/abc", "mxc:///abc", "mxc://example.org/a/b"] {
            #expect(MXCURI(invalid) == nil, "\(invalid)")
        }
    }

    @Test("identifiers compare by bytes, not by Unicode canonical equivalence")
    func byteEquality() throws {
        let composed = try RoomAlias(parsing: "#\u{E9}:example.org")
        let decomposed = try RoomAlias(parsing: "#e\u{301}:example.org")
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed]).count == 2)
    }

    @Test("identifiers are LosslessStringConvertible round trips")
    func roundTrip() throws {
        let user = try #require(UserID("@alice:example.org"))
        #expect(UserID(user.description) == user)
        #expect(throws: IdentifierError.missingServerName) { try UserID(parsing: "@alice") }
        #expect(throws: IdentifierError.missingSigil("@")) { try UserID(parsing: "alice:example.org") }
    }

    @Test("identifiers split by code points: a combining mark neither hides the sigil nor the separator")
    func codePoints() throws {
        // The localpart of a room alias is opaque: a combining mark right after the sigil is part of it.
        let alias = try RoomAlias(parsing: "#\u{301}a:example.org")
        #expect(alias.serverName.description == "example.org")
        // A user ID's historical localpart is printable ASCII only.
        #expect(throws: IdentifierError.invalidLocalpart) { try UserID(parsing: "@\u{301}alice:example.org") }
        #expect(throws: IdentifierError.invalidServerName) { try UserID(parsing: "@alice:exa\u{301}mple.org") }
        #expect(throws: IdentifierError.invalidPort) { try ServerName(parsing: "example.org:\u{301}80") }
        let server = try ServerName(parsing: "[1234:5678::abcd]:8448")
        #expect(server.host == "[1234:5678::abcd]" && server.port == 8448)
        #expect(try UserID(parsing: "@bob:[::1]:80").localpart == "bob")
    }
}
