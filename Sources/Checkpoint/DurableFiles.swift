#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Creates the directory `url` and any missing parents (`mkdir -p`), syncing the parent of each
/// one created.
///
/// Throws ``CheckpointError`` `.io` (exit 74) naming the directory that could not be made and the
/// system's reason (read-only file system, permission denied, no space left, a file in the way).
public func createDirectories(_ url: URL) throws {
    let path = url.standardizedFileURL.path
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
        guard isDirectory.boolValue else {
            throw CheckpointError(.io, path: path, "cannot create directory: a file of that name exists")
        }
        return
    }
    let parent = url.standardizedFileURL.deletingLastPathComponent()
    if parent.path != path { try createDirectories(parent) }
    if mkdir(path, 0o755) != 0, errno != EEXIST {
        throw CheckpointError(.io, path: path, "cannot create directory: \(errnoDescription())")
    }
    try fsyncDirectory(parent.path)
}

/// Writes `data` to the file `url` so that it holds either its old content or the new one
/// whole: a temporary beside it, synced, renamed over it, the directory synced. Throws
/// ``CheckpointError`` `.io` (exit 74) naming the file and the system's reason.
public func writeFileAtomically(_ data: Data, to url: URL) throws {
    let path = url.standardizedFileURL.path
    do {
        _ = try writeAtomically(path) { file in
            try data.withUnsafeBytes { try file.write($0) }
            return try file.finish()
        }
    } catch let error as CheckpointError {
        // Name the file the user knows, not its temporary.
        throw CheckpointError(error.kind, path: path, error.problem)
    }
}
