/// The whole configuration of a bgpo run, one section per concern.
///
/// Files and `--set` overrides use the snake_case key names of the sections' `CodingKeys`
/// (`rollout.num_generations`). Every field has a documented default; `RunConfig()` is the
/// default configuration, and ``RunConfig/resolve(preset:configFile:overrides:)`` layers a
/// preset, a file and overrides on top of it. Where a default comes from the paper's settings
/// (docs/algorithm.md §8) its comment says "paper"; where the paper's value only makes sense for an
/// 8B model, the default is scaled for small character-level models on CPUs and says "scaled".
public struct RunConfig: Codable, Equatable, Sendable {
    /// The model: architecture preset, size overrides, tokenizer and optional base weights.
    public var model = ModelSettings()
    /// The task: which one, and how many training and test problems.
    public var task = TaskSettings()
    /// The supervised warm start, run when `model.path` is empty.
    public var sft = SFTSettings()
    /// The sampler used for rollouts and evaluation.
    public var rollout = RolloutSettings()
    /// The policy-gradient objective and its likelihood estimator.
    public var objective = ObjectiveSettings()
    /// AdamW and the learning-rate schedule of the RL phase.
    public var optim = OptimizerSettings()
    /// Batch sizes, step counts, seed, evaluation and logging cadence.
    public var train = TrainSettings()
    /// Checkpoint cadence, retention and compression.
    public var checkpoint = CheckpointSettings()
    /// Where the run writes, how many threads it uses, and how long it may take.
    public var run = RunSettings()

    /// The default configuration.
    public init() {}
}
