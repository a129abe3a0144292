import Homeserver
import Hummingbird
import MatrixCore

/// Receipts and read markers: `POST /rooms/{roomId}/receipt/{receiptType}/{eventId}` and
/// `POST /rooms/{roomId}/read_markers`.
public struct ReceiptRoutes: Sendable {
    let receipts: ReceiptService

    public init(receipts: ReceiptService) {
        self.receipts = receipts
    }

    public func register(on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware) {
        for group in router.clientGroups(authenticatedBy: authentication) {
            group.post("rooms/:roomId/receipt/:receiptType/:eventId") { request, context in
                let body = try await request.jsonObjectOrEmpty()
                let threadID: String?
                switch body["thread_id"] {
                case nil: threadID = nil
                case .string(let id)?: threadID = id
                default: throw MatrixError(.invalidParam, "thread_id field must be a non-empty string")
                }
                try await receipts.send(
                    try context.pathParameter("receiptType"), for: try context.pathParameter("eventId"),
                    threadID: threadID, in: try context.roomID(), by: try context.requireRequester()
                )
                return JSONObject()
            }
            group.post("rooms/:roomId/read_markers") { request, context in
                let body = try await request.jsonObject()
                try await receipts.setReadMarkers(
                    fullyRead: try body.string("m.fully_read"), read: try body.string("m.read"),
                    readPrivate: try body.string("m.read.private"), in: try context.roomID(),
                    by: try context.requireRequester()
                )
                return JSONObject()
            }
        }
    }
}
