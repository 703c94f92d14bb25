import Foundation
import RunConfig
import Testing

@Test(arguments: [nil] + ConfigPreset.all.map(\.name))
func tomlRoundTripsExactly(preset: String?) throws {
    let config = try RunConfig.resolve(preset: preset)
    let reloaded = try RunConfig().applying(toml: config.toml)
    #expect(reloaded == config)
    #expect(reloaded.toml == config.toml)
    #expect(reloaded.hash == config.hash)
}

@Test func awkwardValuesRoundTripExactly() throws {
    var config = RunConfig()
    config.run.outputDir = "runs/\"quoted\"\n\ttab\\ü\u{7F}"
    config.optim.learningRate = 3.25e-7
    config.optim.adamEpsilon = 1e-300
    config.objective.dualClip = 1e16
    config.train.seed = 9_007_199_254_740_993
    let fromTOML = try RunConfig().applying(toml: config.toml)
    let fromJSON = try RunConfig().applying(json: config.canonicalJSON)
    #expect(fromTOML == config)
    #expect(fromJSON == config)
    #expect(fromTOML.toml == config.toml)
}

@Test func jsonRoundTripsExactly() throws {
    let config = try RunConfig.resolve(preset: "countdown-diffu-grpo", overrides: ["optim.learning_rate=3.25e-7"])
    let reloaded = try RunConfig().applying(json: config.canonicalJSON)
    #expect(reloaded == config)
    #expect(reloaded.canonicalJSON == config.canonicalJSON)
}

@Test func canonicalJSONIsCompactAndSorted() {
    let json = RunConfig().canonicalJSON
    #expect(json.hasPrefix("{\"checkpoint\":{\"compression_level\":3,"))
    #expect(!json.contains(" ") && !json.contains("\n"))
    #expect(json.contains("\"temperature\":0.6"))
}

@Test func filesAreReadByExtension() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bgpo-config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let toml = directory.appendingPathComponent("run.toml")
    try "# comment\nrollout.temperature = 0.9\n[objective]\nmc_num = 4\n".write(to: toml, atomically: true, encoding: .utf8)
    let json = directory.appendingPathComponent("run.json")
    try #"{"rollout": {"temperature": 0.9}, "objective": {"mc_num": 4}}"#.write(to: json, atomically: true, encoding: .utf8)
    let fromTOML = try RunConfig.resolve(configFile: toml.path)
    #expect(fromTOML.rollout.temperature == 0.9 && fromTOML.objective.mcNum == 4)
    #expect(try RunConfig.resolve(configFile: json.path) == fromTOML)

    let yaml = directory.appendingPathComponent("run.yaml")
    #expect(throws: ConfigError.unreadableFile(path: yaml.path, reason: "expected a .toml or .json file")) {
        try RunConfig.resolve(configFile: yaml.path)
    }
    let missing = directory.appendingPathComponent("missing.toml").path
    let error = try #require(throws: ConfigError.self) { try RunConfig.resolve(configFile: missing) }
    #expect(error.description.contains(missing))
}
