import Homeserver
import Hummingbird
import MatrixCore

/// `PUT /sendToDevice/{eventType}/{txnId}`: messages to devices, once per transaction ID.
public struct ToDeviceRoutes: Sendable {
    let toDevice: ToDeviceService

    public init(toDevice: ToDeviceService) {
        self.toDevice = toDevice
    }

    public func register(on router: Router<MatrixRequestContext>, authentication: AccessTokenMiddleware) {
        for group in router.clientGroups(authenticatedBy: authentication) {
            group.put("sendToDevice/:eventType/:txnId") { request, context in
                let body = try await request.jsonObject()
                guard let messages = try body.object("messages") else {
                    throw MatrixError(.missingParam, "Missing parameter 'messages'")
                }
                try await toDevice.send(
                    type: try context.pathParameter("eventType"), messages: messages,
                    transactionID: try context.pathParameter("txnId"), from: try context.requireRequester()
                )
                return JSONObject()
            }
        }
    }
}
