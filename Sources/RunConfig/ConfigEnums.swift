import DLLM

/// A configuration value chosen from a fixed set of names, written as a string in config files.
public protocol ConfigEnum: CaseIterable, Codable, Sendable, RawRepresentable where RawValue == String {}

extension ConfigEnum {
    /// The accepted names, in declaration order.
    static var names: [String] { allCases.map(\.rawValue) }
}

/// The policy-gradient objective (docs/algorithm.md §4–§6).
public enum ObjectiveKind: String, ConfigEnum {
    /// BGPO's linear lower bound, one masked sample at a time: memory independent of `mc_num`.
    case bgpo
    /// exp(B_theta − B_old)·A with every sample's activations kept until one backward (memory grows with `mc_num`).
    case vrpoOL = "vrpo-ol"
    /// The VRPO-OL objective and gradient at constant memory (forward passes first, then one backward per sample).
    case elboExact = "elbo-exact"
    /// d1's one-pass token-level PPO estimator with prompt masking.
    case diffuGRPO = "diffu-grpo"
}

/// Which of BGPO's two per-sample bounds the objective uses (docs/algorithm.md §5). The paper's
/// objective takes each on its own sign of the advantage; the single-bound choices are the paper's
/// ablation of the two lemmas (its Table 3).
public enum BGPOBound: String, ConfigEnum {
    /// `(1 + d_j) A / n_t` when A > 0 (the tangent bound, Lemma 1), `exp(d_j) A / n_t` otherwise
    /// (Jensen's bound, Lemma 2): a lower bound of the sequence objective for every advantage.
    case both
    /// `(1 + d_j) A / n_t` for every advantage (Lemma 1 only): not a lower bound when A < 0.
    case taylor
    /// `exp(d_j) A / n_t` for every advantage (Lemma 2 only): not a lower bound when A > 0.
    case jensen
}

/// How diffu-GRPO's summed token losses are normalised (TRL's `loss_type` names).
///
/// The counts are over every response of the update's mini-batch on every rank (zero advantages
/// included), not per device micro-batch as in TRL: with one device holding the whole mini-batch
/// the two agree.
public enum LossType: String, ConfigEnum {
    /// Each response's token losses averaged over its scored tokens, then averaged over the
    /// responses: TRL's `grpo`, `mean_r(sum_k loss_rk / |o_r|)`.
    case grpo
    /// The token losses summed and divided by the count of scored tokens: TRL's `bnpo` and d1's
    /// `sum(loss * mask) / sum(mask)`.
    case bnpo
    /// The token losses summed and divided by responses × `max_completion_length`: TRL's `dr_grpo`.
    case drGRPO = "dr_grpo"
}

/// How the masked samples of the ELBO estimate are drawn (docs/algorithm.md §2): the likelihood
/// code's own enumeration, named in config files by its raw values.
extension ELBOEstimator: ConfigEnum {}

/// Which masked positions the sampler commits at each step (docs/algorithm.md §3): the sampler's
/// own enumeration, named in config files by its raw values.
extension Remasking: ConfigEnum {}

/// How the weights of the model under LoRA adapters are stored.
public enum WeightType: String, ConfigEnum {
    /// 32-bit floats, used in place.
    case f32
    /// bfloat16, half the memory, widened piece by piece as a pass needs them (a frozen base only).
    case bf16
}

/// The precision of matrix products.
public enum ComputeType: String, ConfigEnum {
    /// 32-bit floats throughout.
    case f32
    /// Inputs rounded to bfloat16, products summed in F32 (AVX512_BF16): approximate.
    case bf16
}

/// The linear layers LoRA adapters can target, named in config files by LLaDA's module names.
extension LoRATarget: ConfigEnum {}

/// The learning-rate schedule after warm-up.
public enum LRSchedule: String, ConfigEnum {
    /// The peak rate throughout.
    case constant
    /// Cosine decay from the peak rate to zero at the last step.
    case cosine
    /// Linear decay from the peak rate to zero at the last step.
    case linear
}
