import Foundation
import Prometheus

/// The standard Prometheus `process_*` gauges, read from `/proc/self` at each scrape.
///
/// Gauges: `process_resident_memory_bytes`, `process_virtual_memory_bytes`,
/// `process_cpu_seconds_total`, `process_open_fds`, `process_max_fds`,
/// `process_start_time_seconds`.
struct ProcessMetrics: Sendable {
    let residentMemory: Gauge
    let virtualMemory: Gauge
    let cpuSeconds: Gauge
    let openFileDescriptors: Gauge
    let maxFileDescriptors: Gauge
    let startTime: Gauge

    init(registry: PrometheusCollectorRegistry) {
        residentMemory = registry.makeGauge(name: "process_resident_memory_bytes")
        virtualMemory = registry.makeGauge(name: "process_virtual_memory_bytes")
        cpuSeconds = registry.makeGauge(name: "process_cpu_seconds_total")
        openFileDescriptors = registry.makeGauge(name: "process_open_fds")
        maxFileDescriptors = registry.makeGauge(name: "process_max_fds")
        startTime = registry.makeGauge(name: "process_start_time_seconds")
    }

    /// Reads the current values; a field that cannot be read keeps its last value.
    func update() {
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
            let pages = statm.split(separator: " ").compactMap { Double($0) }
            if pages.count >= 2 {
                virtualMemory.set(pages[0] * pageSize)
                residentMemory.set(pages[1] * pageSize)
            }
        }
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let fields = Self.statFields(stat)
        {
            // Fields after the command name, numbered from 3 (state) as in proc(5).
            let utime = Double(fields[14 - 3]) ?? 0
            let stime = Double(fields[15 - 3]) ?? 0
            cpuSeconds.set((utime + stime) / ticksPerSecond)
            if let startTicks = Double(fields[22 - 3]), let bootTime = Self.bootTime() {
                startTime.set(bootTime + startTicks / ticksPerSecond)
            }
        }
        if let descriptors = Self.openDescriptorCount() { openFileDescriptors.set(Double(descriptors)) }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { maxFileDescriptors.set(Double(limit.rlim_cur)) }
    }

    /// The entries of `/proc/self/fd`, without the one that reading it opens.
    static func openDescriptorCount() -> Int? {
        entryCount(ofDirectory: "/proc/self/fd").map { $0 - 1 }
    }

    /// How many entries a directory holds (`.` and `..` aside), counted without making their
    /// names: a sync worker's `/proc/self/fd` holds one per long-poll, tens of thousands.
    static func entryCount(ofDirectory path: String) -> Int? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { name in
                name[0] == UInt8(ascii: ".") && (name[1] == 0 || (name[1] == UInt8(ascii: ".") && name[2] == 0))
            }
            if !isDot { count += 1 }
        }
        return count
    }

    /// The space-separated fields of `/proc/self/stat` after the parenthesised command name.
    static func statFields(_ stat: String) -> [Substring]? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count >= 20 ? fields : nil
    }

    /// Boot time in seconds since the epoch, from `/proc/stat`.
    static func bootTime() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst("btime ".count))
        }
        return nil
    }
}
