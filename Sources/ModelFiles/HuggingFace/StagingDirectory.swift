import Base
import Checkpoint
import Foundation

/// Produces a directory atomically: everything is written into a hidden temporary directory
/// beside the destination, which is published (synced and renamed, ``Checkpoint/publishDirectory(_:as:replacingVia:)``)
/// only when complete, so that nothing half-written is ever found at the destination.
enum StagingDirectory {
    /// Runs `body` on a fresh temporary directory, then renames it to `destination`; on any error
    /// the temporary directory is removed. An existing `destination` is refused (exit code 64).
    static func produce(_ destination: URL, _ body: (URL) throws -> Void) throws {
        let fileManager = FileManager.default
        guard !fileManager.fileExists(atPath: destination.path) else {
            throw HuggingFaceError(file: destination.path, "already exists; choose a new output path",
                                   exitCode: ExitStatus.usage)
        }
        let parent = destination.deletingLastPathComponent()
        let staging = parent.appendingPathComponent(".\(destination.lastPathComponent).partial-\(getpid())")
        do {
            try? fileManager.removeItem(at: staging)
            try fileManager.createDirectory(at: staging, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError(.io, path: staging.path, "cannot create: \(error.localizedDescription)")
        }
        do {
            try body(staging)
            try publishDirectory(staging, as: destination, replacingVia: nil)
        } catch {
            try? fileManager.removeItem(at: staging)
            throw error
        }
    }
}
