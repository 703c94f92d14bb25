import Base

/// A tokenizer file (`tokenizer.json`, `tokenizer_config.json`) that cannot be used: the file, the
/// field and what is wrong with it. Exit code 65 (bad input data).
public struct TokenizerFileError: Error, ExitCodeProviding, CustomStringConvertible, Equatable {
    /// The file, as given (a path or a name).
    public var file: String
    /// The JSON field concerned, dotted (e.g. `pre_tokenizer.pretokenizers[0].pattern`).
    public var field: String
    /// What is wrong, in words.
    public var problem: String

    /// Creates an error.
    public init(file: String, field: String, _ problem: String) {
        self.file = file
        self.field = field
        self.problem = problem
    }

    /// `file: field: problem`.
    public var description: String { "\(file): \(field): \(problem)" }

    /// 65 (bad input data).
    public var exitCode: Int32 { ExitStatus.dataError }
}
