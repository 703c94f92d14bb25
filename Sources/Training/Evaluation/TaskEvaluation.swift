import DLLM
import Tasks
import Records

/// One decoded and scored completion of an evaluation.
public struct EvaluatedCompletion: Codable, Sendable, Equatable {
    /// The problem's id.
    public var id: String
    /// The prompt text.
    public var prompt: String
    /// The decoded completion, up to the first EOS.
    public var completion: String
    /// The task's reward.
    public var reward: Double
    /// The correct part of the problem (see ``Tasks/TaskScore``).
    public var correct: Double
    /// What `correct` counts out of.
    public var total: Double
    /// With several samples per problem (`bgpo eval --samples`), which one (0-based); nil otherwise.
    public var sample: Int? = nil
}

/// The outcome of decoding and scoring a set of problems.
public struct TaskEvaluation: Sendable {
    /// Every completion, in the order of the problems.
    public var completions: [EvaluatedCompletion]

    /// Accuracy as the literature reports it: `sum(correct) / sum(total)` (countdown: share of
    /// reward 1.0; sudoku: correctly filled empty cells over all empty cells; gsm8k: exact answers).
    public var accuracy: Double {
        estimate.accuracy
    }

    /// The accuracy with its standard error and the number of problems.
    public var estimate: AccuracyEstimate {
        AccuracyEstimate(sums: AccuracySums(scores: completions.lazy.map { (correct: $0.correct, total: $0.total) }))
    }

    /// Mean reward over the completions.
    public var meanReward: Double {
        completions.isEmpty ? 0 : completions.reduce(0) { $0 + $1.reward } / Double(completions.count)
    }
}

/// Decodes a task's problems with the diffusion sampler and scores them.
///
/// Problems are decoded `batchSize` at a time, ordered by prompt length so that little padding is
/// needed; the result keeps the problems' order. Each problem's rollout stream is keyed by its
/// index in `problems` (this matters only at temperature > 0 or with random remasking).
public struct TaskEvaluator {
    /// The task that scores the completions.
    public var task: any RewardTask
    /// Encodes prompts and decodes completions.
    public var tokenizer: any Tokenizer
    /// How completions are decoded (greedy for evaluation: temperature 0).
    public var options: SamplingOptions
    /// Problems per forward batch.
    public var batchSize: Int

    /// Creates an evaluator.
    public init(task: any RewardTask, tokenizer: any Tokenizer, options: SamplingOptions, batchSize: Int) {
        precondition(batchSize > 0, "TaskEvaluator: batch size must be positive")
        self.task = task
        self.tokenizer = tokenizer
        self.options = options
        self.batchSize = batchSize
    }

    /// Decodes and scores `problems` with `model`, in batches of ``batchSize`` prompts of similar
    /// length; with several BLAS threads the batches are decoded side by side
    /// (``generateConcurrently(model:sampler:requests:threads:)``), with the same completions.
    public func evaluate(model: any ForwardModel, problems: [TaskProblem], seed: UInt64) throws -> TaskEvaluation {
        let prompts = try problems.map { try ProblemPrompt.ids(of: $0, tokenizer: tokenizer) }
        let order = prompts.indices.sorted { (prompts[$0].count, $0) < (prompts[$1].count, $1) }
        let batches = stride(from: 0, to: order.count, by: batchSize).map { Array(order[$0..<min($0 + batchSize, order.count)]) }
        let sampler = try DiffusionSampler(options: options, maskTokenID: tokenizer.maskTokenID, padTokenID: tokenizer.padTokenID,
                                           seed: seed)
        let responses = try generateConcurrently(model: model, sampler: sampler, requests: batches.map { batch in
            GenerationRequest(prompts: batch.map { prompts[$0] }, keys: batch.map { [UInt64($0)] })
        })
        var completions = [EvaluatedCompletion?](repeating: nil, count: problems.count)
        for (index, response) in zip(batches.joined(), responses.joined()) {
            let problem = problems[index]
            let text = tokenizer.decodeResponse(response)
            let score = task.score(completion: text, problem: problem)
            completions[index] = EvaluatedCompletion(id: problem.id, prompt: problem.prompt, completion: text,
                                                     reward: score.reward, correct: score.correct, total: score.total)
        }
        return TaskEvaluation(completions: completions.map { $0! })
    }
}
