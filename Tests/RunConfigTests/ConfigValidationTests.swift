import RunConfig
import Testing

/// Overrides that make a configuration impossible, and the key the error must name.
private let impossible: [([String], String)] = [
    (["objective.mc_num=0"], "objective.mc_num"),
    (["rollout.num_generations=1"], "rollout.num_generations"),
    (["rollout.max_completion_length=40", "rollout.block_length=16"], "rollout.max_completion_length"),
    (["rollout.max_completion_length=64", "rollout.block_length=16", "rollout.diffusion_steps=30"], "rollout.diffusion_steps"),
    (["rollout.max_completion_length=64", "rollout.diffusion_steps=128"], "rollout.diffusion_steps"),
    (["rollout.eval_diffusion_steps=3"], "rollout.eval_diffusion_steps"),
    (["train.prompts_per_step=16", "train.mini_batches=3"], "train.mini_batches"),
    (["rollout.temperature=-0.1"], "rollout.temperature"),
    (["rollout.temperature=inf"], "rollout.temperature"),
    (["objective.epsilon=0"], "objective.epsilon"),
    (["objective.dual_clip=1"], "objective.dual_clip"),
    (["objective.objective=vrpo-ol", "objective.bgpo_bound=taylor"], "objective.bgpo_bound"),
    (["objective.beta=-1"], "objective.beta"),
    (["objective.p_mask_prompt=1"], "objective.p_mask_prompt"),
    (["objective.num_iterations=0"], "objective.num_iterations"),
    (["optim.learning_rate=0"], "optim.learning_rate"),
    (["optim.adam_beta2=1"], "optim.adam_beta2"),
    (["optim.learning_rate=nan"], "optim.learning_rate"),
    (["train.max_steps=0"], "train.max_steps"),
    (["train.micro_batch_size=0"], "train.micro_batch_size"),
    (["train.seed=-1"], "train.seed"),
    (["checkpoint.compression_level=23"], "checkpoint.compression_level"),
    (["checkpoint.save_total_limit=0"], "checkpoint.save_total_limit"),
    (["run.output_dir="], "run.output_dir"),
    (["run.time_limit=-5"], "run.time_limit"),
    (["sft.batch_size=0"], "sft.batch_size"),
    (["sft.logging_steps=0"], "sft.logging_steps"),
    (["sft.eval_steps=-1"], "sft.eval_steps"),
    (["model.d_model=100", "model.n_heads=3"], "model.d_model"),
    (["model.lora_rank=-1"], "model.lora_rank"),
    (["model.lora_rank=100000"], "model.lora_rank"),
    (["model.lora_rank=4", "model.lora_alpha=0"], "model.lora_alpha"),
    (["model.lora_rank=4", "model.lora_target_modules=[]"], "model.lora_target_modules"),
    (["model.lora_rank=4", "rollout.compute_dtype=bf16"], "rollout.compute_dtype"),
    (["model.dtype=bf16"], "model.dtype"),
    (["model.n_heads=4", "model.n_kv_heads=3"], "model.n_kv_heads"),
    (["task.name="], "task.name"),
]

@Test(arguments: impossible)
func impossibleConfigurationIsRejected(overrides: [String], key: String) throws {
    let error = try configError { try RunConfig.resolve(overrides: overrides) }
    guard case .invalidValue(let reported, let value, let expected) = error else {
        Issue.record("expected an invalid value, got \(error)")
        return
    }
    #expect(reported == key)
    #expect(!value.isEmpty && !expected.isEmpty)
    #expect(error.description.contains("'\(key)'"))
    #expect(RunConfig().toml.contains("\n" + key.split(separator: ".").last! + " = "), "\(key) is a real key")
}

@Test func loraTargetsAreLLaDAModuleNames() throws {
    let config = try RunConfig.resolve(overrides: ["model.lora_rank=8", "model.dtype=bf16",
                                                   "model.lora_target_modules=[\"q_proj\", \"ff_out\"]"])
    #expect(config.model.lora?.orderedTargets == [.q, .ffOut])
    #expect(config.model.lora?.scale == 8)
    let error = try configError { try RunConfig.resolve(overrides: ["model.lora_rank=8", "model.lora_target_modules=[\"o_proj\"]"]) }
    #expect(error.description.contains("model.lora_target_modules") && error.description.contains("o_proj"), "\(error)")
    #expect(RunConfig().model.lora == nil, "full fine-tuning by default")
}

@Test func combinationsThatDoApplyAreAccepted() throws {
    // One generation is fine with mean-only advantages; diffu-grpo ignores estimator options.
    _ = try RunConfig.resolve(overrides: ["rollout.num_generations=1", "objective.scale_rewards=false"])
    _ = try RunConfig.resolve(overrides: ["objective.objective=diffu-grpo", "objective.estimator=continuous",
                                          "objective.mc_num=7", "objective.bgpo_clip=true"])
    _ = try RunConfig.resolve(overrides: ["train.prompts_per_step=16", "train.mini_batches=2"])
    _ = try RunConfig.resolve(overrides: ["train.prompts_per_step=16", "train.mini_batches=2", "objective.bgpo_bound=taylor"])
    _ = try RunConfig.resolve(overrides: ["rollout.max_completion_length=64", "rollout.block_length=16",
                                          "rollout.diffusion_steps=4", "rollout.eval_diffusion_steps=64"])
}

@Test func invalidValueMessageSaysWhatIsExpected() throws {
    let error = try configError {
        try RunConfig.resolve(overrides: ["rollout.max_completion_length=64", "rollout.block_length=16",
                                          "rollout.diffusion_steps=30"])
    }
    #expect(error.description ==
        "invalid configuration: 'rollout.diffusion_steps' = 30: expected a multiple of the block count "
        + "(max_completion_length / block_length = 4) between 4 and max_completion_length (64)")
}

@Test func stratifiedSampleCountThatDoesNotDivideTheLengthIsAWarningNamingBothKeys() throws {
    let config = try RunConfig.resolve(overrides: ["rollout.max_completion_length=48", "rollout.block_length=16",
                                                   "rollout.diffusion_steps=48", "objective.mc_num=32"])
    try config.validate()
    #expect(config.warnings.count == 1)
    let warning = try #require(config.warnings.first)
    #expect(warning.contains("objective.mc_num = 32") && warning.contains("rollout.max_completion_length = 48"), "\(warning)")
    // Dividing, the continuous estimator and diffu-grpo (which ignores mc_num) warn of nothing.
    for overrides in [["objective.mc_num=16"], ["objective.estimator=continuous"], ["objective.objective=diffu-grpo"]] {
        let other = try RunConfig.resolve(overrides: ["rollout.max_completion_length=48", "rollout.block_length=16",
                                                      "rollout.diffusion_steps=48", "objective.mc_num=32"] + overrides)
        #expect(other.warnings.isEmpty, "\(overrides)")
    }
}

@Test func lossTypeDefaultsToD1sAndTakesTRLsNames() throws {
    #expect(RunConfig().objective.lossType == .bnpo)
    for name in ["grpo", "bnpo", "dr_grpo"] {
        #expect(try RunConfig.resolve(overrides: ["objective.loss_type=\(name)"]).objective.lossType.rawValue == name)
    }
    let error = try #require(throws: ConfigError.self) { try RunConfig.resolve(overrides: ["objective.loss_type=dapo"]) }
    #expect(error.key == "objective.loss_type" && error.exitCode == 64, "\(error)")
    #expect(error.description.contains("\"dr_grpo\""), "\(error)")
}
