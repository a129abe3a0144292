// trellis-bench: state resolution on a large synthetic room.
//
// Builds a room of N members (default 10,000), forks it into two branches with conflicting power level
// changes and memberships (bans, kicks, joins and leaves on both sides), resolves the two forks several
// times and prints the median wall time, peak RSS and the sizes of the problem.
//
//   trellis-bench [--members N] [--runs R] [--version V]
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MatrixCore
import MatrixEvents
import RoomGraph
import RoomGraphTesting

struct Options {
    var members = 10_000
    var runs = 5
    var version: RoomVersionID = "10"

    init(arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--members": members = iterator.next().flatMap { Int($0) } ?? members
            case "--runs": runs = iterator.next().flatMap { Int($0) } ?? runs
            case "--version": version = iterator.next().map { RoomVersionID($0) } ?? version
            default:
                print("usage: trellis-bench [--members N] [--runs R] [--version V]")
                exit(2)
            }
        }
    }
}

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Peak resident set size in MiB (`ru_maxrss` is KiB on Linux, bytes on macOS).
func peakRSSMiB() -> Double {
    var usage = rusage()
    #if canImport(Glibc)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    #if canImport(Darwin)
    return Double(usage.ru_maxrss) / 1_048_576
    #else
    return Double(usage.ru_maxrss) / 1024
    #endif
}

func format(_ value: Double, _ digits: Int = 1) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    return String(rounded)
}

let options = Options(arguments: CommandLine.arguments)
let alice = "@alice:example.org"
let server = "example.org"
func user(_ index: Int) -> String { "@user\(index):\(server)" }

// The room: N members, moderators user1…user20 at 50.
let buildStart = now()
var room = TestRoom(version: options.version, creator: alice)
room.addMembers(options.members, server: server)
let creatorLevel: [String: Int64] = room.rules.privilegedRoomCreators ? [:] : [alice: 100]
var moderators = creatorLevel
for index in 1...20 { moderators[user(index)] = 50 }
room.setPowerLevels(users: moderators, by: alice)

// Two branches from the same point.
var left = room.fork()
var right = room.fork()
let n = options.members
// Left: alice demotes moderators 11…20 and promotes 21…30; moderators 1…10 ban and kick; newcomers join.
var leftLevels = creatorLevel
for index in 1...10 { leftLevels[user(index)] = 50 }
for index in 21...30 { leftLevels[user(index)] = 50 }
left.setPowerLevels(users: leftLevels, by: alice)
for index in stride(from: 100, to: n, by: 40) { left.ban(user(index), by: user(1 + index % 10)) }
for index in stride(from: 110, to: n, by: 40) { left.kick(user(index), by: user(1 + index % 10)) }
for index in 0..<(n / 20) { left.join("@left\(index):\(server)") }
// Right: moderators 11…20 (demoted on the left) ban and kick others, and change the power levels too.
for index in stride(from: 120, to: n, by: 40) { right.ban(user(index), by: user(11 + index % 10)) }
for index in stride(from: 130, to: n, by: 40) { right.kick(user(index), by: user(11 + index % 10)) }
var rightLevels = moderators
for index in 31...40 { rightLevels[user(index)] = 50 }
right.setPowerLevels(users: rightLevels, by: alice)
for index in stride(from: 105, to: n, by: 50) { right.leave(user(index)) }
for index in 0..<(n / 20) { right.join("@right\(index):\(server)") }
// Both: some of the same users are banned on one side and kicked on the other.
for index in stride(from: 200, to: n, by: 500) {
    left.ban(user(index + 1), by: user(1))
    right.kick(user(index + 1), by: user(11))
}

let events = room.allEvents
let states = [left.state, right.state]
let buildSeconds = now() - buildStart

var timings: [Double] = []
var resolution: StateResolution.Resolution?
for _ in 0..<max(options.runs, 1) {
    let start = now()
    do {
        resolution = try StateResolution.resolveWithStatistics(states, provider: events, rules: room.rules)
    } catch {
        print("state resolution failed: \(error)")
        exit(1)
    }
    timings.append(now() - start)
}
timings.sort()
let median = timings[timings.count / 2]
guard let resolution else { exit(1) }

let banned = resolution.state.values.filter { events[$0]?.content["membership"]?.stringValue == "ban" }.count
let joined = resolution.state.values.filter { events[$0]?.content["membership"]?.stringValue == "join" }.count
print("""
    trellis-bench: state resolution \(room.rules.stateResolution), room version \(room.rules.id)
      room: \(options.members) members, \(events.count) events; forks: \(states[0].count) and \(states[1].count) state entries
      built in \(format(buildSeconds, 2)) s
      unconflicted entries:   \(resolution.unconflictedCount)
      conflicted events:      \(resolution.conflictedCount)
      auth difference:        \(resolution.authDifferenceCount)
      conflicted subgraph:    \(resolution.conflictedSubgraphCount)
      full conflicted set:    \(resolution.fullConflictedCount)
      power events sorted:    \(resolution.powerEventCount)
      resolved state entries: \(resolution.state.count) (\(joined) joined, \(banned) banned)
      resolve wall time:      median \(format(median * 1000)) ms over \(timings.count) runs \
    (min \(format(timings[0] * 1000)) ms, max \(format(timings[timings.count - 1] * 1000)) ms)
      peak RSS:               \(format(peakRSSMiB())) MiB (whole process, room building included)
    """)
