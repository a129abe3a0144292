/// A vector file whose structure is not what its checker expects.
public struct VectorFormatError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var problem: String

    public var description: String { file.isEmpty ? problem : "\(file): \(problem)" }
}
