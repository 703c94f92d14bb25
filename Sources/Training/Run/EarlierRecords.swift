import Checkpoint
import Foundation

/// The records a fresh start would overwrite: a run directory's `metrics.jsonl` and `config.toml`
/// from an earlier start, left without a checkpoint (a run stopped before its first one, or whose
/// checkpoints were removed to save space).
enum EarlierRecords {
    /// The files a run writes from its start.
    static let files = ["metrics.jsonl", "config.toml"]

    /// Moves the earlier records of `runDirectory`, when it holds a non-empty `metrics.jsonl`, into
    /// a new `superseded-<UTC time>/` inside it, and returns that directory (nil when there was
    /// nothing to keep). A fresh start then writes its own records without losing the old ones.
    static func setAside(in runDirectory: URL, now: Date = Date()) throws -> URL? {
        let metrics = runDirectory.appendingPathComponent(files[0])
        let size = (try? FileManager.default.attributesOfItem(atPath: metrics.path)[.size] as? Int) ?? 0
        guard size > 0 else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        var destination = runDirectory.appendingPathComponent("superseded-\(formatter.string(from: now))", isDirectory: true)
        var suffix = 1
        while FileManager.default.fileExists(atPath: destination.path) {
            suffix += 1
            destination = runDirectory.appendingPathComponent("superseded-\(formatter.string(from: now))-\(suffix)", isDirectory: true)
        }
        try createDirectories(destination)
        for name in files where FileManager.default.fileExists(atPath: runDirectory.appendingPathComponent(name).path) {
            let source = runDirectory.appendingPathComponent(name)
            do {
                try FileManager.default.moveItem(at: source, to: destination.appendingPathComponent(name))
            } catch {
                throw CheckpointError(.io, path: source.path, "cannot move the earlier record aside: \(error.localizedDescription)")
            }
        }
        return destination
    }
}
