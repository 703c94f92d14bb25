import Cluster
import DLLM
import Tasks

/// The outcome of an evaluation on test problems.
public struct EvaluationResult: Sendable, Equatable {
    /// `sum(correct) / sum(total)` over the problems.
    public var accuracy: Double
    /// The mean task reward of the completions.
    public var reward: Double
    /// How many problems were evaluated (over all ranks).
    public var problems: Int
}

/// Test accuracy with the evaluation sampler (greedy by default), problems sharded over ranks.
///
/// Rank r decodes (with ``TaskEvaluator``, in batches of `train.micro_batch_size` prompts) the
/// problems whose index i satisfies `i % world_size == r`; one all-reduce sums the scores.
public struct Evaluator {
    /// The run configuration (sampler options, batch size, seed).
    public let config: RunConfig
    /// The task that scores completions.
    public let task: any Task
    /// The tokenizer of prompts and completions.
    public let tokenizer: any Tokenizer
    /// The ranks that share the work.
    public let communicator: any Communicator

    /// Creates an evaluator.
    public init(config: RunConfig, task: any Task, tokenizer: any Tokenizer, communicator: any Communicator) {
        self.config = config
        self.task = task
        self.tokenizer = tokenizer
        self.communicator = communicator
    }

    /// The first `limit` test problems of the task (all when `limit` is 0).
    public func testProblems(limit: Int) throws -> [TaskProblem] {
        let problems = try task.testProblems()
        return limit > 0 ? Array(problems.prefix(limit)) : problems
    }

    /// Decodes and scores `problems` with `model`; every rank must call it with the same problems.
    public func evaluate(model: Model, problems: [TaskProblem]) throws -> EvaluationResult {
        let local = stride(from: communicator.rank, to: problems.count, by: communicator.size).map { problems[$0] }
        let evaluator = TaskEvaluator(task: task, tokenizer: tokenizer, options: config.rollout.evaluationOptions,
                                      batchSize: config.train.microBatchSize)
        let completions = try evaluator.evaluate(model: ModelRunner(model: model), problems: local,
                                                 seed: UInt64(config.train.seed)).completions
        let sums = try communicator.allReduceSum(scalars: [
            completions.reduce(0) { $0 + $1.correct }, completions.reduce(0) { $0 + $1.total },
            completions.reduce(0) { $0 + $1.reward },
        ])
        return EvaluationResult(accuracy: sums[1] > 0 ? sums[0] / sums[1] : 0,
                                reward: problems.isEmpty ? 0 : sums[2] / Double(problems.count), problems: problems.count)
    }
}
