import Foundation
import TestSupport
import Testing

/// Overrides that keep a run to one short step of warm start and RL, so that a check that let a
/// bad value through would still end the test quickly.
private let shortRun = ["--set", "sft.steps=1", "--set", "train.max_steps=1", "--set", "task.test_size=2",
                        "--set", "train.prompts_per_step=2", "--set", "checkpoint.save_steps=1"]

/// `bgpo train --preset countdown-tiny` as a ``shortRun`` with `extra` arguments, writing to `run`.
private func trainTiny(_ extra: [String], run: URL, environment: [String: String] = [:]) throws -> ProcessResult {
    try runBGPO(["train", "--preset", "countdown-tiny", "--output-dir", run.path] + shortRun + extra, environment: environment)
}

/// Values that pass a lower bound but could not be held, what the refusal must name, and the
/// environment they come from.
private let unholdable: [([String], [String: String], [String])] = [
    (["--set", "model.max_seq=40"], [:], ["model.max_seq", "32"]),
    (["--set", "model.vocab_size=50"], [:], ["model.vocab_size", "(99)"]),
    (["--set", "model.vocab_size=200"], [:], ["model.vocab_size", "(99)"]),
    (["--set", "model.d_model=1000000000"], [:], ["model.d_model", "physical memory"]),
    (["--set", "rollout.num_generations=4611686018427387904"], [:], ["rollout.num_generations", "2147483647"]),
    (["--set", "rollout.max_completion_length=4611686018427387904"], [:], ["rollout.max_completion_length", "2147483647"]),
    (["--set", "checkpoint.compression_threads=3000000000"], [:], ["checkpoint.compression_threads", "256"]),
    (["--set", "run.threads=3000000000"], [:], ["run.threads", "4096"]),
    (["--threads", "3000000000"], [:], ["--threads", "4096"]),
    ([], ["SLURM_CPUS_PER_TASK": "3000000000"], ["SLURM_CPUS_PER_TASK", "4096"]),
]

@Test(arguments: unholdable)
func trainRefusesUnholdableValuesBeforeWritingAnything(arguments: [String], environment: [String: String],
                                                       fragments: [String]) throws {
    let directory = try temporaryDirectory("bgpo-bounds")
    defer { try? FileManager.default.removeItem(at: directory) }
    let run = directory.appendingPathComponent("run")
    let result = try trainTiny(arguments, run: run, environment: environment)
    #expect(result.status == 64, "\(arguments) \(environment): \(result.stderr)")
    for fragment in fragments { #expect(result.stderr.contains(fragment), "\(arguments): \(result.stderr)") }
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty, "the run directory was written")
}

/// Thread options of other commands, each above the maximum.
private let threadOptions: [[String]] = [
    ["sample", "--model", "OUT", "--task", "countdown", "--index", "0", "--threads", "3000000000"],
    ["eval", "--model", "OUT", "--task", "countdown", "--limit", "1", "--threads", "3000000000"],
    ["cluster", "check", "--threads", "3000000000"],
    ["bench", "model", "--preset", "tiny", "--threads", "3000000000"],
]

@Test(arguments: threadOptions)
func threadOptionsAboveTheMaximumExit64(arguments: [String]) throws {
    let directory = try temporaryDirectory("bgpo-bounds")
    defer { try? FileManager.default.removeItem(at: directory) }
    let out = directory.appendingPathComponent("out").path
    let result = try runBGPO(arguments.map { $0 == "OUT" ? out : $0 })
    #expect(result.status == 64, "\(arguments): \(result.stderr)")
    #expect(result.stderr.contains("--threads") && result.stderr.contains("4096"), "\(arguments): \(result.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
}

@Test func sftRefusesAModelTooLargeToTrainBeforeWriting() throws {
    let directory = try temporaryDirectory("bgpo-bounds")
    defer { try? FileManager.default.removeItem(at: directory) }
    let out = directory.appendingPathComponent("out").path
    // sft's --threads is checked as train's is.
    for (arguments, fragments) in [(["--set", "model.d_model=1000000000"], ["model.d_model", "parameter"]),
                                   (["--set", "rollout.max_completion_length=4611686018427387904"],
                                    ["rollout.max_completion_length", "2147483647"]),
                                   (["--threads", "3000000000"], ["--threads", "4096"])] {
        let result = try runBGPO(["sft", "--preset", "countdown-tiny", "--out", out, "--set", "sft.steps=1",
                                  "--set", "task.test_size=2"] + arguments)
        #expect(result.status == 64, "\(arguments): \(result.stderr)")
        for fragment in fragments { #expect(result.stderr.contains(fragment), "\(arguments): \(result.stderr)") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }
}

@Test func repeatedPresetOrConfigIsAUsageError() throws {
    let directory = try temporaryDirectory("bgpo-bounds")
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("a.toml")
    try "[train]\nmax_steps = 1\n".write(to: file, atomically: true, encoding: .utf8)
    let run = directory.appendingPathComponent("run").path
    let cases: [([String], String)] = [
        (["config", "validate", "--preset", "countdown-tiny", "--preset", "countdown-bgpo"], "--preset"),
        (["config", "show", "--config", file.path, "--config", file.path], "--config"),
        (["train", "--preset", "countdown-tiny", "--preset", "countdown-tiny", "--output-dir", run] + shortRun, "--preset"),
        (["train", "--preset", "countdown-tiny", "--config", file.path, "--config", file.path, "--output-dir", run] + shortRun,
         "--config"),
    ]
    for (arguments, option) in cases {
        let result = try runBGPO(arguments)
        #expect(result.status == 64, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains("\(option) may be given once"), "\(arguments): \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["a.toml"])
}

@Test func nulInAConfigFileIsAnErrorNamingFileAndPosition() throws {
    let directory = try temporaryDirectory("bgpo-bounds")
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("run.toml")
    try Data("[train]\nmax_steps = 1\0\n[rollout]\ntemperature = \"warm\"\n".utf8).write(to: file)
    let train = ["train", "--preset", "countdown-tiny", "--output-dir", directory.appendingPathComponent("run").path] + shortRun
    for command in [["config", "validate"], train] {
        let result = try runBGPO(command + ["--config", file.path])
        #expect(result.status == 64, "\(command): \(result.stderr)")
        #expect(result.stderr.contains("\(file.path):2:14: a NUL character"), "\(command): \(result.stderr)")
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["run.toml"])
}
