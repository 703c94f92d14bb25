/// The policy-gradient objective, its likelihood estimator and its clipping (docs/algorithm.md §4–§6).
import DLLM

public struct ObjectiveSettings: Codable, Equatable, Sendable {
    /// Objective: bgpo, vrpo-ol, elbo-exact or diffu-grpo. Default bgpo.
    public var objective = ObjectiveKind.bgpo
    /// Masked samples per response for the ELBO estimate (n_t); diffu-grpo uses one pass and
    /// ignores it. Default 16 (paper's BGPO; its VRPO-OL uses 4, sudoku BGPO 32).
    public var mcNum = 16
    /// How the masked samples are drawn: stratified (reference code) or continuous. Default stratified.
    public var estimator = ELBOEstimator.stratified
    /// Divide each sample's ELBO term by the response length L (the reference code's mean
    /// log-prob of the masked tokens) instead of using the raw sum. Default true.
    public var normalizeByLength = true
    /// Apply the reference code's per-sample PPO clip (`epsilon`) and dual clip (`dual_clip`)
    /// to BGPO's ratio; changes nothing on-policy. Default false (the paper's plain bound).
    public var bgpoClip = false
    /// Which of BGPO's per-sample bounds to use: both (each on its sign of the advantage, the
    /// paper's objective), taylor or jensen (one for every sign: the ablation of the lemmas).
    /// Default both; other values need objective bgpo.
    public var bgpoBound = BGPOBound.both
    /// PPO clip range ε: ratios are clipped to [1 − ε, 1 + ε] (bgpo with `bgpo_clip`, diffu-grpo).
    /// Default 0.2 (reference code; d1 uses 0.5).
    public var epsilon = 0.2
    /// Dual-clip bound c for negative advantages, > 1 (bgpo with `bgpo_clip`). Default 3.0 (reference code).
    public var dualClip = 3.0
    /// KL coefficient against a frozen reference policy (diffu-grpo, k3 estimator); 0 (default)
    /// holds no reference model. d1 uses 0.04.
    public var beta = 0.0
    /// Probability of masking each prompt token in diffu-grpo's single pass. Default 0.15 (d1).
    public var pMaskPrompt = 0.15
    /// How diffu-grpo's token losses are normalised: grpo, bnpo or dr_grpo (TRL's names).
    /// Default bnpo (d1's `sum(loss * mask) / sum(mask)`).
    public var lossType = LossType.bnpo
    /// Optimiser passes over each rollout batch (μ); > 1 is off-policy. Default 1 (paper; d1 uses 8–12).
    public var numIterations = 1
    /// Divide advantages by the group's standard deviation (false: `r − mean(r)`, as d1). Default true.
    public var scaleRewards = true

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case objective
        case mcNum = "mc_num"
        case estimator
        case normalizeByLength = "normalize_by_length"
        case bgpoClip = "bgpo_clip"
        case bgpoBound = "bgpo_bound"
        case epsilon
        case dualClip = "dual_clip"
        case beta
        case pMaskPrompt = "p_mask_prompt"
        case lossType = "loss_type"
        case numIterations = "num_iterations"
        case scaleRewards = "scale_rewards"
    }
}
