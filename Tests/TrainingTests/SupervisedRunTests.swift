import Checkpoint
import Cluster
import DLLM
import Foundation
import ModelFiles
import RunConfig
import Tasks
import Testing
import Training

/// The digit task with problems the supervised stream must skip: index ≡ 0 (mod 3) has no
/// reference, index ≡ 1 one of 12 characters (too long for 8 tokens with the closing EOS).
private struct GappyDigits: RewardTask {
    var name: String { "gappy-digits" }
    var rewardNames: [String] { ["digit"] }

    func trainingProblem(seed: UInt64, index: UInt64) -> TaskProblem {
        var problem = DigitTask().trainingProblem(seed: seed, index: index)
        switch index % 3 {
        case 0: problem.reference = nil
        case 1: problem.reference = String(repeating: "9", count: 12)
        default: break
        }
        return problem
    }

    func testProblems() throws -> [TaskProblem] { try DigitTask().testProblems() }

    func score(completion: String, problem: TaskProblem) -> TaskScore {
        DigitTask().score(completion: completion, problem: problem)
    }
}

/// A task none of whose problems has a reference.
private struct NoReferences: RewardTask {
    var name: String { "no-references" }
    var rewardNames: [String] { ["digit"] }

    func trainingProblem(seed: UInt64, index: UInt64) -> TaskProblem {
        var problem = DigitTask().trainingProblem(seed: seed, index: index)
        problem.reference = nil
        return problem
    }

    func testProblems() throws -> [TaskProblem] { try DigitTask().testProblems() }

    func score(completion: String, problem: TaskProblem) -> TaskScore {
        DigitTask().score(completion: completion, problem: problem)
    }
}

/// The one supervised loop (`SupervisedRun`, `SupervisedProblems`) of `bgpo sft` and the warm start.
struct SupervisedRunTests {
    /// The tiny configuration with a short supervised run of the digit task.
    static func config(_ overrides: [String] = []) throws -> RunConfig {
        try tinyRunConfig(overrides: ["sft.steps=40", "sft.batch_size=6", "sft.learning_rate=0.01", "sft.warmup_steps=0",
                                      "sft.logging_steps=1"] + overrides)
    }

    /// The loss of each `sft step` line.
    static func losses(_ lines: [String]) -> [Double] {
        lines.compactMap { line in
            guard line.hasPrefix("sft step "), let range = line.range(of: "loss ") else { return nil }
            return Double(line[range.upperBound...].prefix { !$0.isWhitespace })
        }
    }

    @Test func aTinyModelLearnsAndIsEvaluatedWithStandardError() throws {
        let config = try Self.config(["sft.eval_steps=25"])
        let model = try BaseModel.initialModel(config: config, tokenizer: CharTokenizer())
        var lines: [String] = []
        var evaluations: [SupervisedProgress] = []
        let run = SupervisedRun(config: config, task: DigitTask(), tokenizer: CharTokenizer(),
                                communicator: SingleProcessCommunicator()) { lines.append($0) }
        let progress = try run.train(model, evaluateAtEnd: true) { evaluations.append($0) }
        let losses = Self.losses(lines)
        #expect(losses.count == 40)
        let early = losses.prefix(5).reduce(0, +) / 5, late = losses.suffix(5).reduce(0, +) / 5
        #expect(late < 0.5 * early, "loss \(early) -> \(late)")
        #expect(evaluations.map(\.step) == [25, 40], "every sft.eval_steps and after the last step")
        #expect(evaluations.allSatisfy { $0.evaluation?.problems == 4 }, "task.test_size problems")
        #expect(lines.filter { $0.hasPrefix("sft eval step ") }.count == 2)
        #expect(lines.contains { $0.hasPrefix("sft eval step 40: test accuracy ") && $0.contains(" (SE, n = 4)") })
        #expect(progress.step == 40 && progress.nextProblem == SupervisedProblems.firstIndex + 240 && progress.skipped == 0)
        #expect(progress.metadata(config: config, task: DigitTask())["test_accuracy"] != nil)

        // The warm start leaves the last evaluation to the one before RL.
        var quiet: [SupervisedProgress] = []
        try run.train(try BaseModel.initialModel(config: config, tokenizer: CharTokenizer()), evaluateAtEnd: false) {
            quiet.append($0)
        }
        #expect(quiet.map(\.step) == [25])
    }

    /// `bgpo sft` and the warm start of `bgpo train` are one loop: the same configuration makes
    /// the same model, and the kept warm start records where its stream stopped.
    @Test func theWarmStartIsTheSupervisedRunOfTheSameConfiguration() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sft-run-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try Self.config(["run.output_dir=\(directory.path)", "sft.steps=3", "sft.batch_size=5"])
        let warm = try BaseModel.prepare(config: config, task: GappyDigits(), tokenizer: CharTokenizer(),
                                         communicator: SingleProcessCommunicator()) { _ in }
        let model = try BaseModel.initialModel(config: config, tokenizer: CharTokenizer())
        let progress = try SupervisedRun(config: config, task: GappyDigits(), tokenizer: CharTokenizer(),
                                         communicator: SingleProcessCommunicator()) { _ in }
            .train(model, evaluateAtEnd: false)
        let same = Array(warm.parameters.buffer) == Array(model.parameters.buffer)
        #expect(same, "the warm start's weights are the supervised run's")
        let kept = try ModelStore.readDescription(from: directory.appendingPathComponent(BaseModel.directoryName))
        #expect(kept.description.metadata["sft_problems"] == "\(progress.nextProblem)")
        #expect(kept.description.metadata["sft_steps"] == "3" && progress.skipped == 29)
        let saved = try RunConfig().applying(file: directory.appendingPathComponent("base/config.toml").path)
        #expect(saved == config, "the kept warm start has the configuration that makes it again")
    }

    @Test func problemsWithoutAFittingReferenceAreSkippedAndCounted() throws {
        let config = try Self.config()
        var problems = SupervisedProblems(config: config, task: GappyDigits(), tokenizer: CharTokenizer())
        let examples = try problems.batch(4)
        let first = SupervisedProblems.firstIndex
        // 2^32 ≡ 1 (mod 3): the stream's indices go 1 (too long), 2 (kept), 0 (no reference), ...
        let kept = (0..<UInt64(11)).map { first + $0 }.filter { $0 % 3 == 2 }
        #expect(kept.count == 4)
        #expect(examples.count == 4 && problems.skipped == 7 && problems.next == first + 11)
        let tokenizer = CharTokenizer()
        for (example, index) in zip(examples, kept) {
            let problem = DigitTask().trainingProblem(seed: 9, index: index)
            #expect(example.prompt == (try tokenizer.encodePrompt(problem.prompt)))
            #expect(example.response == (try tokenizer.encodeResponse(problem.reference ?? "", length: 8)))
        }
    }

    @Test func theStreamCyclesThroughTheFixedTrainingSet() throws {
        let config = try Self.config(["task.train_size=5"])
        var problems = SupervisedProblems(config: config, task: DigitTask(), tokenizer: CharTokenizer())
        let examples = try problems.batch(7)
        let tokenizer = CharTokenizer()
        let expected = try (0..<UInt64(7)).map { k in
            try tokenizer.encodePrompt(DigitTask().trainingProblem(seed: 9, index: (SupervisedProblems.firstIndex + k) % 5).prompt)
        }
        #expect(examples.map(\.prompt) == expected)
    }

    @Test func aTaskWithoutReferencesIsAConfigurationError() throws {
        var problems = SupervisedProblems(config: try Self.config(), task: NoReferences(), tokenizer: CharTokenizer())
        #expect(throws: TrainingError.noReferences(task: "no-references", length: 8)) { try problems.batch(2) }
    }

    /// With a fixed training set of 64, the stream (from 2^32 ≡ 0 mod 64) reaches index 40, one of
    /// the leaky task's "held-out" problems: the run stops naming it. The real countdown task's
    /// first 4,096 problems are all outside its held-out set.
    @Test func heldOutProblemsAreNeverTrainedOn() throws {
        let config = try RunConfig.resolve(preset: "countdown-bgpo", overrides: ["task.train_size=64"])
        var leaky = SupervisedProblems(config: config, task: LeakyCountdown(), tokenizer: CharTokenizer())
        #expect {
            _ = try leaky.batch(64)
        } throws: { error in
            (error as? HeldOutOverlap)?.problem == "countdown/gen/42/40" && (error as? HeldOutOverlap)?.exitCode == 70
        }
        var real = SupervisedProblems(config: try RunConfig.resolve(preset: "countdown-bgpo"), task: CountdownTask(),
                                      tokenizer: CharTokenizer())
        for _ in 0..<64 { _ = try real.batch(64) }
        #expect(real.next == SupervisedProblems.firstIndex + 4096 && real.skipped == 0)
    }

    /// A continued model's `sft_steps` and `sft_problems` are where its run picks up; values that
    /// are not counts within their limits are refused naming the file and the key.
    @Test func aContinuedModelsMetadataIsChecked() throws {
        let start = try SupervisedStart(metadata: ["sft_steps": "1500", "sft_problems": "4294968296"], source: "m/model.json")
        #expect(start == SupervisedStart(step: 1500, nextProblem: 4_294_968_296))
        #expect(try SupervisedStart(metadata: ["task": "countdown"], source: "m/model.json") == .fresh)
        let bad = [("sft_steps", "-3"), ("sft_steps", "2147483648"), ("sft_problems", "x"),
                   ("sft_problems", "9223372036854775809")]
        for (key, value) in bad {
            #expect {
                _ = try SupervisedStart(metadata: [key: value], source: "m/model.json")
            } throws: { error in
                (error as? CheckpointError)?.path == "m/model.json" && "\(error)".contains(key) && (error as? CheckpointError)?.exitCode == 74
            }
        }
    }
}
