/// An error that knows which process exit code it maps to.
///
/// The codes follow BSD's sysexits, as documented in the README: 64 bad command line or
/// configuration, 65 bad input data, 70 internal error or non-finite loss, 74 I/O or checkpoint
/// failure, 75 stopped early with a checkpoint.
public protocol ExitCodeProviding: Error {
    /// The process exit code for this error.
    var exitCode: Int32 { get }
}

/// The exit codes bgpo uses.
public enum ExitStatus {
    /// The run finished.
    public static let success: Int32 = 0
    /// Bad command line or configuration.
    public static let usage: Int32 = 64
    /// Bad input data (a dataset line, a model file).
    public static let dataError: Int32 = 65
    /// Internal error or non-finite loss.
    public static let software: Int32 = 70
    /// I/O or checkpoint failure.
    public static let ioError: Int32 = 74
    /// Stopped early with a checkpoint; requeue the job.
    public static let tempFail: Int32 = 75
}
