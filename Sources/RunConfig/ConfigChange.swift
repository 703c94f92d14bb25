/// One key whose value differs between two configurations, as found on resume.
public struct ConfigChange: Equatable, Sendable, CustomStringConvertible {
    /// The dotted key, e.g. `objective.mc_num`.
    public var key: String
    /// The value in the older configuration (the checkpoint's), as a TOML literal.
    public var old: String
    /// The value in the newer configuration, as a TOML literal.
    public var new: String
    /// Whether the change alters the algorithm or the data order, so that a resumed run would
    /// no longer continue the checkpointed one; false for bookkeeping keys.
    public var affectsTraining: Bool

    /// A change of `key` from `old` to `new`.
    public init(key: String, old: String, new: String, affectsTraining: Bool) {
        self.key = key
        self.old = old
        self.new = new
        self.affectsTraining = affectsTraining
    }

    /// `key: old -> new`, marked when the change does not affect training.
    public var description: String {
        "\(key): \(old) -> \(new)" + (affectsTraining ? "" : " (does not affect training)")
    }
}

extension RunConfig {
    /// The keys (or whole sections) that may change between a checkpoint and its resume: where
    /// output goes, resources, cadence of logging, evaluation and checkpoints (the warm start's
    /// too), and the step budget.
    /// `run.threads` and `train.micro_batch_size` change float rounding only. Every other key
    /// changes the algorithm or the data order.
    public static let resumeSafeKeys: Set<String> = [
        "run", "checkpoint",
        "train.max_steps", "train.micro_batch_size", "train.eval_steps", "train.eval_limit", "train.logging_steps",
        "task.test_size", "task.eval_set", "rollout.eval_temperature", "rollout.eval_diffusion_steps",
        "sft.logging_steps", "sft.eval_steps", "sft.save_steps",
    ]

    /// Every key whose value differs from `old`, in declaration order.
    public func changes(from old: RunConfig) -> [ConfigChange] {
        let before = Dictionary(uniqueKeysWithValues: old.tree.leaves())
        return tree.leaves().compactMap { key, value in
            let previous = before[key] ?? ""
            guard previous != value else { return nil }
            let section = String(key.prefix { $0 != "." })
            let safe = Self.resumeSafeKeys.contains(key) || Self.resumeSafeKeys.contains(section)
            return ConfigChange(key: key, old: previous, new: value, affectsTraining: !safe)
        }
    }

    /// Checks that this configuration may resume a run saved with `saved`.
    ///
    /// - Returns: every change (log them), including those that do not affect training.
    /// - Throws: ``ConfigError/changedOnResume(_:)`` when a change affects training and
    ///   `allowConfigChange` is false.
    public func checkResume(from saved: RunConfig, allowConfigChange: Bool) throws -> [ConfigChange] {
        let changes = changes(from: saved)
        if !allowConfigChange, changes.contains(where: \.affectsTraining) {
            throw ConfigError.changedOnResume(changes)
        }
        return changes
    }
}

extension ConfigTable {
    /// Every leaf as (dotted key, TOML literal), in insertion order.
    func leaves() -> [(String, String)] {
        allPaths().compactMap { path in
            guard let value = value(at: path) else { return nil }
            if case .table = value { return nil }
            return (path.joined(separator: "."), value.tomlLiteral)
        }
    }
}
