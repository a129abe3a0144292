import Foundation
import HomeserverTesting
import Testing

/// A real client library against the real cluster: two matrix-nio clients (from PyPI) register,
/// create a room, invite and join, exchange messages, see typing and receipts, paginate history,
/// and exchange megolm-encrypted messages over Olm-encrypted to-device key shares, all through
/// nginx and the client-api and sync workers (`nio/conversation.py` says step by step).
@Suite("matrix-nio conversation through the local cluster")
struct MatrixNioEndToEndTests {
    @Test("two matrix-nio clients hold a plain and an encrypted conversation", .timeLimit(.minutes(5)))
    func conversation() async throws {
        let cluster = try await LocalCluster.start()
        do {
            let script = TestEnvironment.repositoryRoot.appendingPathComponent("Tests/EndToEndTests/nio/conversation.py")
            let output = try await Command.run(TestEnvironment.python, [script.path, cluster.baseURL])
            #expect(output.contains("all steps passed"), "\(output)")
        } catch {
            await cluster.cleanUp()
            throw error
        }
        await cluster.cleanUp()
    }
}
