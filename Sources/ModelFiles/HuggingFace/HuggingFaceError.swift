import Base

/// A Hugging Face model directory that bgpo cannot import, or an export that cannot be done:
/// the file, the field or tensor concerned, and what is wrong.
///
/// Bad input (unsupported configuration, missing or misshapen tensors, corrupt shards, a wrong
/// index) is exit code 65; an output path that already exists is 64.
public struct HuggingFaceError: ExitCodeProviding, CustomStringConvertible, Equatable {
    /// The file or directory concerned.
    public var file: String
    /// The configuration field or tensor name concerned (empty when the whole file is).
    public var field: String
    /// What is wrong, in words.
    public var problem: String
    /// 65 for bad input data, 64 for a bad command line.
    public var exitCode: Int32

    /// Creates an error about input data (exit code 65).
    public init(file: String, field: String = "", _ problem: String, exitCode: Int32 = ExitStatus.dataError) {
        self.file = file
        self.field = field
        self.problem = problem
        self.exitCode = exitCode
    }

    /// `file: field: problem`.
    public var description: String { field.isEmpty ? "\(file): \(problem)" : "\(file): \(field): \(problem)" }
}
