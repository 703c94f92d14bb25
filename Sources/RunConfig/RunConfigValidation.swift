import Base
import DLLM

extension RunConfig {
    /// Checks every range and every combination of keys.
    ///
    /// - Throws: ``ConfigError/invalidValue(key:value:expected:)`` for the first key that is out
    ///   of range or contradicts another (the key named is the one to change).
    public func validate() throws {
        try model.validate()
        try task.validate()
        try task.validateEvaluationSet()
        try sft.validate()
        try rollout.validate(scaleRewards: objective.scaleRewards)
        try require(rollout.computeDtype == .f32 || model.loraRank == 0, "rollout.compute_dtype", rollout.computeDtype.rawValue,
                    "\"f32\" with LoRA (model.lora_rank > 0): bf16 rollouts pack a full model's matrices")
        try objective.validate()
        try optim.validate()
        try train.validate()
        try checkpoint.validate()
        try run.validate()
        try validateCapacity()
    }
}

/// Throws ``ConfigError/invalidValue(key:value:expected:)`` unless `condition` holds.
private func require(_ condition: Bool, _ key: String, _ value: Any, _ expected: @autoclosure () -> String) throws {
    guard !condition else { return }
    let shown = switch value {
    case let string as String: "\"\(string)\""
    default: "\(value)"
    }
    throw ConfigError.invalidValue(key: key, value: shown, expected: expected())
}

/// Throws unless `value` is in `minimum...maximum` (by default ``ConfigLimits/maximumCount``).
private func requireAtLeast(_ value: Int, _ minimum: Int, _ key: String, _ meaning: String = "",
                            maximum: Int = ConfigLimits.maximumCount) throws {
    try require(value >= minimum && value <= maximum, key, value, "an integer from \(minimum) to \(maximum)\(meaning)")
}

private func requireFinite(_ value: Double, _ key: String, _ expected: String, _ condition: (Double) -> Bool) throws {
    try require(value.isFinite && condition(value), key, value, expected)
}

extension ModelSettings {
    func validate() throws {
        try require(!preset.isEmpty, "model.preset", preset, "a model preset name")
        try require(!tokenizer.isEmpty, "model.tokenizer", tokenizer, "a tokenizer name such as \"char-v1\"")
        try require(ModelConfig.presetNames.contains(preset), "model.preset", preset,
                    "one of \(ModelConfig.presetNames.joined(separator: ", "))")
        let overrides = [(vocabSize, "vocab_size", ModelConfig.maximumSize), (dModel, "d_model", ModelConfig.maximumSize),
                         (nLayers, "n_layers", ModelConfig.maximumLayers), (nHeads, "n_heads", ModelConfig.maximumSize),
                         (nKVHeads, "n_kv_heads", ModelConfig.maximumSize), (mlpHidden, "mlp_hidden", ModelConfig.maximumSize),
                         (maxSeq, "max_seq", ModelConfig.maximumSize)]
        for (value, name, maximum) in overrides {
            try requireAtLeast(value, 0, "model.\(name)", " (0 = the preset's)", maximum: maximum)
        }
        if dModel > 0, nHeads > 0 {
            try require(dModel % nHeads == 0, "model.d_model", dModel, "a multiple of model.n_heads (\(nHeads))")
        }
        if nHeads > 0, nKVHeads > 0 {
            try require(nHeads % nKVHeads == 0, "model.n_kv_heads", nKVHeads, "a divisor of model.n_heads (\(nHeads))")
        }
        try requireAtLeast(loraRank, 0, "model.lora_rank", " (0 = full fine-tuning)")
        try requireFinite(loraAlpha, "model.lora_alpha", "a number > 0") { $0 > 0 }
        try require(loraRank == 0 || !loraTargetModules.isEmpty, "model.lora_target_modules", "[]",
                    "at least one of \(LoRATarget.names.joined(separator: ", "))")
        try require(loraPath.isEmpty || loraRank > 0, "model.lora_path", loraPath,
                    "\"\" unless model.lora_rank > 0 (the adapter's r)")
        try require(dtype == .f32 || loraRank > 0, "model.dtype", dtype.rawValue,
                    "\"f32\" unless model.lora_rank > 0 (only a frozen base can be bfloat16)")
        if let lora, let shape = try? applyingSizeOverrides(to: ModelConfig.preset(preset)), path.isEmpty {
            do {
                try lora.validate(for: shape)
            } catch let error as LoRAConfigError {
                throw ConfigError.invalidValue(key: "model.\(error.field)", value: "\(loraRank)", expected: error.description)
            }
        }
    }
}

extension TaskSettings {
    func validate() throws {
        try require(!name.isEmpty, "task.name", name, "a task name such as \"countdown\"")
        try requireAtLeast(trainSize, 0, "task.train_size", " (0 = unlimited)")
        try requireAtLeast(testSize, 0, "task.test_size", " (0 = the whole split)")
    }
}

extension SFTSettings {
    func validate() throws {
        try requireAtLeast(steps, 0, "sft.steps")
        try requireAtLeast(batchSize, 1, "sft.batch_size")
        try requireFinite(learningRate, "sft.learning_rate", "a number > 0") { $0 > 0 }
        try requireAtLeast(warmupSteps, 0, "sft.warmup_steps")
        try requireAtLeast(loggingSteps, 1, "sft.logging_steps")
        try requireAtLeast(evalSteps, 0, "sft.eval_steps", " (0 = after the last step only)")
        try requireAtLeast(saveSteps, 0, "sft.save_steps", " (0 = after the last step and at a stop only)")
    }
}

extension RolloutSettings {
    func validate(scaleRewards: Bool) throws {
        try requireAtLeast(numGenerations, 1, "rollout.num_generations")
        try require(numGenerations >= 2 || !scaleRewards, "rollout.num_generations", numGenerations,
                    "at least 2 when objective.scale_rewards is true (a group's standard deviation needs two rewards)")
        try requireFinite(temperature, "rollout.temperature", "a number >= 0") { $0 >= 0 }
        try requireAtLeast(blockLength, 1, "rollout.block_length")
        try requireAtLeast(maxCompletionLength, 1, "rollout.max_completion_length")
        try require(maxCompletionLength % blockLength == 0, "rollout.max_completion_length", maxCompletionLength,
                    "a multiple of rollout.block_length (\(blockLength))")
        try checkSteps(diffusionSteps, key: "rollout.diffusion_steps")
        try requireAtLeast(evalDiffusionSteps, 0, "rollout.eval_diffusion_steps", " (0 = one token per step)")
        if evalDiffusionSteps != 0 { try checkSteps(evalDiffusionSteps, key: "rollout.eval_diffusion_steps") }
        try requireFinite(cfgScale, "rollout.cfg_scale", "a number >= 0 (0 = no guidance)") { $0 >= 0 }
        try requireFinite(confidenceThreshold, "rollout.confidence_threshold",
                          "a number in [0, 1] (0 = off: the diffusion_steps schedule)") { $0 >= 0 && $0 <= 1 }
        try require(confidenceThreshold == 0 || remasking == .lowConfidence, "rollout.confidence_threshold",
                    confidenceThreshold, "0 with rollout.remasking = \"\(remasking.rawValue)\" (the threshold ranks by the "
                        + "model's confidence: low_confidence only)")
        try requireFinite(evalTemperature, "rollout.eval_temperature", "a number >= 0") { $0 >= 0 }
    }

    /// A step count must give every block the same whole number of steps, at least one token each.
    private func checkSteps(_ steps: Int, key: String) throws {
        let blocks = maxCompletionLength / blockLength
        try require(steps >= blocks && steps % blocks == 0 && steps <= maxCompletionLength, key, steps,
                    "a multiple of the block count (max_completion_length / block_length = \(blocks)) "
                        + "between \(blocks) and max_completion_length (\(maxCompletionLength))")
    }
}

extension ObjectiveSettings {
    func validate() throws {
        try requireAtLeast(mcNum, 1, "objective.mc_num", " (masked samples per response)")
        try require(objective == .bgpo || bgpoBound == .both, "objective.bgpo_bound", bgpoBound.rawValue,
                    "\"both\" with objective \"\(objective.rawValue)\" (the single bounds are BGPO's)")
        try requireFinite(epsilon, "objective.epsilon", "a number in (0, 1]") { $0 > 0 && $0 <= 1 }
        try requireFinite(dualClip, "objective.dual_clip", "a number > 1") { $0 > 1 }
        try requireFinite(beta, "objective.beta", "a number >= 0 (0 = no reference model)") { $0 >= 0 }
        try requireFinite(pMaskPrompt, "objective.p_mask_prompt", "a probability in [0, 1)") { $0 >= 0 && $0 < 1 }
        try requireAtLeast(numIterations, 1, "objective.num_iterations")
    }
}

extension OptimizerSettings {
    func validate() throws {
        try requireFinite(learningRate, "optim.learning_rate", "a number > 0") { $0 > 0 }
        try requireFinite(weightDecay, "optim.weight_decay", "a number >= 0") { $0 >= 0 }
        try requireFinite(adamBeta1, "optim.adam_beta1", "a number in [0, 1)") { $0 >= 0 && $0 < 1 }
        try requireFinite(adamBeta2, "optim.adam_beta2", "a number in [0, 1)") { $0 >= 0 && $0 < 1 }
        try requireFinite(adamEpsilon, "optim.adam_epsilon", "a number > 0") { $0 > 0 }
        try requireFinite(maxGradNorm, "optim.max_grad_norm", "a number >= 0 (0 = no clipping)") { $0 >= 0 }
        try requireAtLeast(warmupSteps, 0, "optim.warmup_steps")
    }
}

extension TrainSettings {
    func validate() throws {
        try requireAtLeast(maxSteps, 1, "train.max_steps")
        try requireAtLeast(promptsPerStep, 1, "train.prompts_per_step")
        try requireAtLeast(microBatchSize, 1, "train.micro_batch_size")
        try requireAtLeast(miniBatches, 1, "train.mini_batches", " (1 = on-policy)")
        try require(promptsPerStep % miniBatches == 0, "train.mini_batches", miniBatches,
                    "a divisor of train.prompts_per_step (\(promptsPerStep)): each mini-batch takes whole prompt groups")
        try requireAtLeast(seed, 0, "train.seed", maximum: Int.max)
        try requireAtLeast(evalSteps, 0, "train.eval_steps", " (0 = before and after training only)")
        try requireAtLeast(evalLimit, 0, "train.eval_limit", " (0 = all of task.test_size)")
        try requireAtLeast(loggingSteps, 1, "train.logging_steps")
    }
}

extension CheckpointSettings {
    func validate() throws {
        try requireAtLeast(saveSteps, 0, "checkpoint.save_steps", " (0 = only at a stop and at the end)")
        try requireAtLeast(saveTotalLimit, 1, "checkpoint.save_total_limit")
        try requireAtLeast(keepEvery, 0, "checkpoint.keep_every", " (0 = none)")
        try require((1...22).contains(compressionLevel), "checkpoint.compression_level", compressionLevel,
                    "a zstd level from 1 to 22")
        try requireAtLeast(compressionThreads, 0, "checkpoint.compression_threads", " (0 = the writing thread; zstd's maximum)",
                           maximum: ConfigLimits.maximumCompressionThreads)
    }
}

extension RunSettings {
    func validate() throws {
        try require(!outputDir.isEmpty, "run.output_dir", outputDir, "a directory path")
        try requireAtLeast(threads, 0, "run.threads", " (0 = automatic)", maximum: ConfigLimits.maximumThreads)
        try requireAtLeast(timeLimit, 0, "run.time_limit", " seconds (0 = none)")
    }
}

extension RunConfig {
    /// Checks what the keys need together: a model shape (when no `model.path` gives it) whose
    /// parameter count and training memory fit, a completion shorter than `model.max_seq`, and
    /// token tables of a rollout step and a warm-start step that fit ``ConfigLimits/memoryBound``.
    /// The task's prompts and the tokenizer are checked by ``checkFits(task:tokenizer:)``.
    func validateCapacity() throws {
        let tokensPerSequence: Int
        if model.path.isEmpty {
            let shape = try model.nominalShape()
            try require(rollout.maxCompletionLength < shape.maxSeq, "rollout.max_completion_length", rollout.maxCompletionLength,
                        "less than the model's max_seq (\(shape.maxSeq)): the prompt needs at least one token")
            try ConfigLimits.checkTrainingMemory(shape, microBatch: train.microBatchSize,
                                                 modelKey: model.largestOverrideKey, modelValue: model.largestOverrideValue,
                                                 microBatchKey: "train.micro_batch_size")
            tokensPerSequence = shape.maxSeq
        } else {
            tokensPerSequence = rollout.maxCompletionLength
        }
        let responses = checkedProduct(train.promptsPerStep, rollout.numGenerations)
        try checkTokenTable(responses.flatMap { checkedProduct($0, tokensPerSequence) }, key: "rollout.num_generations",
                            value: rollout.numGenerations,
                            what: "train.prompts_per_step (\(train.promptsPerStep)) x rollout.num_generations responses")
        try checkTokenTable(checkedProduct(sft.batchSize, tokensPerSequence), key: "sft.batch_size", value: sft.batchSize,
                            what: "sft.batch_size examples")
    }

    /// Throws unless a table of `tokens` 32-bit tokens fits the memory bound.
    private func checkTokenTable(_ tokens: Int?, key: String, value: Int, what: String) throws {
        let bytes = tokens.flatMap { checkedProduct($0, MemoryLayout<Int32>.stride) }
        guard let bytes, bytes <= ConfigLimits.memoryBound else {
            throw ConfigError.invalidValue(key: key, value: "\(value)",
                                           expected: "a value whose tokens (\(what), \(ConfigLimits.gibibytes(bytes))) fit in "
                                               + ConfigLimits.memoryBoundText)
        }
    }
}

extension ModelSettings {
    /// The shape these settings describe before the tokenizer is known: the preset with every
    /// override, the vocabulary `vocab_size`, else the built-in tokenizer's, else the preset's.
    func nominalShape() throws -> ModelConfig {
        var shape = try ModelConfig.preset(preset)
        if let builtIn = try? TokenizerRegistry.tokenizer(identifier: tokenizer) { shape.vocabSize = builtIn.vocabSize }
        if vocabSize > 0 { shape.vocabSize = vocabSize }
        return applyingSizeOverrides(to: shape)
    }

    /// The size override with the largest value (of d_model, mlp_hidden, vocab_size and n_layers
    /// that are set), or `model.preset` when none is: the key a too-large shape names.
    var largestOverrideKey: String { largestOverride.map { "model.\($0.name)" } ?? "model.preset" }

    /// The value of ``largestOverrideKey``.
    var largestOverrideValue: String { largestOverride.map { "\($0.value)" } ?? "\"\(preset)\"" }

    /// The set size override with the largest value, by key name, or nil when none is set.
    private var largestOverride: (name: String, value: Int)? {
        [("d_model", dModel), ("mlp_hidden", mlpHidden), ("vocab_size", vocabSize), ("n_layers", nLayers)]
            .filter { $0.1 > 0 }.max { $0.1 < $1.1 }.map { (name: $0.0, value: $0.1) }
    }
}
