#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Standard output or standard error, written without ever crashing the process.
///
/// A write to a full or closed device throws ``IOFailure`` (or, for log lines, is dropped) and is
/// remembered, so that a command whose output is its product can end with exit code 74 instead
/// of claiming success. Text written here goes straight to the file descriptor, after anything
/// `print` has buffered, so the two keep their order.
public enum StandardStream: Sendable {
    /// File descriptor 1.
    case output
    /// File descriptor 2.
    case error

    private static let outputFailure = Mutex<IOFailure?>(nil)

    /// The stream's name in messages: `standard output` or `standard error`.
    public var name: String { self == .output ? "standard output" : "standard error" }

    private var descriptor: Int32 { self == .output ? 1 : 2 }

    /// Writes every byte of `text`, after flushing what `print` buffered; throws ``IOFailure`` if
    /// the device refuses (full, closed, a broken pipe).
    public func write(_ text: String) throws {
        if self == .output, fflush(stdout) != 0 { try fail(errno) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { writeBytes(descriptor, $0, from: written) }
            if result < 0 {
                if errno == EINTR { continue }
                try fail(errno)
            }
            written += result
        }
    }

    /// Writes `text` for a person to read (a log line, a warning), dropping it if the device
    /// refuses: a training run goes on when its log file system is full. A failure of standard
    /// output is still remembered (``outputFailureAfterFlush()``).
    public func writeLog(_ text: String) {
        try? write(text)
    }

    /// The first failure to write standard output through this type or through `print` (checked
    /// by flushing), or nil when everything written so far reached the device.
    public static func outputFailureAfterFlush() -> IOFailure? {
        if fflush(stdout) != 0 || ferror(stdout) != 0 {
            let failure = StandardStream.output.failure(errno: errno)
            outputFailure.withLock { if $0 == nil { $0 = failure } }
        }
        return outputFailure.withLock { $0 }
    }

    /// The failure of a write that set `code` (0 when stdio had failed earlier without errno).
    private func failure(errno code: Int32) -> IOFailure {
        code == 0 ? IOFailure(path: name, "cannot write (an earlier write failed)")
            : IOFailure(path: name, "cannot write", errno: code)
    }

    private func fail(_ code: Int32) throws -> Never {
        let error = failure(errno: code)
        if self == .output {
            Self.outputFailure.withLock { if $0 == nil { $0 = error } }
        }
        throw error
    }
}

/// `write(2)` of `bytes[offset...]` to `descriptor`: the count written, or -1 with errno set.
private func writeBytes(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, from offset: Int) -> Int {
    write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
}
