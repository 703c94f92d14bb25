import Base

/// An error reading or writing a checkpoint or a safetensors file, naming the file and the problem.
///
/// Every error but ``Kind-swift.enum/invalidArgument`` maps to exit code 74 (I/O or checkpoint
/// failure); an invalid argument is a caller's bug and maps to 70.
public struct CheckpointError: ExitCodeProviding, CustomStringConvertible, Equatable {
    /// What kind of failure this is.
    public enum Kind: Sendable, Equatable {
        /// A system call failed (open, read, write, fsync, rename, ...).
        case io
        /// The file or checkpoint does not exist.
        case notFound
        /// The checkpoint has no MANIFEST.json: its writer did not finish.
        case incomplete
        /// The bytes are not what was written (size, SHA-256, zstd checksum, truncation, trailing data).
        case corrupt
        /// The content is readable but not what the format or the caller requires
        /// (a malformed header, a missing tensor, a wrong shape).
        case invalidContent
        /// The caller passed something inconsistent (a buffer of the wrong size, duplicate names).
        case invalidArgument
    }

    /// What kind of failure this is.
    public var kind: Kind
    /// The file or directory concerned.
    public var path: String
    /// What is wrong, in words.
    public var problem: String

    /// Creates an error.
    public init(_ kind: Kind, path: String, _ problem: String) {
        self.kind = kind
        self.path = path
        self.problem = problem
    }

    /// `path: problem`.
    public var description: String { "\(path): \(problem)" }

    /// 70 for an invalid argument, otherwise 74.
    public var exitCode: Int32 { kind == .invalidArgument ? ExitStatus.software : ExitStatus.ioError }
}
