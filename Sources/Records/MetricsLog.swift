import Foundation

/// The append-only `metrics.jsonl` of a run directory (written by rank 0 only).
public final class MetricsLog {
    /// The file's location, `RUN_DIR/metrics.jsonl`.
    public let url: URL
    private let handle: FileHandle

    /// Opens `RUN_DIR/metrics.jsonl`, keeping only the lines of steps up to `lastStep`.
    ///
    /// A resumed run passes the checkpoint's step, so that lines written after that checkpoint
    /// by the interrupted attempt are dropped and the file stays one continuous record;
    /// a fresh run passes nil and starts an empty file.
    public init(runDirectory: URL, keepingStepsThrough lastStep: Int?) throws {
        url = runDirectory.appendingPathComponent("metrics.jsonl")
        let kept: [String]
        if let lastStep, FileManager.default.fileExists(atPath: url.path) {
            kept = try MetricsLog.lines(of: url).filter { (try MetricsRecord(jsonLine: $0)).step <= lastStep }
        } else {
            kept = []
        }
        let text = kept.map { $0 + "\n" }.joined()
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
            handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
        } catch {
            throw RecordError.io(path: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    deinit {
        try? handle.close()
    }

    /// Appends one record as a line and flushes it to the file.
    public func append(_ record: MetricsRecord) throws {
        do {
            try handle.write(contentsOf: Data((record.jsonLine + "\n").utf8))
            try handle.synchronize()
        } catch {
            throw RecordError.io(path: url.path, reason: "cannot append: \(error.localizedDescription)")
        }
    }

    /// Reads every record of a metrics file.
    public static func read(_ url: URL) throws -> [MetricsRecord] {
        try lines(of: url).map { try MetricsRecord(jsonLine: $0) }
    }

    private static func lines(of url: URL) throws -> [String] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw RecordError.io(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
            .filter { !$0.allSatisfy(\.isWhitespace) }
    }
}
