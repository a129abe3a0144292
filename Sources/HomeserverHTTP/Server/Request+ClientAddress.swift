import Foundation
import HTTPTypes
import Hummingbird

extension Request {
    /// The client's address: the first hop of `X-Forwarded-For` set by the load balancer, else
    /// the peer. Workers are only reachable through the load balancer, which sets the header.
    public func clientAddress(context: MatrixRequestContext) -> String {
        if let forwarded = headers[HTTPField.Name("X-Forwarded-For")!],
           let first = forwarded.split(separator: ",").first?.trimmingCharacters(in: .whitespaces), !first.isEmpty {
            return first
        }
        return context.peerAddress ?? "unknown"
    }
}
