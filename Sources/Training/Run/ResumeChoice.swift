import Checkpoint
import Foundation

/// Where `bgpo train --resume` starts from.
public enum ResumeChoice: Sendable, Equatable, CustomStringConvertible {
    /// The newest checkpoint of the run directory that verifies, or a fresh start when the run
    /// directory holds no checkpoint. Checkpoints that fail verification are skipped; one that
    /// cannot be read (an I/O error), or checkpoints none of which verifies, stop the run with
    /// exit 74 and nothing touched.
    case auto
    /// A fresh start; refused (exit 64) in a run directory that holds checkpoints, which it would
    /// overwrite.
    case never
    /// This checkpoint directory (a path, or a name such as `step-000120` inside the run
    /// directory's `checkpoints/`); one that does not verify is an error (exit 74).
    case path(String)

    /// Parses `auto`, `never` or a path.
    public init(argument: String) {
        switch argument {
        case "auto": self = .auto
        case "never": self = .never
        default: self = .path(argument)
        }
    }

    /// The value as given to `--resume`.
    public var description: String {
        switch self {
        case .auto: "auto"
        case .never: "never"
        case .path(let path): path
        }
    }
}

/// How a training run ended.
public enum RunOutcome: Sendable, Equatable {
    /// Every step ran; the last checkpoint is written. Exit 0.
    case completed(step: Int)
    /// A stop signal or the time limit ended the run early with a checkpoint. Exit 75.
    case stopped(step: Int)
    /// The checkpoint resumed from already had every step; nothing ran. Exit 0.
    case alreadyComplete(step: Int)
}

extension CheckpointStore {
    /// The checkpoint `choice` names in this store, verified, or nil for a fresh start (call it on
    /// rank 0); `log` receives what `auto` skipped and why.
    ///
    /// - Throws: ``TrainingError/checkpointsPresent(directory:count:)`` (exit 64) for `never` in a
    ///   store with checkpoints, ``TrainingError/noUsableCheckpoint(directory:skipped:)`` (exit 74)
    ///   when none of them verifies, and the verification error of a `path` that does not.
    public func checkpoint(for choice: ResumeChoice, log: (String) -> Void) throws -> CheckpointDirectory? {
        switch choice {
        case .never:
            let existing = try list()
            guard existing.isEmpty else {
                throw TrainingError.checkpointsPresent(directory: directory.path, count: existing.count)
            }
            return nil
        case .path(let path):
            var url = URL(fileURLWithPath: path, isDirectory: true)
            if !FileManager.default.fileExists(atPath: url.path), !path.contains("/") {
                url = directory.appendingPathComponent(path, isDirectory: true)
            }
            let checkpoint = CheckpointDirectory(url: url)
            _ = try checkpoint.verify()
            return checkpoint
        case .auto:
            let lookup = try latestValid()
            for note in lookup.notes { log("resume: \(note)") }
            for skipped in lookup.skipped { log("resume: skipping \(skipped.name): \(skipped.reason)") }
            guard let found = lookup.found else {
                guard lookup.skipped.isEmpty else {
                    throw TrainingError.noUsableCheckpoint(directory: directory.path,
                                                           skipped: lookup.skipped.map { "\($0.name): \($0.reason)" })
                }
                return nil
            }
            log("resume: \(found.checkpoint.name) is the newest checkpoint that verifies")
            return found.checkpoint
        }
    }
}
