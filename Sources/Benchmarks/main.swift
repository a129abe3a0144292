// trellis-bench: state resolution on a large synthetic room.
//
// Builds a room of N members (default 10,000), forks it into two branches with conflicting power level
// changes and memberships (bans, kicks, joins and leaves on both sides), resolves the two forks several
// times and prints the median wall time, peak RSS and the sizes of the problem.
//
//   trellis-bench [--members N] [--runs R] [--version V] [--export FILE]
//
// `--export FILE` also writes the problem and Trellis's answer as JSON, for resolving the same input with
// another implementation (scripts/bench/synapse_state_res.py, `make bench-synapse`):
//
//   {"room_version": "2", "room_id": "!room:example.org",
//    "events": {"$id:server": {…full PDU…}, …},
//    "states": [[["m.room.member", "@u:example.org", "$id:server"], …], …],   // one list per fork
//    "resolved": [[type, state_key, event_id], …]}                            // Trellis's resolved state
//
// Use `--version 1` or `--version 2` for exports other implementations read: those versions carry explicit
// `event_id`s, which are kept as given; from version 3 event IDs are reference hashes, and the readable IDs
// the test DSL makes up would not match them.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MatrixCore
import MatrixEvents
import RoomGraph
import RoomGraphTesting

/// Command-line options.
struct Options {
    var members = 10_000
    var runs = 5
    var version: RoomVersionID = "10"
    /// Where to write the JSON export, if anywhere.
    var export: String?

    init(arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--members": members = iterator.next().flatMap { Int($0) } ?? members
            case "--runs": runs = iterator.next().flatMap { Int($0) } ?? runs
            case "--version": version = iterator.next().map { RoomVersionID($0) } ?? version
            case "--export": export = iterator.next() ?? export
            default:
                print("usage: trellis-bench [--members N] [--runs R] [--version V] [--export FILE]")
                exit(2)
            }
        }
    }
}

// MARK: - Measuring

/// Monotonic time in seconds.
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

/// `value` rounded to `digits` decimals.
func format(_ value: Double, _ digits: Int = 1) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    return String(rounded)
}

// MARK: - The problem

/// The room and its two forks.
struct Problem {
    var room: TestRoom
    var events: [EventID: PDU]
    var states: [StateMap]
}

let server = "example.org"
let alice = "@alice:\(server)"

/// `@user<index>:example.org`, one of the members `TestRoom.addMembers` adds.
func user(_ index: Int) -> String { "@user\(index):\(server)" }

/// Builds a room of `members` members with moderators user1…user20 at 50, and two conflicting forks of it.
func buildProblem(members n: Int, version: RoomVersionID) -> Problem {
    var room = TestRoom(version: version, creator: alice)
    room.addMembers(n, server: server)
    let creatorLevel: [String: Int64] = room.rules.privilegedRoomCreators ? [:] : [alice: 100]
    var moderators = creatorLevel
    for index in 1...20 { moderators[user(index)] = 50 }
    room.setPowerLevels(users: moderators, by: alice)

    // Two branches from the same point.
    var left = room.fork()
    var right = room.fork()
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
    return Problem(room: room, events: room.allEvents, states: [left.state, right.state])
}

// MARK: - Resolving

/// Resolves the problem `runs` times; returns the last resolution and the sorted wall times in seconds.
func timeResolution(_ problem: Problem, runs: Int) -> (StateResolution.Resolution, [Double]) {
    var timings: [Double] = []
    var resolution: StateResolution.Resolution?
    for _ in 0..<max(runs, 1) {
        let start = now()
        do {
            resolution = try StateResolution.resolveWithStatistics(problem.states, provider: problem.events,
                                                                   rules: problem.room.rules)
        } catch {
            print("state resolution failed: \(error)")
            exit(1)
        }
        timings.append(now() - start)
    }
    guard let resolution else { exit(1) }
    return (resolution, timings.sorted())
}

/// Prints the sizes of the problem, the resolved state and the timings.
func report(_ problem: Problem, _ resolution: StateResolution.Resolution, timings: [Double], options: Options,
            buildSeconds: Double) {
    let events = problem.events
    let states = problem.states
    let rules = problem.room.rules
    let median = timings[timings.count / 2]
    let banned = resolution.state.values.filter { events[$0]?.content["membership"]?.stringValue == "ban" }.count
    let joined = resolution.state.values.filter { events[$0]?.content["membership"]?.stringValue == "join" }.count
    print("""
        trellis-bench: state resolution \(rules.stateResolution), room version \(rules.id)
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
}

// MARK: - Exporting

/// A state map as a JSON list of `[type, state_key, event_id]`, sorted by slot.
func stateJSON(_ state: StateMap) -> JSONValue {
    .array(state.sorted { $0.key < $1.key }.map { slot, id in
        .array([.string(slot.type), .string(slot.stateKey), .string(id.description)])
    })
}

/// The export document: room version, every event's PDU by ID, the fork states and the resolved state.
func exportJSON(_ problem: Problem, resolved: StateMap) -> JSONValue {
    var events = JSONObject()
    for (id, event) in problem.events { events[id.description] = .object(event.json) }
    return .object([
        "room_version": .string(problem.room.rules.id.rawValue),
        "room_id": .string(problem.room.roomID),
        "events": .object(events),
        "states": .array(problem.states.map(stateJSON)),
        "resolved": stateJSON(resolved),
    ])
}

/// Writes `text` to the file at `path`; exits on failure.
func write(_ text: String, to path: String) {
    guard let file = fopen(path, "w") else {
        print("cannot open \(path) for writing")
        exit(1)
    }
    let written = fputs(text, file) >= 0
    if fclose(file) != 0 || !written {
        print("cannot write \(path)")
        exit(1)
    }
}

// MARK: - Main

let options = Options(arguments: CommandLine.arguments)
let buildStart = now()
let problem = buildProblem(members: options.members, version: options.version)
let buildSeconds = now() - buildStart
let (resolution, timings) = timeResolution(problem, runs: options.runs)
report(problem, resolution, timings: timings, options: options, buildSeconds: buildSeconds)
if let path = options.export {
    write(exportJSON(problem, resolved: resolution.state).jsonString(), to: path)
    print("  exported to:            \(path)")
}
for (label, body) in [("ASCII", PushRulesBenchmark.asciiBody), ("non-ASCII", PushRulesBenchmark.otherBody)] {
    let push = PushRulesBenchmark(members: options.members, body: body).run(runs: options.runs)
    print("""
        push rules of one message (\(label) body) for \(options.members) members (best of \(options.runs)):
          predefined rules decided together: \(format(push.together)) ms
          each member's rules alone:         \(format(push.alone)) ms  (same decisions: \(push.agree))
        """)
    if !push.agree { exit(1) }
}
