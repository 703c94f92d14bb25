/// AdamW and the learning-rate schedule of the RL phase.
public struct OptimizerSettings: Codable, Equatable, Sendable {
    /// Peak learning rate. Default 1e-5 (scaled: the paper's 5e-7 is for LLaDA-8B).
    public var learningRate = 1e-5
    /// Decoupled weight decay. Default 0.01 (paper).
    public var weightDecay = 0.01
    /// Adam β1. Default 0.9.
    public var adamBeta1 = 0.9
    /// Adam β2. Default 0.999: the paper's AdamW settings (weight decay 0.01, clip 1.0) are the
    /// VeRL actor defaults its reference code runs with, whose betas are (0.9, 0.999), also
    /// PyTorch's. d1 (TRL) uses 0.99 together with weight decay 0.1 and clip 0.2.
    public var adamBeta2 = 0.999
    /// Adam ε. Default 1e-8.
    public var adamEpsilon = 1e-8
    /// Global gradient-norm clip (L2); 0 = no clipping. Default 1.0 (paper).
    public var maxGradNorm = 1.0
    /// Schedule after warm-up: constant, cosine or linear. Default constant.
    public var lrSchedulerType = LRSchedule.constant
    /// Linear warm-up, in optimiser steps, from 0 to the peak rate. Default 0.
    public var warmupSteps = 0

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case learningRate = "learning_rate"
        case weightDecay = "weight_decay"
        case adamBeta1 = "adam_beta1"
        case adamBeta2 = "adam_beta2"
        case adamEpsilon = "adam_epsilon"
        case maxGradNorm = "max_grad_norm"
        case lrSchedulerType = "lr_scheduler_type"
        case warmupSteps = "warmup_steps"
    }
}
