/// The people of the room graph scenarios.
enum User {
    static let alice = "@alice:example.org"  // creator
    static let bob = "@bob:example.org"
    static let carol = "@carol:example.org"
    static let charlie = "@charlie:example.org"
    static let dave = "@dave:example.org"
    static let eve = "@eve:example.org"
    static let mallory = "@mallory:example.org"
    static let zara = "@zara:example.org"
    static let remote = "@rita:remote.example"
}

/// Versions where a rule is first present / still absent, for parameterised tests.
enum AuthVersions {
    static let all = (1...12).map(String.init)
}
