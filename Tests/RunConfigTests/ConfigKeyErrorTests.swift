import RunConfig
import Testing

/// The error thrown by `body`, which must be a ``ConfigError`` with exit code 64.
func configError(_ body: () throws -> RunConfig) throws -> ConfigError {
    let error = try #require(throws: ConfigError.self) { _ = try body() }
    #expect(error.exitCode == 64)
    return error
}

@Test func unknownKeysAreNamedWithASuggestion() throws {
    let cases: [(String, String, [String])] = [
        ("[rollout]\ntemprature = 0.7\n", "rollout.temprature", ["rollout.temperature"]),
        ("temperature = 0.7\n", "temperature", ["rollout.temperature"]),
        ("[objectve]\nmc_num = 4\n", "objectve", ["objective"]),
        ("objective.mcnum = 4\n", "objective.mcnum", ["objective.mc_num"]),
        ("[objective]\nlearning_rate = 1e-6\n", "objective.learning_rate", ["sft.learning_rate", "optim.learning_rate"]),
    ]
    for (toml, key, suggestions) in cases {
        let error = try configError { try RunConfig().applying(toml: toml, source: "run.toml") }
        guard case .unknownKey(let source, let reported, let suggested, _) = error else {
            Issue.record("expected an unknown key, got \(error)")
            continue
        }
        #expect(source == "run.toml")
        #expect(reported == key)
        #expect(suggested == suggestions)
        #expect(error.key == key)
        #expect(error.description.contains("unknown key '\(key)'; did you mean '\(suggestions[0])'"))
    }
}

@Test func unknownKeyWithoutANearMatchListsTheValidKeys() throws {
    let error = try configError { try RunConfig().applying(toml: "[run]\nbanana = 1\n", source: "run.toml") }
    #expect(error == .unknownKey(source: "run.toml", key: "run.banana", suggestions: [],
                                 validKeys: ["output_dir", "threads", "time_limit"]))
    #expect(error.description.contains("output_dir, threads, time_limit"))
}

@Test func unknownKeysInOverridesAreNamedWithASuggestion() throws {
    let error = try configError { try RunConfig.resolve(overrides: ["rollout.temprature=0.7"]) }
    #expect(error == .unknownKey(source: "--set", key: "rollout.temprature", suggestions: ["rollout.temperature"],
                                 validKeys: RunConfig().toml.sectionKeys("rollout")))
    let deep = try configError { try RunConfig.resolve(overrides: ["rollout.temperature.value=0.7"]) }
    #expect(deep.key == "rollout.temperature")
}

@Test func typeMismatchesNameTheKeyTheExpectedTypeAndTheValue() throws {
    let cases: [(String, String, String, String)] = [
        ("rollout.temperature = \"hot\"", "rollout.temperature", "a float", "string \"hot\""),
        ("objective.mc_num = 2.5", "objective.mc_num", "an integer", "float 2.5"),
        ("objective.bgpo_clip = 1", "objective.bgpo_clip", "a boolean", "integer 1"),
        ("task.name = 3", "task.name", "a string", "integer 3"),
        ("objective.objective = \"ppo\"", "objective.objective", "one of \"bgpo\", \"vrpo-ol\"", "string \"ppo\""),
        ("rollout = 3", "rollout", "a table", "integer 3"),
        ("[rollout.temperature]\nx = 1", "rollout.temperature", "a float", "a table"),
        ("train.seed = [1, 2]", "train.seed", "an integer", "array [1, 2]"),
    ]
    for (toml, key, expected, found) in cases {
        let error = try configError { try RunConfig().applying(toml: toml, source: "run.toml") }
        guard case .typeMismatch(let source, let reportedKey, let reportedExpected, let reportedFound) = error else {
            Issue.record("expected a type mismatch for \(toml), got \(error)")
            continue
        }
        #expect(source == "run.toml")
        #expect(reportedKey == key)
        #expect(reportedExpected.hasPrefix(expected), "\(reportedExpected)")
        #expect(reportedFound == found)
        #expect(error.description.contains(key) && error.description.contains(found))
    }
}

@Test func integersAreAcceptedForFloats() throws {
    let config = try RunConfig().applying(toml: "objective.beta = 0\nrollout.cfg_scale = 2\n")
    #expect(config.objective.beta == 0 && config.rollout.cfgScale == 2)
}

@Test func syntaxErrorsGiveTheLine() throws {
    let error = try configError { try RunConfig().applying(toml: "[rollout]\ntemperature = 0.6\nblock_length = = 3\n", source: "run.toml") }
    guard case .syntax(let source, let line, _, _) = error else {
        Issue.record("expected a syntax error, got \(error)")
        return
    }
    #expect(source == "run.toml" && line == 3)
    #expect(error.description.hasPrefix("run.toml:3:"))
    let json = try configError { try RunConfig().applying(json: "{\"rollout\": ", source: "run.json") }
    #expect(json.description.hasPrefix("run.json: invalid JSON"))
}

@Test func datesAreRejectedWithTheirKey() throws {
    let error = try configError { try RunConfig().applying(toml: "run.output_dir = 2024-01-01\n", source: "run.toml") }
    #expect(error.key == "run.output_dir")
}

extension String {
    /// The keys of one `[section]` of a TOML document printed by ``RunConfig/toml``.
    func sectionKeys(_ section: String) -> [String] {
        let lines = components(separatedBy: "\n")
        guard let start = lines.firstIndex(of: "[\(section)]") else { return [] }
        return lines[(start + 1)...].prefix { !$0.isEmpty }.map { String($0.prefix { $0 != " " }) }
    }
}
