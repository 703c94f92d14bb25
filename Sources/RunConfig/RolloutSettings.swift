/// The semi-autoregressive low-confidence remasking sampler (docs/algorithm.md §3), for rollouts and evaluation.
import DLLM

public struct RolloutSettings: Codable, Equatable, Sendable {
    /// Responses per prompt (G); advantages are normalised within these groups. Default 8 (paper).
    public var numGenerations = 8
    /// Rollout sampling temperature; 0 = greedy. Default 0.6 (paper).
    public var temperature = 0.6
    /// Generated length L, in tokens; a multiple of `block_length`. Default 64 (scaled: the paper
    /// uses 256 for countdown and sudoku, 512 for math and code, with LLaDA's BPE tokens).
    public var maxCompletionLength = 64
    /// Tokens per semi-autoregressive block. Default 32 (paper).
    public var blockLength = 32
    /// Sampler steps per rollout; a multiple of the block count, at most `max_completion_length`.
    /// Default 32 (the paper's two tokens per step: 256 tokens in 128 steps).
    public var diffusionSteps = 32
    /// Which masked positions are committed at each step. Default low_confidence (paper).
    public var remasking = Remasking.lowConfidence
    /// Classifier-free guidance scale w; 0 (default) = no guidance (no unconditional pass).
    public var cfgScale = 0.0
    /// Parallel decoding of rollouts (approximate): each step commits every masked proposal of the
    /// block whose confidence exceeds this threshold, at least one, until the block is decoded;
    /// `diffusion_steps` is then unused. In (0, 1]; 0 (default) = off, the fixed schedule.
    /// Evaluation always decodes with the schedule.
    public var confidenceThreshold = 0.0
    /// Block-wise caching of rollouts (approximate): each block's later steps recompute the block's
    /// positions only, over the other positions' keys and values from the block's first step.
    /// Default false. Evaluation never caches.
    public var blockCache = false
    /// The precision of the rollouts' matrix products (approximate when `bf16`): `f32` (default) or
    /// `bf16`, bfloat16 inputs with F32 sums through AVX512_BF16, about twice F32's speed where that
    /// instruction runs at full rate (Zen 4) and slower where it does not (Intel without AMX); see
    /// `bgpo bench sampler`. Full fine-tuning only. Evaluation and the likelihoods stay F32.
    public var computeDtype = ComputeType.f32
    /// Evaluation temperature. Default 0 (greedy, paper).
    public var evalTemperature = 0.0
    /// Sampler steps for evaluation; 0 (default) = `max_completion_length` (one token per step, paper).
    public var evalDiffusionSteps = 0

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case numGenerations = "num_generations"
        case temperature
        case maxCompletionLength = "max_completion_length"
        case blockLength = "block_length"
        case diffusionSteps = "diffusion_steps"
        case remasking
        case cfgScale = "cfg_scale"
        case confidenceThreshold = "confidence_threshold"
        case blockCache = "block_cache"
        case computeDtype = "compute_dtype"
        case evalTemperature = "eval_temperature"
        case evalDiffusionSteps = "eval_diffusion_steps"
    }
}
