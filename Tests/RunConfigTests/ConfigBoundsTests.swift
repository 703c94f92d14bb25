import Foundation
import RunConfig
import Testing

/// Overrides whose values pass a lower bound but cannot be held, the key the error must name
/// and a text of the limit it must say.
private let tooLarge: [([String], String, String)] = [
    (["run.threads=3000000000"], "run.threads", "4096"),
    (["run.threads=4097"], "run.threads", "4096"),
    (["checkpoint.compression_threads=3000000000"], "checkpoint.compression_threads", "256"),
    (["checkpoint.compression_threads=257"], "checkpoint.compression_threads", "256"),
    (["model.d_model=1000000000"], "model.d_model", "physical memory"),
    (["model.d_model=4294967296"], "model.d_model", "2147483647"),
    (["model.n_layers=1000000000000"], "model.n_layers", "65536"),
    (["model.max_seq=4294967296"], "model.max_seq", "2147483647"),
    (["model.vocab_size=4294967296"], "model.vocab_size", "2147483647"),
    (["model.max_seq=20"], "rollout.max_completion_length", "max_seq (20)"),
    (["rollout.num_generations=4611686018427387904"], "rollout.num_generations", "2147483647"),
    (["rollout.num_generations=2000000000", "train.prompts_per_step=2000000000"], "rollout.num_generations", "physical memory"),
    (["rollout.max_completion_length=4611686018427387904"], "rollout.max_completion_length", "2147483647"),
    (["train.micro_batch_size=2000000000"], "train.micro_batch_size", "physical memory"),
    (["sft.batch_size=2147483647", "model.max_seq=65536", "train.micro_batch_size=1"], "sft.batch_size", "physical memory"),
    (["train.max_steps=1099511627776"], "train.max_steps", "2147483647"),
    (["sft.eval_steps=1099511627776"], "sft.eval_steps", "2147483647"),
    (["sft.logging_steps=2147483648"], "sft.logging_steps", "2147483647"),
    (["run.time_limit=1099511627776"], "run.time_limit", "2147483647"),
    (["objective.mc_num=1099511627776"], "objective.mc_num", "2147483647"),
]

@Test(arguments: tooLarge)
func valuesThatCannotBeHeldAreRejectedNamingKeyAndLimit(overrides: [String], key: String, limit: String) throws {
    let error = try configError { try RunConfig.resolve(overrides: overrides) }
    #expect(error.key == key, "\(error)")
    #expect(error.description.contains(limit), "\(error)")
}

@Test(arguments: [(["rollout.confidence_threshold=1.5"], "[0, 1]"), (["rollout.confidence_threshold=-0.1"], "[0, 1]"),
                  (["rollout.confidence_threshold=0.9", "rollout.remasking=random"], "low_confidence")])
func aConfidenceThresholdOutOfRangeOrWithRandomRemaskingNamesTheKey(overrides: [String], expected: String) throws {
    let error = try configError { try RunConfig.resolve(overrides: overrides) }
    #expect(error.key == "rollout.confidence_threshold" && error.description.contains(expected), "\(error)")
    _ = try RunConfig.resolve(overrides: ["rollout.confidence_threshold=0.9"])
}

@Test func largestValuesWithinTheLimitsAreAccepted() throws {
    _ = try RunConfig.resolve(overrides: ["run.threads=4096", "checkpoint.compression_threads=256", "train.seed=\(Int.max)"])
    _ = try RunConfig.resolve(overrides: ["model.preset=llada-8b", "train.micro_batch_size=1"])
}

@Test func nulCharacterInAConfigurationIsAnErrorAtItsPosition() throws {
    let toml = "[train]\nmax_steps = 3\0\nseed = \"not checked\"\n"
    let error = try configError { try RunConfig().applying(toml: toml, source: "run.toml") }
    #expect(error == .syntax(source: "run.toml", line: 2, column: 14,
                             message: "a NUL character (U+0000) is not allowed in a configuration"))
    let json = try configError { try RunConfig().applying(json: "{\"train\": {\"max_steps\": 3}}\0 trailing", source: "run.json") }
    #expect(json.description.hasPrefix("run.json:1:28: a NUL character"), "\(json)")

    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bgpo-nul-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("run.toml")
    try Data(toml.utf8).write(to: file)
    let fromFile = try configError { try RunConfig.resolve(configFile: file.path) }
    #expect(fromFile.description.hasPrefix("\(file.path):2:14:"), "\(fromFile)")
}
