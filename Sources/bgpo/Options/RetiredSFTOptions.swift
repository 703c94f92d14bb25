import ArgumentParser
import DLLM
import RunConfig

/// The options `bgpo sft` had before it took a run configuration like `bgpo train`, and the
/// configuration keys that replace them, so that an old command line is refused with what to
/// write instead rather than with a bare "unknown option".
enum RetiredSFTOptions {
    /// One retired option: the keys it set, and what else to know.
    struct Entry {
        /// The keys, each set to the option's value.
        var keys: [String]
        /// A remark after the replacement, if any.
        var note: String?
    }

    /// Every retired option by name.
    static let entries: [String: Entry] = [
        "--task": Entry(keys: ["task.name"]),
        "--d-model": Entry(keys: ["model.d_model"]),
        "--layers": Entry(keys: ["model.n_layers"]),
        "--heads": Entry(keys: ["model.n_heads", "model.n_kv_heads"]),
        "--kv-heads": Entry(keys: ["model.n_kv_heads"]),
        "--mlp-hidden": Entry(keys: ["model.mlp_hidden"]),
        "--max-seq": Entry(keys: ["model.max_seq"]),
        "--steps": Entry(keys: ["sft.steps"]),
        "--batch-size": Entry(keys: ["sft.batch_size"]),
        "--micro-batch-size": Entry(keys: ["train.micro_batch_size"]),
        "--learning-rate": Entry(keys: ["sft.learning_rate"]),
        "--warmup-steps": Entry(keys: ["sft.warmup_steps"]),
        "--lr-schedule": Entry(keys: ["sft.lr_scheduler_type"]),
        "--weight-decay": Entry(keys: ["optim.weight_decay"]),
        "--adam-beta1": Entry(keys: ["optim.adam_beta1"]),
        "--adam-beta2": Entry(keys: ["optim.adam_beta2"]),
        "--adam-epsilon": Entry(keys: ["optim.adam_epsilon"]),
        "--max-grad-norm": Entry(keys: ["optim.max_grad_norm"]),
        "--eval-every": Entry(keys: ["sft.eval_steps"]),
        "--eval-limit": Entry(keys: ["task.test_size"]),
        "--eval-batch-size": Entry(keys: ["train.micro_batch_size"],
                                   note: "evaluation decodes train.micro_batch_size prompts at a time, the training micro-batch"),
        "--log-every": Entry(keys: ["sft.logging_steps"]),
        "--seed": Entry(keys: ["train.seed"]),
        "--generation-length": Entry(keys: ["rollout.max_completion_length"]),
        "--block-length": Entry(keys: ["rollout.block_length"]),
        "--diffusion-steps": Entry(keys: ["rollout.eval_diffusion_steps"]),
        "--temperature": Entry(keys: ["rollout.eval_temperature"]),
        "--remasking": Entry(keys: ["rollout.remasking"]),
        "--cfg-scale": Entry(keys: ["rollout.cfg_scale"]),
    ]

    /// Throws a usage error (exit 64) for the command line's leftovers `unrecognized` and for a
    /// `--preset` that names a model shape: every retired option with its replacement, every other
    /// leftover as unknown.
    static func check(unrecognized: [String], preset: String?) throws {
        var problems: [String] = []
        var retired = false
        if let preset, ModelConfig.presetNames.contains(preset), !ConfigPreset.all.contains(where: { $0.name == preset }) {
            problems.append("--preset \(preset) is a model preset: use --set model.preset=\(preset) "
                            + "(--preset names a run configuration: \(ConfigPreset.all.map(\.name).joined(separator: ", ")))")
            retired = true
        }
        var index = 0
        while index < unrecognized.count {
            let argument = unrecognized[index]
            index += 1
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            guard argument.hasPrefix("--"), let entry = entries[parts[0]] else {
                problems.append(argument.hasPrefix("-") ? "unknown option '\(argument)'" : "unexpected argument '\(argument)'")
                continue
            }
            var value = parts.count > 1 ? parts[1] : "VALUE"
            if parts.count == 1, index < unrecognized.count, !unrecognized[index].hasPrefix("--") {
                value = unrecognized[index]
                index += 1
            }
            retired = true
            let replacement = entry.keys.map { "--set \($0)=\(value)" }.joined(separator: " ")
            problems.append("\(parts[0]) \(value): use \(replacement)" + (entry.note.map { " (\($0))" } ?? ""))
        }
        guard !problems.isEmpty else { return }
        let intro = retired ? "bgpo sft takes a run configuration like bgpo train (--preset NAME, --config FILE, --set key=value):\n  " : ""
        throw ValidationError(intro + problems.joined(separator: "\n  "))
    }
}
