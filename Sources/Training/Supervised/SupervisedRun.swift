import Checkpoint
import Cluster
import DLLM
import Foundation
import RunConfig
import Tasks

/// The one supervised training loop, of `bgpo sft` and of the warm start of `bgpo train`:
/// `sft.steps` updates of LLaDA-style masked SFT (``SupervisedTrainer``) on the task's reference
/// completions (``SupervisedProblems``), a line every `sft.logging_steps`, and an evaluation
/// every `sft.eval_steps` and after the last step with the RL run's ``Evaluator``.
///
/// Settings: `sft` (steps, batch size, learning-rate schedule, cadence), `optim`'s AdamW betas,
/// epsilon, weight decay and gradient clip, `rollout.max_completion_length` (the response length)
/// and the evaluation's decoding keys, `train.seed` (problems, masks; the evaluation's sampler),
/// `train.micro_batch_size` (examples per forward pass, prompts per decoding batch), `task`
/// (name, train_size, test_size, eval_set). Every rank of the communicator runs it with the same
/// weights; each takes its share of every step's examples and of the evaluation problems, and
/// only rank 0 logs.
public struct SupervisedRun {
    /// The run configuration.
    public let config: RunConfig
    private let task: any RewardTask
    private let tokenizer: any Tokenizer
    private let communicator: any Communicator
    private let log: (String) -> Void
    private let threads: Int

    /// Prepares a run; `log` receives the human-readable lines (called on rank 0 only); a step's
    /// micro-batches run side by side over `threads` (``SupervisedTrainingOptions/threads``).
    public init(config: RunConfig, task: any RewardTask, tokenizer: any Tokenizer, communicator: any Communicator,
                log: @escaping (String) -> Void, threads: Int = 1) {
        self.config = config
        self.threads = threads
        self.task = task
        self.tokenizer = tokenizer
        self.communicator = communicator
        self.log = communicator.isRoot ? log : { _ in }
    }

    /// Trains `model` in place for `sft.steps` updates from `start`.
    ///
    /// - Parameters:
    ///   - evaluateAtEnd: evaluate after the last step (the warm start leaves that to the
    ///     evaluation before RL, which is the same one).
    ///   - checkpoints: where the run checkpoints, resumes and is stopped (`bgpo sft`, the warm
    ///     start); nil: none of that.
    ///   - afterEvaluation: called on every rank after each evaluation, with the run's progress.
    /// - Returns: the progress after the last step (or the stop), with the last evaluation if any.
    @discardableResult
    public func train(_ model: Model, from start: SupervisedStart = .fresh, evaluateAtEnd: Bool,
                      checkpoints: SupervisedCheckpoints? = nil,
                      afterEvaluation: (SupervisedProgress) throws -> Void = { _ in }) throws -> SupervisedProgress {
        let sft = config.sft
        let trainer = SupervisedTrainer(model: model, options: trainingOptions, startStep: start.step,
                                        communicator: communicator)
        let resumed = try checkpoints.flatMap { try resume($0, trainer: trainer) }
        var problems = SupervisedProblems(config: config, task: task, tokenizer: tokenizer,
                                          next: resumed?.nextProblem ?? start.nextProblem, skipped: resumed?.skipped ?? 0)
        var progress = SupervisedProgress(step: trainer.step, nextProblem: problems.next, loss: .nan, evaluation: nil,
                                          skipped: problems.skipped, seconds: 0, outcome: .completed(step: trainer.step))
        let done = resumed?.runSteps ?? 0
        guard done < sft.steps else {
            log("the run is already complete: its checkpoint has step \(done) of sft.steps = \(sft.steps); nothing to do")
            progress.outcome = .alreadyComplete(step: trainer.step)
            return progress
        }
        let evaluator = Evaluator(config: config, task: task, tokenizer: tokenizer, communicator: communicator)
        let evaluates = evaluateAtEnd || sft.evalSteps > 0
        let evaluationProblems = evaluates ? try evaluator.evaluationProblems(limit: config.task.testSize) : []
        log(header(model: model, start: start))
        let watch = Stopwatch()
        var window = (tokens: 0, seconds: 0.0)
        for step in (done + 1)...sft.steps {
            let report = try trainer.train(on: try problems.batch(sft.batchSize)) { checkpoints?.stopSignal() != nil }
            window = (window.tokens + report.tokens, window.seconds + report.seconds)
            progress.step = trainer.step
            progress.nextProblem = problems.next
            progress.loss = report.loss
            progress.skipped = problems.skipped
            progress.seconds = watch.elapsed
            let isLast = step == sft.steps
            let stopping = report.stopRequested && !isLast
            if step % sft.loggingSteps == 0 || isLast || stopping {
                log(String(format: "sft step %d/%d | loss %.4f | grad_norm %.3f | lr %.3e | %.0f tok/s | %.2f s/step",
                           step, sft.steps, report.loss, report.gradNorm, report.learningRate,
                           Double(window.tokens) / max(window.seconds, 1e-9), progress.seconds / Double(step - done)))
                window = (0, 0)
            }
            if (sft.evalSteps > 0 && step % sft.evalSteps == 0) || (isLast && evaluateAtEnd) {
                let evalWatch = Stopwatch()
                let result = try evaluator.evaluate(model: model, problems: evaluationProblems)
                log(String(format: "sft eval step %d: %@ accuracy %@, mean reward %.4f (%.1f s)", trainer.step,
                           config.task.evalSet.rawValue, result.estimate.summary, result.reward, evalWatch.elapsed))
                progress.evaluation = result
                progress.seconds = watch.elapsed
                try afterEvaluation(progress)
            }
            // After the evaluation and its model: a checkpoint of the last step means the run is complete.
            if let checkpoints, isLast || stopping || (sft.saveSteps > 0 && step % sft.saveSteps == 0) {
                try save(checkpoints, trainer: trainer, runSteps: step, problems: problems)
            }
            if stopping {
                let signal = checkpoints?.stopSignal().map { "signal \(StopSignal.name(of: $0))" } ?? "another rank's signal"
                log("stopping at step \(step) of \(sft.steps) (\(signal)); checkpoint "
                    + "\(CheckpointDirectory.name(forStep: trainer.step)) written, resume with the same command")
                progress.outcome = .stopped(step: trainer.step)
                return progress
            }
        }
        if problems.skipped > 0 {
            log("sft: skipped \(problems.skipped) problems without a reference that fits "
                + "rollout.max_completion_length = \(config.rollout.maxCompletionLength) tokens")
        }
        log(String(format: "sft done: %d steps in %.0f s", sft.steps - done, watch.elapsed))
        progress.outcome = .completed(step: trainer.step)
        return progress
    }

    /// Writes the checkpoint after `runSteps` steps of this run (rank 0).
    private func save(_ checkpoints: SupervisedCheckpoints, trainer: SupervisedTrainer, runSteps: Int,
                      problems: SupervisedProblems) throws {
        let state = SupervisedState(step: trainer.step, runSteps: runSteps, updates: trainer.optimizer.updates,
                                    nextProblem: problems.next, skipped: problems.skipped, config: config,
                                    worldSize: communicator.size)
        try communicator.rootOnly {
            _ = try checkpoints.store.save(step: trainer.step, weights: trainer.model.parameters, layout: trainer.model.layout,
                                           optimizer: trainer.optimizer, state: try state.encoded())
        }
    }

    /// The checkpoint `checkpoints.resume` names, loaded into `trainer` on every rank (rank 0 reads
    /// and checks it and broadcasts weights, moments and counters), or nil for a fresh start.
    /// A checkpoint of another configuration (a change that alters training) is refused, exit 64.
    private func resume(_ checkpoints: SupervisedCheckpoints, trainer: SupervisedTrainer) throws -> SupervisedState? {
        var found: SupervisedState?
        // [found, step, run steps, updates, next problem (bit pattern), skipped]
        var counters: [Int64] = [0, 0, 0, 0, 0, 0]
        try communicator.rootOnly {
            guard let checkpoint = try checkpoints.store.checkpoint(for: checkpoints.resume, log: log) else { return }
            let summary = try checkpoint.summary()
            let statePath = checkpoint.path(of: CheckpointDirectory.stateFile)
            let (state, saved) = try SupervisedState.read(json: summary.state, manifestStep: summary.manifest.step, path: statePath)
            switch checkpoints.compatibility {
            case .sameTraining:
                for change in try config.checkResume(from: saved, allowConfigChange: false) {
                    log("configuration change since the checkpoint: \(change)")
                }
            case .sameRecipe(let expected, let recipe):
                guard recipe(saved) == expected else {
                    throw TrainingError.incompatibleCheckpoint(path: statePath, reason: "its configuration makes another warm start")
                }
            }
            _ = try checkpoint.load(weights: trainer.model.parameters, layout: trainer.model.layout, optimizer: trainer.optimizer)
            try checkpoint.requireFinite(weights: trainer.model.parameters, optimizer: trainer.optimizer, step: state.step)
            log("resuming from \(checkpoint.url.path) at step \(state.step) (\(state.runSteps) of this run's \(config.sft.steps))")
            counters = [1, Int64(state.step), Int64(state.runSteps), Int64(state.updates),
                        Int64(bitPattern: state.nextProblem), Int64(state.skipped)]
            found = state
        }
        try counters.withUnsafeMutableBytes { try communicator.broadcast($0.baseAddress!, bytes: $0.count, root: 0) }
        guard counters[0] == 1 else { return nil }
        for buffer in [trainer.model.parameters, trainer.optimizer.m, trainer.optimizer.v] {
            try communicator.broadcast(buffer.pointer, count: buffer.count, root: 0)
        }
        trainer.restore(step: Int(counters[1]), updates: Int(counters[3]))
        return found ?? SupervisedState(step: Int(counters[1]), runSteps: Int(counters[2]), updates: Int(counters[3]),
                                        nextProblem: UInt64(bitPattern: counters[4]), skipped: Int(counters[5]),
                                        config: config, worldSize: communicator.size)
    }

    /// The trainer's settings: `sft`'s batch and schedule, `optim`'s AdamW, `train`'s micro-batch and seed.
    var trainingOptions: SupervisedTrainingOptions {
        let sft = config.sft
        return SupervisedTrainingOptions(
            batchSize: sft.batchSize, microBatchSize: config.train.microBatchSize,
            schedule: LearningRateSchedule(peak: sft.learningRate, warmupUpdates: sft.warmupSteps, totalUpdates: sft.steps,
                                           shape: sft.lrSchedulerType),
            adamW: AdamWSettings(config.optim), seed: UInt64(config.train.seed), threads: threads)
    }

    /// The run's first line: what is trained, on what, how.
    private func header(model: Model, start: SupervisedStart) -> String {
        let sft = config.sft, shape = model.config
        let from = start.step > 0 ? ", continuing after \(start.step) updates" : ""
        return "sft \(task.name): \(sft.steps) steps of \(sft.batchSize) reference completions of "
            + "\(config.rollout.maxCompletionLength) tokens (micro-batches of \(config.train.microBatchSize)), learning rate "
            + "\(sft.learningRate) (\(sft.lrSchedulerType.rawValue), \(sft.warmupSteps) warm-up steps), seed \(config.train.seed)\(from); "
            + "model d_model \(shape.dModel), \(shape.nLayers) layers, \(shape.nHeads)/\(shape.nKVHeads) heads, "
            + "mlp \(shape.mlpHidden), vocab \(shape.vocabSize), \(model.layout.totalCount) parameters; "
            + "\(communicator.size) rank(s)"
    }
}
