import Foundation
import TestSupport
import Testing

@Test func configListNamesEveryPreset() throws {
    let result = try runBGPO(["config", "list"])
    #expect(result.status == 0)
    for name in ["countdown-tiny", "countdown-bgpo", "countdown-vrpo-ol", "countdown-diffu-grpo", "sudoku-bgpo"] {
        #expect(result.stdout.contains(name + " "), "missing \(name)")
    }
}

@Test func shownConfigurationValidatesAsAFile() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let shown = try runBGPO(["config", "show", "--preset", "countdown-tiny", "--set", "objective.mc_num=8"])
    #expect(shown.status == 0, "\(shown.stderr)")
    #expect(shown.stdout.contains("[objective]\nobjective = \"bgpo\"\nmc_num = 8\n"))
    let file = directory.appendingPathComponent("run.toml")
    try shown.stdout.write(to: file, atomically: true, encoding: .utf8)

    let fromFile = try runBGPO(["config", "validate", "--config", file.path])
    let fromPreset = try runBGPO(["config", "validate", "--preset", "countdown-tiny", "--set", "objective.mc_num=8"])
    #expect(fromFile.status == 0, "\(fromFile.stderr)")
    #expect(fromFile.stdout.hasPrefix("valid configuration, hash "))
    #expect(fromFile.stdout == fromPreset.stdout)

    let json = try runBGPO(["config", "show", "--config", file.path, "--json"])
    #expect(json.status == 0)
    let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
    #expect((object?["objective"] as? [String: Any])?["mc_num"] as? Int == 8)
}

@Test func badConfigurationsExitWith64AndNameTheKey() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("run.toml")
    try "[rollout]\ntemperature = \"warm\"\n".write(to: file, atomically: true, encoding: .utf8)

    let cases: [([String], [String])] = [
        (["config", "show", "--set", "rollout.temprature=0.7"], ["rollout.temprature", "rollout.temperature"]),
        (["config", "validate", "--config", file.path], ["rollout.temperature", "string \"warm\""]),
        (["config", "validate", "--set", "objective.mc_num=0"], ["objective.mc_num", "from 1 to"]),
        (["config", "validate", "--set", "rollout.block_length=24"], ["rollout.max_completion_length", "24"]),
        (["config", "show", "--preset", "nope"], ["nope", "countdown-tiny"]),
    ]
    for (arguments, fragments) in cases {
        let result = try runBGPO(arguments)
        #expect(result.status == 64, "\(arguments): \(result.stderr)")
        #expect(result.stdout.isEmpty)
        for fragment in fragments {
            #expect(result.stderr.contains(fragment), "\(arguments): \(result.stderr)")
        }
    }
}

@Test func validateWarnsOnStderrWhenMCNumDoesNotDivideTheLength() throws {
    let result = try runBGPO(["config", "validate", "--preset", "countdown-tiny", "--set", "objective.mc_num=12"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.hasPrefix("valid configuration, hash "))
    #expect(result.stderr.contains("objective.mc_num = 12") && result.stderr.contains("rollout.max_completion_length = 32"),
            "\(result.stderr)")
    let clean = try runBGPO(["config", "validate", "--preset", "countdown-tiny"])
    #expect(clean.status == 0 && clean.stderr.isEmpty, "\(clean.stderr)")
}
