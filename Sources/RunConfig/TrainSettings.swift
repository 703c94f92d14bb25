/// Batch sizes, step counts, seed, and evaluation and logging cadence of the RL phase.
public struct TrainSettings: Codable, Equatable, Sendable {
    /// RL steps (rollout batches) to run. Default 100.
    public var maxSteps = 100
    /// Prompts per step, global over all ranks; each gets `rollout.num_generations` responses. Default 16 (paper).
    public var promptsPerStep = 16
    /// Responses per forward/backward pass (memory knob: changes float rounding, not the result
    /// otherwise). Default 8.
    public var microBatchSize = 8
    /// Optimiser steps per rollout batch, each on an equal share of its responses (whole groups
    /// per share); 1 (default) = on-policy, 2 = the paper's off-policy variant.
    public var miniBatches = 1
    /// Run seed: prompts, rollouts, masks and initial weights all derive from it. Default 42.
    public var seed = 42
    /// Evaluate on the test split every N steps; 0 = only before the first and after the last step. Default 25.
    public var evalSteps = 25
    /// Test problems per periodic evaluation (the split's first N); 0 (default) = all of `task.test_size`.
    public var evalLimit = 0
    /// Print a human-readable line every N steps (metrics.jsonl gets every step). Default 1.
    public var loggingSteps = 1

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case maxSteps = "max_steps"
        case promptsPerStep = "prompts_per_step"
        case microBatchSize = "micro_batch_size"
        case miniBatches = "mini_batches"
        case seed
        case evalSteps = "eval_steps"
        case evalLimit = "eval_limit"
        case loggingSteps = "logging_steps"
    }
}
