import Homeserver
import MatrixCore
import Storage
import Testing

@Suite("Sync tokens")
struct SyncTokenTests {
    @Test("a token is written and read back with every stream's position")
    func roundTrip() throws {
        let token = SyncToken(
            StreamPositions(events: 42, accountData: 7, receipts: 3, toDevice: 11, deviceLists: 5), typing: 2, presence: 9
        )
        #expect(token.description == "s42_7_3_11_5_2_9")
        #expect(try SyncToken(parsing: token.description) == token)
    }

    @Test("positions a token lacks read as 0; positions after the known ones are ignored")
    func olderAndNewerTokens() throws {
        #expect(try SyncToken(parsing: "s42_7_3") == SyncToken(
            StreamPositions(events: 42, accountData: 7, receipts: 3, toDevice: 0, deviceLists: 0), typing: 0, presence: 0
        ))
        #expect(try SyncToken(parsing: "s42_7_3_9_1_4_8_6") == SyncToken(
            StreamPositions(events: 42, accountData: 7, receipts: 3, toDevice: 9, deviceLists: 1), typing: 4, presence: 8
        ))
    }

    @Test("anything else is 400 M_INVALID_PARAM", arguments: ["", "s", "42_7_3", "s42__3", "s-1_0_0", "sx_1_2", "t42_7_3"])
    func invalid(token: String) {
        #expect(throws: MatrixError(.invalidParam, "Invalid sync token")) { try SyncToken(parsing: token) }
    }
}
