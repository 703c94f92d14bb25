import Base
import Checkpoint
import Cluster
import DLLM
import Foundation
import Records
import RunConfig
import Tasks

/// A whole RL run on one rank: the starting point (fresh or a checkpoint), the evaluation before
/// RL, the steps with their records, evaluations and checkpoints, and the stop at a signal or the
/// time limit.
///
/// Rank 0 decides where to start, loads and broadcasts the weights, writes `config.toml`,
/// `metrics.jsonl` and the checkpoints, and prints; the other ranks follow. A failure that only
/// rank 0 sees ends every rank (``Communicator/abort(code:)``) when there are several.
public final class TrainingRun {
    /// The run configuration.
    public let config: RunConfig
    /// `run.output_dir`.
    public let runDirectory: URL
    private let task: any RewardTask
    private let tokenizer: any Tokenizer
    private let communicator: any Communicator
    private let resume: ResumeChoice
    private let allowConfigChange: Bool
    private let timeLimit: TimeLimit
    private let stopSignal: () -> Int32?
    private let log: (String) -> Void
    private let threads: Int
    private let store: CheckpointStore

    /// Prepares a run.
    ///
    /// - Parameters:
    ///   - resume: where to start (see ``ResumeChoice``).
    ///   - allowConfigChange: resume even when the configuration changed in a way that alters the
    ///     algorithm or the data order (otherwise exit 64).
    ///   - timeLimit: the deadline to stop before, with a checkpoint.
    ///   - stopSignal: the stop signal received so far, if any, polled at every step:
    ///     ``StopSignal/received`` in the binary (a test passes its own, as the flag is process-wide).
    ///   - log: receives the human-readable lines (called on rank 0 only).
    ///   - threads: the rank's threads (``RLTrainer/init(config:model:reference:baseDigest:task:tokenizer:communicator:threads:)``).
    public init(config: RunConfig, task: any RewardTask, tokenizer: any Tokenizer, communicator: any Communicator,
                resume: ResumeChoice, allowConfigChange: Bool, timeLimit: TimeLimit, stopSignal: @escaping () -> Int32?,
                log: @escaping (String) -> Void, threads: Int = 1) {
        self.config = config
        self.threads = threads
        runDirectory = URL(fileURLWithPath: config.run.outputDir, isDirectory: true).standardizedFileURL
        self.task = task
        self.tokenizer = tokenizer
        self.communicator = communicator
        self.resume = resume
        self.allowConfigChange = allowConfigChange
        self.timeLimit = timeLimit
        self.stopSignal = stopSignal
        self.log = communicator.isRoot ? log : { _ in }
        store = CheckpointStore(runDirectory: runDirectory, settings: config.checkpoint)
    }

    /// Where the run starts.
    private enum Start {
        case fresh
        case resume(CheckpointDirectory)
        case complete(step: Int)
    }

    /// Runs the RL phase from an F32 base model (``run(base:)``).
    public func run(baseModel: () throws -> Model) throws -> RunOutcome {
        try run(base: { .f32(try baseModel()) })
    }

    /// Runs the RL phase.
    ///
    /// - Parameter base: the weights RL starts from, F32 or (frozen under LoRA, `model.dtype = bf16`)
    ///   bfloat16 (loaded, or warm-started by supervised
    ///   fine-tuning), called on every rank unless the run is already complete; rank 0's weights
    ///   are broadcast to the others. A resumed run takes its shape (and diffu-GRPO its reference
    ///   policy) and then loads the checkpoint's weights.
    public func run(base: () throws -> FrozenBase) throws -> RunOutcome {
        try onRoot { try createDirectories(runDirectory) }
        // Nothing in the run directory changes before the starting point is known and loaded: a
        // run that cannot resume stops with its records as they were.
        let start = try startingPoint()
        if case .complete(let step) = start {
            log("the run is already complete: its checkpoint has step \(step) of train.max_steps = \(config.train.maxSteps); nothing to do")
            return .alreadyComplete(step: step)
        }

        // The base model gives the shape (a model.path may differ from the preset) and, for
        // diffu-GRPO, the reference policy; a resumed run then overwrites the trained weights.
        // Rank 0's base goes to every rank; with a bfloat16 base under LoRA the F32 one is then released.
        let policy = try Policy(config: config, base: try broadcast(try base()))
        let trainer = try RLTrainer(config: config, model: policy.model, reference: policy.reference,
                                    baseDigest: policy.baseDigest, task: task, tokenizer: tokenizer,
                                    communicator: communicator, threads: threads)
        log(policy.summary)
        if case .resume(let checkpoint) = start {
            try load(checkpoint, into: trainer)
        }
        try onRoot {
            if case .fresh = start, let kept = try EarlierRecords.setAside(in: runDirectory) {
                log("a fresh start over the records of an earlier one without a checkpoint: metrics.jsonl and config.toml "
                    + "moved to \(kept.path)")
            }
            let configFile = runDirectory.appendingPathComponent("config.toml")
            try writeFileAtomically(Data(config.toml.utf8), to: configFile)
            log("resolved configuration (hash \(config.hash), written to \(configFile.path)):\n\(config.toml)")
        }
        let evaluator = Evaluator(config: config, task: task, tokenizer: tokenizer, communicator: communicator)
        return try loop(trainer: trainer, evaluator: evaluator, resumed: trainer.completedSteps > 0)
    }

    // MARK: - The loop

    private func loop(trainer: RLTrainer, evaluator: Evaluator, resumed: Bool) throws -> RunOutcome {
        let maxSteps = config.train.maxSteps
        let metricsLog = try onRoot { try MetricsLog(runDirectory: runDirectory, keepingStepsThrough: resumed ? trainer.completedSteps : nil) }
        let finalProblems = try evaluator.evaluationProblems(limit: config.task.testSize)
        let periodicProblems = config.train.evalLimit > 0 ? Array(finalProblems.prefix(config.train.evalLimit)) : finalProblems
        if !resumed {
            let before = try evaluator.evaluate(model: trainer.model, problems: finalProblems)
            var record = MetricsRecord(step: 0)
            before.record(into: &record)
            try onRoot { try metricsLog?.append(record) }
            log(String(format: "%@ accuracy before RL: %@ (mean reward %.4f)", config.task.evalSet.rawValue,
                       before.estimate.summary, before.reward))
        }
        var progress = ProgressLine(maxSteps: maxSteps)
        var longestStep = 0.0, longestCheckpoint = 0.0
        while trainer.completedSteps < maxSteps {
            let watch = Stopwatch()
            let report = try trainer.step {
                stopSignal() != nil
                    || timeLimit.shouldStop(stepSeconds: longestStep, checkpointSeconds: longestCheckpoint)
            }
            let step = trainer.completedSteps
            var metrics = report.metrics
            let isLast = step == maxSteps
            if isLast || (config.train.evalSteps > 0 && step % config.train.evalSteps == 0) {
                let evalWatch = Stopwatch()
                let result = try evaluator.evaluate(model: trainer.model, problems: isLast ? finalProblems : periodicProblems)
                result.record(into: &metrics)
                metrics["timing_s/eval"] = evalWatch.elapsed
            }
            let stopping = report.stopRequested && !isLast
            var checkpointSeconds = 0.0
            let saveSteps = config.checkpoint.saveSteps
            if isLast || stopping || (saveSteps > 0 && step % saveSteps == 0) {
                // The step's metrics line is appended once the checkpoint's files are written and
                // before it is published: a crash can then leave a line without its checkpoint
                // (dropped on resume), never a checkpoint without its line.
                let checkpointWatch = Stopwatch()
                try onRoot {
                    let saved = try trainer.saveCheckpoint(to: store, worldSize: communicator.size) {
                        metrics["timing_s/checkpoint"] = checkpointWatch.elapsed
                        try metricsLog?.append(metrics)
                    }
                    if !saved.removed.isEmpty { log("removed old checkpoints: \(saved.removed.joined(separator: ", "))") }
                }
                try communicator.barrier()
                checkpointSeconds = checkpointWatch.elapsed
                longestCheckpoint = max(longestCheckpoint, checkpointSeconds)
            } else {
                metrics["timing_s/checkpoint"] = 0
                try onRoot { try metricsLog?.append(metrics) }
            }
            longestStep = max(longestStep, watch.elapsed - checkpointSeconds)
            if step % config.train.loggingSteps == 0 || isLast || stopping {
                log(progress.line(for: metrics, seconds: watch.elapsed))
            }
            if stopping {
                let reason = stopSignal().map { "signal \(StopSignal.name(of: $0))" } ?? "the time limit or another rank's signal"
                log("stopping at step \(step) of \(maxSteps) (\(reason)); checkpoint \(CheckpointDirectory.name(forStep: step)) written, resume with the same command")
                return .stopped(step: step)
            }
        }
        try onRoot { try summarize() }
        return .completed(step: maxSteps)
    }

    /// Logs the accuracy before RL and after the last step, with standard errors, read back from
    /// `metrics.jsonl`.
    private func summarize() throws {
        let records = try MetricsLog.read(runDirectory.appendingPathComponent("metrics.jsonl"))
        let estimates = records.compactMap { record in AccuracyEstimate(record: record).map { (record.step, $0) } }
        guard let first = estimates.first, let last = estimates.last else { return }
        log(String(format: "%@ accuracy: %@ before RL (step %d), %@ after step %d (%+.1f points)",
                   config.task.evalSet.rawValue, first.1.summary, first.0, last.1.summary, last.0,
                   100 * (last.1.accuracy - first.1.accuracy)))
    }

    // MARK: - Where to start

    /// Decides on rank 0 where the run starts and tells every rank.
    private func startingPoint() throws -> Start {
        // [kind (0 fresh, 1 resume, 2 complete), step]
        var decision: [Int64] = [0, 0]
        var chosen: CheckpointDirectory?
        try onRoot {
            guard let checkpoint = try store.checkpoint(for: resume, log: log) else { return }
            let summary = try checkpoint.summary()
            let statePath = checkpoint.path(of: CheckpointDirectory.stateFile)
            let state = try TrainingState(json: summary.state, path: statePath)
            let saved = try state.checked(manifestStep: summary.manifest.step, path: statePath)
            let changes = try config.checkResume(from: saved, allowConfigChange: allowConfigChange)
            for change in changes { log("configuration change since the checkpoint: \(change)") }
            if state.worldSize != communicator.size {
                log("the checkpoint was written by \(state.worldSize) rank(s), this run has \(communicator.size): "
                    + "the same prompts, rollouts and masks, float sums in another order")
            }
            decision = [state.step >= config.train.maxSteps ? 2 : 1, Int64(state.step)]
            chosen = checkpoint
        }
        try decision.withUnsafeMutableBytes { try communicator.broadcast($0.baseAddress!, bytes: $0.count, root: 0) }
        switch decision[0] {
        case 2: return .complete(step: Int(decision[1]))
        case 1:
            log("resuming from \(chosen?.url.path ?? "a checkpoint") at step \(decision[1])")
            return .resume(chosen ?? CheckpointDirectory(url: store.directory.appendingPathComponent(CheckpointDirectory.name(forStep: Int(decision[1])))))
        default:
            log("starting a fresh run in \(runDirectory.path)")
            return .fresh
        }
    }

    /// Loads `checkpoint` on rank 0 and broadcasts weights, moments and counters.
    private func load(_ checkpoint: CheckpointDirectory, into trainer: RLTrainer) throws {
        var counters: [Int64] = [0, 0]
        try onRoot {
            let statePath = checkpoint.path(of: CheckpointDirectory.stateFile)
            let saved = try TrainingState(json: try checkpoint.summary().state, path: statePath)
            guard saved.baseDigest == trainer.baseDigest else {
                throw TrainingError.incompatibleCheckpoint(path: checkpoint.url.path, reason: Policy.baseMismatch(
                    saved: saved.baseDigest, current: trainer.baseDigest))
            }
            let state = try trainer.loadCheckpoint(checkpoint)
            counters = [Int64(state.step), Int64(state.updates)]
        }
        for buffer in [trainer.model.trainableParameters, trainer.optimizer.m, trainer.optimizer.v] {
            try communicator.broadcast(buffer.pointer, count: buffer.count, root: 0)
        }
        try counters.withUnsafeMutableBytes { try communicator.broadcast($0.baseAddress!, bytes: $0.count, root: 0) }
        trainer.restore(completedSteps: Int(counters[0]), updates: Int(counters[1]))
    }

    // MARK: - Helpers

    /// Sends rank 0's weights of `base` to every rank and returns it.
    private func broadcast(_ base: FrozenBase) throws -> FrozenBase {
        switch base {
        case .f32(let model):
            try communicator.broadcast(model.parameters.pointer, count: model.parameters.count, root: 0)
        case .bf16(let model):
            try communicator.broadcast(UnsafeMutableRawPointer(model.storage.baseAddress!),
                                       bytes: model.storage.count * MemoryLayout<UInt16>.stride, root: 0)
        }
        return base
    }

    @discardableResult
    private func onRoot<T>(_ body: () throws -> T) throws -> T? {
        try communicator.rootOnly(body)
    }
}
