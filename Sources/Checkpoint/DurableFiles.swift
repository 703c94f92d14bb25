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

/// Publishes the complete directory `staging` as `target` in one rename, durably: every file
/// directly in `staging` and `staging` itself are synced first, the parent after the rename.
/// An existing `target` is refused when `aside` is nil; otherwise it is first renamed to `aside`
/// and removed after (or moved back if the rename fails). All three are in the same directory.
///
/// Throws ``CheckpointError`` `.io` (exit 74) naming the entry and the system's reason, or
/// `.invalidArgument` when `target` exists and there is no `aside`.
public func publishDirectory(_ staging: URL, as target: URL, replacingVia aside: URL?) throws {
    let parent = target.deletingLastPathComponent()
    let names = (try? FileManager.default.contentsOfDirectory(atPath: staging.path)) ?? []
    for name in names.sorted() {
        let path = staging.appendingPathComponent(name).path
        guard let entry = try statEntry(path), !entry.isDirectory else { continue }
        try fsyncFile(path)
    }
    try fsyncDirectory(staging.path)
    var movedAside = false
    if try statEntry(target.path) != nil {
        guard let aside else { throw CheckpointError(.invalidArgument, path: target.path, "already exists") }
        try renameEntry(target.path, to: aside.path)
        movedAside = true
    }
    do {
        try renameEntry(staging.path, to: target.path)
        try fsyncDirectory(parent.path)
    } catch {
        if movedAside, let aside, (try? statEntry(target.path)) == nil {
            try? renameEntry(aside.path, to: target.path)
        }
        throw error
    }
    if movedAside, let aside { try? FileManager.default.removeItem(at: aside) }
}
