/// The supervised warm start (LLaDA-style masked SFT on the task's reference completions), run
/// before RL when `model.path` is empty. It uses `optim`'s betas, epsilon, weight decay and
/// gradient clip, and pads responses with EOS to `rollout.max_completion_length`.
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

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case steps
        case batchSize = "batch_size"
        case learningRate = "learning_rate"
        case warmupSteps = "warmup_steps"
        case lrSchedulerType = "lr_scheduler_type"
    }
}
