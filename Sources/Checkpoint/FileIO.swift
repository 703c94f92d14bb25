#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Something bytes can be written to, in order.
protocol ByteSink: AnyObject {
    /// Writes all of `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

/// Something bytes can be read from, in order.
protocol ByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes, fewer only at the end; returns how many (0 at the end).
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// The text of the current `errno`.
func errnoDescription(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

/// A new file opened for writing, hashed as it is written, synced to disk when finished.
final class OutputFile: ByteSink {
    /// The file's path.
    let path: String
    private var descriptor: Int32
    private var digest = StreamDigest()

    /// Creates the file; fails if it exists.
    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if descriptor < 0 { throw CheckpointError(.io, path: path, "cannot create: \(errnoDescription())") }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        var done = 0
        while done < bytes.count {
            let n = Foundation.write(descriptor, base + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw CheckpointError(.io, path: path,
                                      "write failed after \(digest.byteCount + done) bytes: \(errnoDescription())")
            }
            done += n
        }
        digest.update(bytes)
    }

    /// Flushes the file to disk (fsync), closes it and returns its size and SHA-256.
    func finish(uncompressedByteCount: Int? = nil) throws -> FileDigest {
        if fsync(descriptor) != 0 { throw CheckpointError(.io, path: path, "fsync failed: \(errnoDescription())") }
        let status = close(descriptor)
        descriptor = -1
        if status != 0 { throw CheckpointError(.io, path: path, "close failed: \(errnoDescription())") }
        return digest.finalize(uncompressedByteCount: uncompressedByteCount)
    }
}

/// A file opened for reading, sequentially (hashed as it is read) or at given offsets.
final class InputFile: ByteSource {
    /// The file's path.
    let path: String
    /// The file's size when it was opened.
    let size: Int
    private let descriptor: Int32
    private var digest = StreamDigest()

    /// Opens the file; a missing file is a `.notFound` error.
    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            let code = errno
            throw CheckpointError(code == ENOENT ? .notFound : .io, path: path,
                                  code == ENOENT ? "no such file" : "cannot open: \(errnoDescription(code))")
        }
        var info = stat()
        if fstat(descriptor, &info) != 0 {
            let problem = "cannot stat: \(errnoDescription())"
            close(descriptor)
            throw CheckpointError(.io, path: path, problem)
        }
        size = Int(info.st_size)
    }

    deinit { close(descriptor) }

    /// Bytes read sequentially so far.
    var position: Int { digest.byteCount }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var done = 0
        while done < buffer.count {
            let n = Foundation.read(descriptor, base + done, buffer.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw CheckpointError(.io, path: path, "read failed at byte \(position + done): \(errnoDescription())")
            }
            if n == 0 { break }
            done += n
        }
        digest.update(UnsafeRawBufferPointer(rebasing: buffer[0..<done]))
        return done
    }

    /// Reads the rest of the file (to finish its hash) and returns the size and SHA-256 of all
    /// bytes read sequentially.
    func finishDigest() throws -> FileDigest {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { scratch.deallocate() }
        while try read(into: scratch) > 0 {}
        return digest.finalize()
    }

    /// Fills `buffer` from byte `offset` of the file; running out of file is a `.corrupt` error.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        guard let base = buffer.baseAddress else { return }
        var done = 0
        while done < buffer.count {
            let n = pread(descriptor, base + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw CheckpointError(.io, path: path, "read failed at byte \(offset + done): \(errnoDescription())")
            }
            if n == 0 {
                throw CheckpointError(.corrupt, path: path,
                                      "truncated: the file ends at byte \(offset + done), expected \(offset + buffer.count)")
            }
            done += n
        }
    }
}

/// Syncs a directory's entries to disk (after creating, renaming or removing entries in it).
func fsyncDirectory(_ path: String) throws {
    let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if descriptor < 0 { throw CheckpointError(.io, path: path, "cannot open directory: \(errnoDescription())") }
    defer { close(descriptor) }
    if fsync(descriptor) != 0 {
        throw CheckpointError(.io, path: path, "fsync of directory failed: \(errnoDescription())")
    }
}

/// Syncs the file at `path` to storage (opened read-only: fsync applies to the file, not the descriptor).
func fsyncFile(_ path: String) throws {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    if descriptor < 0 { throw CheckpointError(.io, path: path, "cannot open: \(errnoDescription())") }
    defer { close(descriptor) }
    if fsync(descriptor) != 0 {
        throw CheckpointError(.io, path: path, "fsync failed: \(errnoDescription())")
    }
}

/// Renames `source` to `destination` (atomic within one file system; replaces a file, not a
/// non-empty directory).
func renameEntry(_ source: String, to destination: String) throws {
    if rename(source, destination) != 0 {
        throw CheckpointError(.io, path: destination, "cannot rename \(source) to this: \(errnoDescription())")
    }
}

/// Writes a file through a temporary beside it: `body` writes the temporary and finishes it
/// (``OutputFile/finish(uncompressedByteCount:)`` syncs it), then it is renamed over `path` and
/// the directory synced, so that `path` holds either its old content or the complete new one.
/// On failure the temporary is removed and `path` is untouched.
func writeAtomically(_ path: String, _ body: (OutputFile) throws -> FileDigest) throws -> FileDigest {
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent().path
    let temporary = directory + "/" + temporaryName(for: url.lastPathComponent)
    do {
        let digest = try body(try OutputFile(path: temporary))
        try renameEntry(temporary, to: path)
        try fsyncDirectory(directory)
        return digest
    } catch {
        unlink(temporary)
        throw error
    }
}

/// The name of a temporary entry for `name` owned by this process: `.tmp-<name>-<pid>@<host>`.
///
/// The owner's pid and host name let a later writer tell whether the owner is gone
/// (see ``TemporaryOwner``).
func temporaryName(for name: String) -> String {
    ".tmp-\(name)-\(getpid())@\(TemporaryOwner.currentHost)"
}

/// The writer a temporary entry belongs to, parsed from its name.
struct TemporaryOwner: Equatable {
    /// The writer's process id.
    var pid: Int32
    /// The writer's host name.
    var host: String

    /// This machine's host name.
    static var currentHost: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown-host" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Parses `.tmp-<anything>-<pid>@<host>`; nil for any other name.
    init?(temporaryName name: String) {
        guard name.hasPrefix(".tmp-"), let at = name.lastIndex(of: "@") else { return nil }
        let host = String(name[name.index(after: at)...])
        let head = name[..<at]
        guard let dash = head.lastIndex(of: "-"), let pid = Int32(head[head.index(after: dash)...]),
              pid > 0, !host.isEmpty else { return nil }
        self.pid = pid
        self.host = host
    }

    /// Whether the owner certainly no longer runs: it ran on this host and no process has its pid.
    var isGone: Bool {
        host == TemporaryOwner.currentHost && pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH
    }
}

/// What `stat` says of `path`: nil when nothing is there (ENOENT, ENOTDIR), otherwise whether it
/// is a directory and its size. Any other failure (permission denied, an I/O error) is `.io`:
/// it says nothing about whether the entry is there.
func statEntry(_ path: String) throws -> (isDirectory: Bool, size: Int)? {
    var info = stat()
    guard stat(path, &info) == 0 else {
        let code = errno
        if code == ENOENT || code == ENOTDIR { return nil }
        throw CheckpointError(.io, path: path, "cannot stat: \(errnoDescription(code))")
    }
    return ((info.st_mode & S_IFMT) == S_IFDIR, Int(info.st_size))
}
