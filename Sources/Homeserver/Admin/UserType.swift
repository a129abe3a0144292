import MatrixCore

/// The types an account may have besides an ordinary user's (`nil`): Synapse's built-in ones.
public enum UserType {
    public static let support = "support"
    public static let bot = "bot"
    public static let all: Set<String> = [support, bot]

    /// `400 M_INVALID_PARAM` unless `userType` is `nil` or one of ``all``.
    public static func validate(_ userType: String?) throws(MatrixError) {
        if let userType, !all.contains(userType) {
            throw MatrixError(.invalidParam, "Invalid user type")
        }
    }
}
