import RunConfig
import Testing

@Test(arguments: ConfigPreset.all.map(\.name))
func presetIsValid(name: String) throws {
    let config = try ConfigPreset.named(name).config()
    try config.validate()
    #expect(try RunConfig.resolve(preset: name) == config)
    #expect(config.run.outputDir == "runs/\(name)")
    #expect(config.model.path.isEmpty, "presets start from the SFT warm start")
}

@Test func presetNamesAreUniqueAndDescribed() {
    let names = ConfigPreset.all.map(\.name)
    #expect(Set(names).count == names.count)
    #expect(names.contains("countdown-tiny"))
    #expect(ConfigPreset.all.allSatisfy { !$0.summary.isEmpty && !$0.summary.contains("\n") })
}

@Test func comparisonPresetsDifferOnlyInTheObjectiveAndOutput() throws {
    let bgpo = try ConfigPreset.named("countdown-bgpo").config()
    let vrpo = try ConfigPreset.named("countdown-vrpo-ol").config()
    let d1 = try ConfigPreset.named("countdown-diffu-grpo").config()
    #expect(bgpo.objective.objective == .bgpo && bgpo.objective.mcNum == 16)
    #expect(vrpo.objective.objective == .vrpoOL && vrpo.objective.mcNum == 4)
    #expect(d1.objective.objective == .diffuGRPO && d1.objective.mcNum == 1)
    #expect(d1.objective.epsilon == 0.5 && d1.objective.beta == 0.04 && !d1.objective.scaleRewards)
    #expect(d1.objective.pMaskPrompt == 0.15 && d1.objective.numIterations > 1)
    for other in [vrpo, d1] {
        let keys = Set(other.changes(from: bgpo).map(\.key))
        #expect(keys.allSatisfy { $0.hasPrefix("objective.") || $0 == "run.output_dir" }, "\(keys)")
    }
}

@Test func mainJobIsCountdownBGPOFromACharLevelModel() throws {
    let config = try ConfigPreset.named("countdown-tiny").config()
    #expect(config.task.name == "countdown")
    #expect(config.model.tokenizer == "char-v1")
    #expect(config.objective.objective == .bgpo && config.objective.mcNum == 16)
    #expect(config.sft.steps == 1500)
}

@Test func unknownPresetListsTheAvailableOnes() {
    #expect(throws: ConfigError.unknownPreset(name: "countdown", available: ConfigPreset.all.map(\.name))) {
        try RunConfig.resolve(preset: "countdown")
    }
}

@Test(arguments: ConfigPreset.all.map(\.name))
func presetKeepsTheStratifiedEstimatorUnbiased(name: String) throws {
    let config = try ConfigPreset.named(name).config()
    if config.objective.objective != .diffuGRPO && config.objective.estimator == .stratified {
        #expect(config.rollout.maxCompletionLength % config.objective.mcNum == 0,
                "mc_num \(config.objective.mcNum), max_completion_length \(config.rollout.maxCompletionLength)")
    }
    #expect(config.warnings.isEmpty, "\(config.warnings)")
}

@Test func sudokuPresetKeepsThePapersSampleCountOnALengthItDivides() throws {
    let config = try ConfigPreset.named("sudoku-bgpo").config()
    #expect(config.objective.mcNum == 32 && config.rollout.maxCompletionLength == 64)
    #expect(config.rollout.diffusionSteps == 32 && config.rollout.blockLength == 16)
}
