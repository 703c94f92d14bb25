import RunConfig
import Testing

@Test func hashIsStableAndHex() throws {
    let config = try RunConfig.resolve(preset: "countdown-tiny")
    #expect(config.hash == (try RunConfig.resolve(preset: "countdown-tiny")).hash)
    #expect(config.hash.count == 64 && config.hash.allSatisfy { $0.isHexDigit && !$0.isUppercase })
    // The same values reached another way hash the same.
    var edited = RunConfig()
    edited.objective.mcNum = 4
    edited.optim.learningRate = 3e-6
    let viaOverrides = try RunConfig.resolve(overrides: ["optim.learning_rate=3e-6", "objective.mc_num=4"])
    #expect(viaOverrides.hash == edited.hash)
    let rebuilt = try RunConfig().applying(toml: config.toml)
    #expect(rebuilt.hash == config.hash)
}

@Test(arguments: ["objective.mc_num=4", "objective.objective=vrpo-ol", "train.seed=7", "rollout.temperature=0.7",
                  "objective.estimator=continuous", "task.name=sudoku", "train.prompts_per_step=8", "model.preset=large"])
func hashChangesWithAlgorithmKeys(override: String) throws {
    #expect(try RunConfig.resolve(overrides: [override]).hash != RunConfig().hash)
}

@Test func changesAreClassifiedForResume() throws {
    let saved = try RunConfig.resolve(preset: "countdown-tiny")
    let harmless = try RunConfig.resolve(preset: "countdown-tiny", overrides: [
        "checkpoint.save_steps=5", "train.eval_steps=3", "train.logging_steps=2", "run.threads=2",
        "run.output_dir=elsewhere", "run.time_limit=600", "train.max_steps=80", "train.micro_batch_size=4",
        "sft.logging_steps=7", "sft.eval_steps=9",
    ])
    let changes = try harmless.checkResume(from: saved, allowConfigChange: false)
    #expect(changes.count == 10)
    #expect(changes.allSatisfy { !$0.affectsTraining })
    #expect(changes.contains(ConfigChange(key: "checkpoint.save_steps", old: "20", new: "5", affectsTraining: false)))

    for override in ["objective.objective=vrpo-ol", "objective.mc_num=4", "objective.estimator=continuous",
                     "train.seed=1", "train.prompts_per_step=4", "rollout.num_generations=4", "task.name=sudoku",
                     "model.preset=large", "model.path=base.safetensors", "optim.learning_rate=5e-5",
                     "train.mini_batches=2", "sft.steps=10"] {
        let changed = try RunConfig.resolve(preset: "countdown-tiny", overrides: [override])
        let key = String(override.prefix { $0 != "=" })
        #expect(changed.changes(from: saved).map(\.key) == [key])
        let error = try #require(throws: ConfigError.self) {
            try changed.checkResume(from: saved, allowConfigChange: false)
        }
        #expect(error.exitCode == 64 && error.key == key)
        #expect(error.description.contains("--allow-config-change"))
        let allowed = try changed.checkResume(from: saved, allowConfigChange: true)
        #expect(allowed.map(\.affectsTraining) == [true])
    }
    #expect(saved.changes(from: saved).isEmpty)
}
