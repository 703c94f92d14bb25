#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file, directory or stream that could not be read or written, naming it and the reason
/// (exit code 74).
public struct IOFailure: ExitCodeProviding, CustomStringConvertible, Equatable {
    /// The file, directory or stream concerned (`standard output` for a stream).
    public var path: String
    /// What failed, in words.
    public var problem: String

    /// A failure of `path`: `problem`.
    public init(path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    /// A failure of `action` (for example "cannot write") on `path`, with the system's words
    /// for `errno`.
    public init(path: String, _ action: String, errno code: Int32) {
        self.init(path: path, "\(action): \(String(cString: strerror(code)))")
    }

    /// `path: problem`.
    public var description: String { "\(path): \(problem)" }

    /// 74 (I/O failure).
    public var exitCode: Int32 { ExitStatus.ioError }
}
