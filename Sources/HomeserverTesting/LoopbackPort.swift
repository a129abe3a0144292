import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Free TCP ports on 127.0.0.1 for servers that tests start.
public enum LoopbackPort {
    /// Asks the kernel for a port that is free now (another process could still take it before use).
    public static func free() throws -> Int {
        let port = withSocket { fd -> Int? in
            guard bind(fd, port: 0) else { return nil }
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            return named == 0 ? Int(UInt16(bigEndian: address.sin_port)) : nil
        }
        guard let port = port ?? nil else { throw CommandError(description: "no free loopback port") }
        return port
    }

    /// Whether `port` on 127.0.0.1 can be bound right now.
    public static func isFree(_ port: Int) -> Bool {
        withSocket { bind($0, port: port) } ?? false
    }

    private static func withSocket<Result>(_ body: (Int32) -> Result) -> Result? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return body(fd)
    }

    private static func bind(_ fd: Int32, port: Int) -> Bool {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
