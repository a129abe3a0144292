import Foundation
import HTTPTypes
import Hummingbird

extension Request {
    /// The client's address: the last hop of `X-Forwarded-For`, the address the load balancer in
    /// front of the worker saw, else the peer. Workers are only reachable through the load
    /// balancer, which appends to the header; earlier hops are whatever the client claimed, so
    /// trusting them would let anyone pick the address rate limits count against.
    public func clientAddress(context: MatrixRequestContext) -> String {
        if let forwarded = headers[HTTPField.Name("X-Forwarded-For")!],
           let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty {
            return last
        }
        return context.peerAddress ?? "unknown"
    }
}
