import HTTPTypes
import MatrixCore
import Testing

@Suite("Admin API: media quarantine, listing and deletion")
struct AdminMediaRoutesTests {
    static func server() -> ClientAPITestServer {
        // The secret `registerAdmin()` signs with.
        ClientAPITestServer(registrationSharedSecret: "test shared secret", servesMedia: true)
    }

    @Test("quarantine hides a file until released; a user's media is listed, quarantined and deleted with its bytes")
    func administration() async throws {
        try await Self.server().run { client in
            let admin = try await client.registerAdmin()
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let (_, first) = try await client.upload(Array("one".utf8), contentType: "text/plain", fileName: "1.txt", token: alice)
            let (_, second) = try await client.upload(Array("two".utf8), contentType: "text/plain", token: alice)
            let (_, shared) = try await client.upload(Array("one".utf8), contentType: "text/plain", token: bob)
            let download = { (id: String) in
                try await client.raw(.get, "/_matrix/client/v1/media/download/test.local/\(id)", token: bob).status
            }

            let forbidden = try await client.call(.post, "/_synapse/admin/v1/media/quarantine/test.local/\(first)", token: alice)
            #expect(forbidden.status == 403)
            #expect(try await client.call(.post, "/_synapse/admin/v1/media/quarantine/test.local/\(first)", token: admin).status == 200)
            #expect(try await download(first) == 404)
            #expect(try await client.call(.post, "/_synapse/admin/v1/media/unquarantine/test.local/\(first)", token: admin).status == 200)
            #expect(try await download(first) == 200)
            // As in Synapse, quarantining unknown media is no error.
            #expect(try await client.call(.post, "/_synapse/admin/v1/media/quarantine/test.local/nosuch", token: admin).status == 200)

            let media = "/_synapse/admin/v1/users/\(escaped("@alice:test.local"))/media"
            let firstPage = try await client.call(.get, media + "?limit=1", token: admin)
            #expect(firstPage.json["total"]?.integerValue == 2)
            #expect(firstPage.json["next_token"]?.integerValue == 1)
            let secondPage = try await client.call(.get, media + "?from=1&limit=1", token: admin)
            #expect(secondPage.json["next_token"] == nil)
            let entries = (firstPage.json["media"]?.arrayValue ?? []) + (secondPage.json["media"]?.arrayValue ?? [])
            #expect(Set(entries.compactMap { $0["media_id"]?.stringValue }) == [first, second])
            #expect(entries.allSatisfy { $0["media_length"]?.integerValue == 3 && $0["media_type"]?.stringValue == "text/plain" })

            let quarantined = try await client.call(.post, "/_synapse/admin/v1/user/\(escaped("@alice:test.local"))/media/quarantine",
                                                    token: admin)
            #expect(quarantined.json["num_quarantined"]?.integerValue == 2)
            #expect(try await download(second) == 404)
            #expect(try await download(shared) == 200)

            // Deleting alice's media keeps the bytes bob's upload shares.
            let deleted = try await client.call(.delete, "/_synapse/admin/v1/users/\(escaped("@alice:test.local"))/media",
                                                token: admin)
            #expect(Set(deleted.json["deleted_media"]?.arrayValue?.compactMap(\.stringValue) ?? []) == [first, second])
            #expect(try await client.mediaRowCount() == 1)
            #expect(try client.mediaFiles(in: "content").count == 1)
            #expect(try await download(shared) == 200)

            let single = try await client.call(.delete, "/_synapse/admin/v1/media/test.local/\(shared)", token: admin)
            #expect(single.json["deleted_media"] == [.string(shared)])
            #expect(try client.mediaFiles(in: "content").isEmpty)
            #expect(try await download(shared) == 404)
            #expect(try await client.call(.delete, "/_synapse/admin/v1/media/test.local/\(shared)", token: admin).status == 404)
        }
    }
}
