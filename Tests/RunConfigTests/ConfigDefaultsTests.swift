import RunConfig
import Testing

@Test func defaultsAreValidAndFollowThePaper() throws {
    let config = RunConfig()
    try config.validate()
    #expect(try RunConfig.resolve() == config)
    #expect(config.rollout.numGenerations == 8)
    #expect(config.rollout.temperature == 0.6)
    #expect(config.rollout.blockLength == 32)
    #expect(config.objective.objective == .bgpo)
    #expect(config.objective.mcNum == 16)
    #expect(config.objective.estimator == .stratified)
    #expect(config.objective.normalizeByLength)
    #expect(!config.objective.bgpoClip)
    #expect(config.objective.epsilon == 0.2)
    #expect(config.objective.dualClip == 3.0)
    #expect(config.objective.beta == 0)
    #expect(config.objective.numIterations == 1)
    #expect(config.objective.scaleRewards)
    #expect(config.optim.weightDecay == 0.01)
    #expect(config.optim.maxGradNorm == 1.0)
    #expect(config.train.promptsPerStep == 16)
    #expect(config.train.miniBatches == 1)
}

@Test func defaultTOMLUsesSnakeCaseKeysInSections() {
    let toml = RunConfig().toml
    for line in ["[model]", "[task]", "[sft]", "[rollout]", "[objective]", "[optim]", "[train]", "[checkpoint]", "[run]",
                 "num_generations = 8", "temperature = 0.6", "remasking = \"low_confidence\"", "objective = \"bgpo\"",
                 "mc_num = 16", "normalize_by_length = true", "adam_beta2 = 0.999", "lr_scheduler_type = \"constant\"",
                 "mini_batches = 1", "save_total_limit = 2", "output_dir = \"runs/bgpo\""] {
        #expect(toml.contains(line + "\n"), "missing \(line)")
    }
}
