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
/// Rank r decodes the problems whose index i satisfies `i % world_size == r`, in batches of
/// `train.micro_batch_size` prompts; one all-reduce sums the scores.
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
        let sampler = try DiffusionSampler(options: config.rollout.evaluationOptions, maskTokenID: tokenizer.maskTokenID,
                                           padTokenID: tokenizer.padTokenID, seed: UInt64(config.train.seed))
        let runner = ModelRunner(model: model)
        let local = Array(stride(from: communicator.rank, to: problems.count, by: communicator.size))
        var sums = [0.0, 0.0, 0.0]   // correct, total, reward
        let batchSize = config.train.microBatchSize
        for start in stride(from: 0, to: local.count, by: batchSize) {
            let indices = local[start..<min(start + batchSize, local.count)]
            let prompts = try indices.map { i in
                let prompt = try tokenizer.encodePrompt(problems[i].prompt)
                let tokens = prompt.count + config.rollout.maxCompletionLength
                guard tokens <= model.config.maxSeq else {
                    throw TrainingError.sequenceTooLong(problem: problems[i].id, tokens: tokens, maxSeq: model.config.maxSeq)
                }
                return prompt
            }
            // Step 0 of the rollout streams is never a training step.
            let keys = indices.map { [0, UInt64($0), 0] }
            let responses = try sampler.generate(model: runner, prompts: prompts, keys: keys)
            for (i, response) in zip(indices, responses) {
                let score = task.score(completion: tokenizer.decodeResponse(response), problem: problems[i])
                sums[0] += score.correct
                sums[1] += score.total
                sums[2] += score.reward
            }
        }
        sums = try communicator.allReduceSum(scalars: sums)
        return EvaluationResult(accuracy: sums[1] > 0 ? sums[0] / sums[1] : 0,
                                reward: problems.isEmpty ? 0 : sums[2] / Double(problems.count), problems: problems.count)
    }
}
