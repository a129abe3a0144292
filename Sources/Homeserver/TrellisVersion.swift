/// The version of this build, reported by `/_matrix/federation/v1/version` and `trellis --version`.
public enum TrellisVersion {
    public static let current = "0.1.0"
}
