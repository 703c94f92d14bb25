import Foundation
import RunConfig
import Testing

@Test func laterLayersWin() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bgpo-config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("run.toml")
    try "[objective]\nmc_num = 8\nbeta = 0.01\n".write(to: file, atomically: true, encoding: .utf8)

    let preset = try RunConfig.resolve(preset: "countdown-diffu-grpo")
    let withFile = try RunConfig.resolve(preset: "countdown-diffu-grpo", configFile: file.path)
    let withSet = try RunConfig.resolve(preset: "countdown-diffu-grpo", configFile: file.path,
                                        overrides: ["objective.mc_num=2", "objective.mc_num=3"])
    #expect(preset.objective.mcNum == 1 && preset.objective.beta == 0.04)
    #expect(withFile.objective.mcNum == 8 && withFile.objective.beta == 0.01)
    #expect(withFile.objective.epsilon == 0.5, "keys the file does not name keep the preset's values")
    #expect(withSet.objective.mcNum == 3 && withSet.objective.beta == 0.01)
}

@Test func overrideValuesAreTOMLValuesOrBareStrings() throws {
    let config = try RunConfig.resolve(overrides: [
        "rollout.temperature=0.7", "objective.objective=vrpo-ol", "objective.bgpo_clip=true",
        "run.output_dir=runs/a b", "model.path=\"/tmp/x.safetensors\"", "task.name = sudoku",
        "rollout={ block_length = 16, diffusion_steps = 16 }",
    ])
    #expect(config.rollout.temperature == 0.7)
    #expect(config.objective.objective == .vrpoOL)
    #expect(config.objective.bgpoClip)
    #expect(config.run.outputDir == "runs/a b")
    #expect(config.model.path == "/tmp/x.safetensors")
    #expect(config.task.name == "sudoku")
    #expect(config.rollout.blockLength == 16 && config.rollout.diffusionSteps == 16)
}

@Test func malformedOverridesAreRejected() throws {
    #expect(throws: ConfigError.invalidOverride(argument: "rollout.temperature", reason: "expected key.path=value")) {
        try RunConfig.resolve(overrides: ["rollout.temperature"])
    }
    let empty = try configError { try RunConfig.resolve(overrides: ["rollout..temperature=1"]) }
    #expect(empty.description.contains("rollout..temperature"))
    let bad = try configError { try RunConfig.resolve(overrides: ["rollout.temperature=warm"]) }
    #expect(bad == .typeMismatch(source: "--set", key: "rollout.temperature",
                                 expected: "a float (an integer is accepted)", found: "'warm', which is not a TOML value"))
    let wrongEnum = try configError { try RunConfig.resolve(overrides: ["objective.estimator=exact"]) }
    #expect(wrongEnum.key == "objective.estimator")
    #expect(wrongEnum.description.contains("\"stratified\", \"continuous\""))
}
