import Foundation

/// The current time in milliseconds since the epoch, as Matrix timestamps are written.
public func unixMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
