import Base
import DLLM
import Tasks
import Cluster
import RunConfig
import Records

/// The outcome of an evaluation on test or held-out problems.
public struct EvaluationResult: Sendable, Equatable {
    /// `sum(correct) / sum(total)` over the problems.
    public var accuracy: Double
    /// The standard error of ``accuracy`` (see ``AccuracyEstimate``).
    public var standardError: Double
    /// The mean task reward of the completions.
    public var reward: Double
    /// How many problems were evaluated (over all ranks).
    public var problems: Int

    /// The accuracy, its standard error and the problem count.
    public var estimate: AccuracyEstimate {
        AccuracyEstimate(accuracy: accuracy, standardError: standardError, problems: problems)
    }

    /// Sets `eval/accuracy`, `eval/accuracy_se`, `eval/problems` and `eval/reward` of `record`.
    public func record(into record: inout MetricsRecord) {
        record["eval/accuracy"] = accuracy
        record["eval/accuracy_se"] = standardError
        record["eval/problems"] = Double(problems)
        record["eval/reward"] = reward
    }
}

/// Accuracy with the evaluation sampler (greedy by default), problems sharded over ranks.
///
/// Rank r decodes (with ``TaskEvaluator``, in batches of `train.micro_batch_size` prompts) the
/// problems whose index i satisfies `i % world_size == r`; one all-reduce sums the scores.
public struct Evaluator {
    /// The run configuration (sampler options, batch size, seed, evaluation set).
    public let config: RunConfig
    /// The task that scores completions.
    public let task: any RewardTask
    /// The tokenizer of prompts and completions.
    public let tokenizer: any Tokenizer
    /// The ranks that share the work.
    public let communicator: any Communicator

    /// Creates an evaluator.
    public init(config: RunConfig, task: any RewardTask, tokenizer: any Tokenizer, communicator: any Communicator) {
        self.config = config
        self.task = task
        self.tokenizer = tokenizer
        self.communicator = communicator
    }

    /// The first `limit` problems (all when `limit` is 0) of the set `task.eval_set` names: the
    /// standard test split, or the held-out set after checking that the run's training stream
    /// draws none of its problems (``checkDisjoint(heldOut:task:)``).
    public func evaluationProblems(limit: Int) throws -> [TaskProblem] {
        let problems: [TaskProblem]
        switch config.task.evalSet {
        case .test:
            problems = try task.testProblems()
        case .heldout:
            guard let heldOutTask = task as? any HeldOutProblems else {
                throw ConfigError.invalidValue(key: "task.eval_set", value: "\"heldout\"",
                                               expected: "\"test\": task \"\(task.name)\" has no held-out set")
            }
            problems = heldOutTask.heldOutProblems()
            try checkDisjoint(heldOut: problems, task: heldOutTask)
        }
        return limit > 0 ? Array(problems.prefix(limit)) : problems
    }

    /// Checks that no prompt of the run's RL steps (`train.max_steps` × `train.prompts_per_step`
    /// indices of the training stream of `train.seed`, cycled by `task.train_size`) is one of
    /// `heldOut`; throws ``HeldOutOverlap`` (exit 70) naming the first that is.
    func checkDisjoint(heldOut: [TaskProblem], task: any HeldOutProblems) throws {
        let keys = Set(heldOut.map(task.heldOutKey))
        let prompts = UInt64(config.train.maxSteps) * UInt64(config.train.promptsPerStep)
        let trainSize = UInt64(config.task.trainSize)
        let distinct = trainSize > 0 ? min(prompts, trainSize) : prompts
        for index in 0..<distinct {
            let problem = task.trainingProblem(seed: UInt64(config.train.seed), index: index)
            if keys.contains(task.heldOutKey(problem)) {
                throw HeldOutOverlap(problem: problem.id, prompt: problem.prompt, task: task.name)
            }
        }
    }

    /// Decodes and scores `problems` with `model` as F32 rollouts run it (on an AVX-512 CPU over its
    /// matrices packed once for this evaluation: ``ComputeType/forwardModel(_:key:)``); every rank
    /// must call it with the same problems.
    public func evaluate(model: any ForwardModel, problems: [TaskProblem]) throws -> EvaluationResult {
        let local = stride(from: communicator.rank, to: problems.count, by: communicator.size).map { problems[$0] }
        let evaluator = TaskEvaluator(task: task, tokenizer: tokenizer, options: config.rollout.evaluationOptions,
                                      batchSize: config.train.microBatchSize)
        let pass = try ComputeType.f32.forwardModel(model, key: "rollout.compute_dtype")
        let completions = try evaluator.evaluate(model: pass, problems: local,
                                                 seed: UInt64(config.train.seed)).completions
        let ownSums = EvaluationSums(accuracy: AccuracySums(scores: completions.lazy.map { (correct: $0.correct, total: $0.total) }),
                                     reward: completions.reduce(0) { $0 + $1.reward })
        let sums = try communicator.allReduceSum(ownSums)
        let estimate = AccuracyEstimate(sums: sums.accuracy)
        return EvaluationResult(accuracy: estimate.accuracy, standardError: estimate.standardError,
                                reward: problems.isEmpty ? 0 : sums.reward / Double(problems.count), problems: problems.count)
    }
}

/// What the ranks sum after an evaluation: the accuracy's sums and the rewards' sum.
private struct EvaluationSums: FieldwiseSums {
    var accuracy = AccuracySums()
    var reward = 0.0

    static var summedFields: [WritableKeyPath<EvaluationSums, Double>] {
        let accuracy: WritableKeyPath<EvaluationSums, AccuracySums> = \.accuracy
        return AccuracySums.summedFields.map { accuracy.appending(path: $0) } + [\.reward]
    }
}

/// A training problem of the run that is also in the held-out set: the partition is broken (exit 70).
public struct HeldOutOverlap: Error, Equatable, ExitCodeProviding, CustomStringConvertible {
    /// The training problem's id.
    public var problem: String
    /// Its prompt.
    public var prompt: String
    /// The task.
    public var task: String

    /// 70: an internal error.
    public var exitCode: Int32 { ExitStatus.software }

    /// Names the problem and the task.
    public var description: String {
        "training problem \(problem) (\(prompt.debugDescription)) is in the held-out set of task \(task): "
            + "the held-out partition is broken"
    }
}
