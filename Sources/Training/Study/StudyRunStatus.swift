import Checkpoint
import Foundation
import Records
import RunConfig

/// Where one run of a study stands, read from its directory without changing anything: what
/// `bgpo study train` would do with it, and the accuracies its metrics log holds so far.
public struct StudyRunStatus: Sendable {
    /// What `bgpo study train` would do with a run directory.
    public enum Progress: Sendable, Equatable {
        /// No checkpoint: the run starts afresh (setting aside the records of an earlier start).
        case notStarted
        /// The newest usable checkpoint has `step` of the plan's `maxSteps`: the run resumes there.
        case inProgress(step: Int, maxSteps: Int)
        /// The newest usable checkpoint has every step of the plan: nothing left to run.
        case complete(step: Int)
        /// The newest usable checkpoint (at `step`) was trained with another configuration in keys
        /// that affect training: the run refuses to resume (exit 64) until the study or the
        /// directory is set right.
        case differs(step: Int, changes: [ConfigChange])
        /// Checkpoints exist but none is usable, or the directory cannot be read: the run stops
        /// (exit 74) without touching them.
        case unusable(reason: String)
    }

    /// The run of the plan.
    public var run: StudyPlan.Run
    /// Where it stands.
    public var progress: Progress
    /// Newer checkpoints passed over, with the reason (a resume would skip them too).
    public var skipped: [SkippedCheckpoint]
    /// The first evaluation in the metrics log (before RL), with its step.
    public var firstAccuracy: (step: Int, estimate: AccuracyEstimate)?
    /// The last evaluation in the metrics log at or before the checkpoint's step.
    public var lastAccuracy: (step: Int, estimate: AccuracyEstimate)?

    /// The last step the metrics log records, when there is one: with no checkpoint, how far a
    /// run got before its first (its records are set aside when it starts afresh).
    public var recordedStep: Int?
    /// Why the metrics log could not be read, when it could not (the accuracies are then nil).
    public var metricsProblem: String?

    /// Reads `run`'s directory; `check` says how much of the newest checkpoint to read
    /// (``CheckpointCheck/full`` checks every byte, as a resume does).
    public init(run: StudyPlan.Run, check: CheckpointCheck) {
        self.run = run
        progress = .notStarted
        skipped = []
        let directory = URL(fileURLWithPath: run.directory, isDirectory: true)
        let lookup: CheckpointLookup
        do {
            lookup = try CheckpointStore(runDirectory: directory).latestValid(check)
        } catch {
            progress = .unusable(reason: "\(error)")
            return
        }
        skipped = lookup.skipped
        var checkpointStep: Int?
        if let found = lookup.found {
            let statePath = found.checkpoint.path(of: CheckpointDirectory.stateFile)
            do {
                let state = try TrainingState(json: found.state, path: statePath)
                let saved = try state.checked(manifestStep: found.manifest.step, path: statePath)
                let changes = run.config.changes(from: saved).filter(\.affectsTraining)
                if !changes.isEmpty {
                    progress = .differs(step: state.step, changes: changes)
                } else if state.step >= run.config.train.maxSteps {
                    progress = .complete(step: state.step)
                } else {
                    progress = .inProgress(step: state.step, maxSteps: run.config.train.maxSteps)
                }
                checkpointStep = state.step
            } catch {
                progress = .unusable(reason: "\(error)")
                return
            }
        } else if !skipped.isEmpty {
            progress = .unusable(reason: "none of its \(skipped.count) checkpoint(s) is usable")
            return
        }
        readRecords(of: directory, through: checkpointStep)
    }

    /// Reads the run's `metrics.jsonl` (when there is one): the last step it records and the first
    /// and last evaluation, those after `checkpointStep` (a resume drops them) left out.
    private mutating func readRecords(of directory: URL, through checkpointStep: Int?) {
        let metrics = directory.appendingPathComponent("metrics.jsonl")
        guard FileManager.default.fileExists(atPath: metrics.path) else { return }
        let records: [MetricsRecord]
        do {
            records = try MetricsLog.read(metrics)
        } catch {
            metricsProblem = "\(error)"
            return
        }
        recordedStep = records.map(\.step).max()
        let estimates = records.filter { $0.step <= checkpointStep ?? Int.max }.compactMap { record in
            AccuracyEstimate(record: record).map { (step: record.step, estimate: $0) }
        }
        firstAccuracy = estimates.first
        lastAccuracy = estimates.last
    }

    /// A short state for a table: `not started`, `no checkpoint yet (records to step 3)`, `step 12 of 30`, `complete (30)`,
    /// `differs: objective.mc_num`, `unusable: ...`.
    public var summary: String {
        switch progress {
        case .notStarted: recordedStep.map { "no checkpoint yet (records to step \($0))" } ?? "not started"
        case .inProgress(let step, let maxSteps): "step \(step) of \(maxSteps)"
        case .complete(let step): "complete (\(step))"
        case .differs(let step, let changes):
            "differs at step \(step): " + changes.map(\.description).joined(separator: "; ")
        case .unusable(let reason): "unusable: \(reason)"
        }
    }
}
