/// The people of the authorization scenarios.
enum AuthUsers {
    static let alice = "@alice:example.org"      // creator
    static let bob = "@bob:example.org"
    static let carol = "@carol:example.org"
    static let dave = "@dave:example.org"
    static let mallory = "@mallory:example.org"
    static let remote = "@rita:remote.example"
}

/// Versions where a rule is first present / still absent, for parameterised tests.
enum AuthVersions {
    static let all = (1...12).map(String.init)
}
