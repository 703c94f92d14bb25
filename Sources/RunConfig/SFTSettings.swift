/// Supervised training (LLaDA-style masked SFT on the task's reference completions): `bgpo sft`,
/// and the warm start run before RL when `model.path` is empty. It uses `optim`'s betas, epsilon,
/// weight decay and gradient clip, `train.seed` and `train.micro_batch_size`, pads responses with
/// EOS to `rollout.max_completion_length`, and evaluates on `task.eval_set` with the evaluation
/// decoding of `rollout`.
public struct SFTSettings: Codable, Equatable, Sendable {
    /// Optimiser steps; 0 skips the warm start (RL from the random initialisation). Default 1000 (scaled).
    public var steps = 1000
    /// Problems per step (global, over all ranks). Default 32 (scaled).
    public var batchSize = 32
    /// Peak learning rate. Default 1e-3 (scaled: training a small model from scratch).
    public var learningRate = 1e-3
    /// Linear warm-up, in steps, from 0 to the peak rate. Default 50.
    public var warmupSteps = 50
    /// Schedule after warm-up. Default cosine.
    public var lrSchedulerType = LRSchedule.cosine
    /// Print a training line every N steps (and after the last). Default 100.
    public var loggingSteps = 100
    /// Evaluate on `task.eval_set` every N steps; 0 (default) = only after the last step (which
    /// `bgpo sft` does, and the warm start of `bgpo train` leaves to its evaluation before RL).
    /// `bgpo sft` writes the model after every evaluation.
    public var evalSteps = 0
    /// `bgpo sft` writes a checkpoint (weights, Adam moments, counters) into its output directory's
    /// `checkpoints/` every N steps, after the last and when stopped by a signal; 0 = only then.
    /// Default 100. The warm start of `bgpo train` does not checkpoint.
    public var saveSteps = 100

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case steps
        case batchSize = "batch_size"
        case learningRate = "learning_rate"
        case warmupSteps = "warmup_steps"
        case lrSchedulerType = "lr_scheduler_type"
        case loggingSteps = "logging_steps"
        case evalSteps = "eval_steps"
        case saveSteps = "save_steps"
    }
}
