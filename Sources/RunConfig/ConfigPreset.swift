/// A ready-made configuration compiled into the binary (`--preset NAME`).
///
/// A preset is a list of small TOML layers applied in order over the defaults, so presets that
/// share settings share the layer text instead of repeating it.
public struct ConfigPreset: Sendable {
    /// The name given to `--preset`.
    public let name: String
    /// One line saying what the preset runs.
    public let summary: String
    /// TOML documents applied in order over the defaults.
    let layers: [String]

    /// The defaults with this preset applied, validated.
    public func config() throws -> RunConfig {
        let config = try applied(to: RunConfig())
        try config.validate()
        return config
    }

    /// `config` with this preset's layers applied (not validated).
    func applied(to config: RunConfig) throws -> RunConfig {
        try layers.reduce(config) { try $0.applying(toml: $1, source: "preset \(name)") }
    }

    /// The preset called `name`.
    public static func named(_ name: String) throws -> ConfigPreset {
        guard let preset = all.first(where: { $0.name == name }) else {
            throw ConfigError.unknownPreset(name: name, available: all.map(\.name))
        }
        return preset
    }

    /// Every compiled-in preset.
    public static let all: [ConfigPreset] = [
        ConfigPreset(name: "countdown-tiny",
                     summary: "the main job: SFT warm start of a small char-level model, then BGPO (n_t 16) on countdown",
                     layers: [countdown, mainJobModel, bgpo, mainJob]),
        ConfigPreset(name: "countdown-bgpo",
                     summary: "paper comparison on countdown: BGPO, n_t 16, on-policy",
                     layers: [countdown, comparisonModel, comparison, bgpo, output("countdown-bgpo")]),
        ConfigPreset(name: "countdown-vrpo-ol",
                     summary: "paper comparison on countdown: VRPO-OL, n_t 4 (memory grows with n_t)",
                     layers: [countdown, comparisonModel, comparison, vrpoOL, output("countdown-vrpo-ol")]),
        ConfigPreset(name: "countdown-diffu-grpo",
                     summary: "paper comparison on countdown: d1's diffu-GRPO, one pass, beta 0.04, 4 inner updates",
                     layers: [countdown, comparisonModel, comparison, diffuGRPO, output("countdown-diffu-grpo")]),
        ConfigPreset(name: "sudoku-bgpo",
                     summary: "4x4 sudoku: SFT warm start, then BGPO with the paper's sudoku n_t of 32",
                     layers: [sudoku]),
    ]
}

/// Countdown with a char-level model (char-v1, 99 ids): answers such as `<answer>(3+5)*7</answer>`
/// fit in 32 tokens, one block, one token per step. The warm start is the recipe of
/// `docs/base-policies.md` (about 12% test accuracy), which leaves room for RL.
private let countdown = """
    [model]
    preset = "small"
    tokenizer = "char-v1"

    [task]
    name = "countdown"

    [sft]
    steps = 1500
    batch_size = 64
    learning_rate = 1e-3
    warmup_steps = 100
    lr_scheduler_type = "cosine"

    [rollout]
    num_generations = 8
    temperature = 0.6
    max_completion_length = 32
    block_length = 32
    diffusion_steps = 32

    [optim]
    learning_rate = 1e-4
    warmup_steps = 2

    [train]
    prompts_per_step = 16
    micro_batch_size = 16
    seed = 42
    eval_steps = 20

    [checkpoint]
    save_steps = 20
    """

/// The main job's model: 0.82M parameters (d_model 128), warm-started in a few minutes.
private let mainJobModel = """
    [model]
    d_model = 128
    mlp_hidden = 344
    """

/// The comparison's model: the `small` preset's full 3.2M parameters (d_model 256). Its base has
/// twice the 0.82M base's gap between greedy accuracy and pass@8, the room RL fills.
private let comparisonModel = """
    [model]
    d_model = 256
    mlp_hidden = 688
    """

/// The main job's budget: 40 RL steps, a few minutes on two cores after the warm start.
private let mainJob = """
    train.max_steps = 40
    run.output_dir = "runs/countdown-tiny"
    """

/// The three-way comparison (docs/results.md): the same base, steps and evaluation for every
/// objective; rollouts at temperature 1, which explore more of what the base can solve than 0.6.
private let comparison = """
    rollout.temperature = 1.0
    train.max_steps = 60
    train.eval_steps = 10
    """

/// BGPO as in the paper: n_t 16, on-policy, the plain bound.
private let bgpo = """
    [objective]
    objective = "bgpo"
    mc_num = 16
    """

/// VRPO-OL as in the paper: n_t 4.
private let vrpoOL = """
    [objective]
    objective = "vrpo-ol"
    mc_num = 4
    """

/// d1's diffu-GRPO: one pass, eps 0.5, beta 0.04, mean-only advantages, prompt masking 0.15;
/// d1's 8 inner updates per rollout batch halved to 4 for the short runs at a higher learning rate.
private let diffuGRPO = """
    [objective]
    objective = "diffu-grpo"
    mc_num = 1
    epsilon = 0.5
    beta = 0.04
    num_iterations = 4
    p_mask_prompt = 0.15
    scale_rewards = false
    """

/// 4x4 sudoku: `<answer>` + 16 digits + `</answer>` is 33 characters; n_t 32 as in the paper.
/// The length is 64, the nearest multiple of n_t that holds the answer (the stratified estimator is
/// biased when n_t does not divide L), decoded two tokens per step in blocks of 16.
private let sudoku = """
    [model]
    preset = "small"
    tokenizer = "char-v1"

    [task]
    name = "sudoku"

    [sft]
    steps = 800
    batch_size = 32
    learning_rate = 1e-3
    warmup_steps = 50

    [rollout]
    max_completion_length = 64
    block_length = 16
    diffusion_steps = 32

    [objective]
    objective = "bgpo"
    mc_num = 32

    [optim]
    learning_rate = 2e-5
    warmup_steps = 2

    [train]
    max_steps = 60
    prompts_per_step = 8
    micro_batch_size = 16
    eval_steps = 10
    eval_limit = 100

    [checkpoint]
    save_steps = 10

    [run]
    output_dir = "runs/sudoku-bgpo"
    """

private func output(_ name: String) -> String {
    "run.output_dir = \"runs/\(name)\"\n"
}
