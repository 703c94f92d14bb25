import Cluster
import DLLM
import RunConfig
import Tasks
import Testing
import Training

/// A countdown task whose "held-out set" is its own first training problems: a broken partition.
struct LeakyCountdown: HeldOutProblems {
    let base = CountdownTask()
    var name: String { base.name }
    var rewardNames: [String] { base.rewardNames }
    func trainingProblem(seed: UInt64, index: UInt64) -> TaskProblem { base.trainingProblem(seed: seed, index: index) }
    func testProblems() throws -> [TaskProblem] { try base.testProblems() }
    func score(completion: String, problem: TaskProblem) -> TaskScore { base.score(completion: completion, problem: problem) }
    func heldOutProblems() -> [TaskProblem] { (40..<50).map { base.trainingProblem(seed: 42, index: $0) } }
    func heldOutKey(_ problem: TaskProblem) -> [Int] { base.heldOutKey(problem) }
}

/// `task.eval_set`: which problems a run evaluates, and the start-of-run check that the run's
/// training stream draws none of the held-out set.
struct HeldOutEvaluationTests {
    static func evaluator(_ task: any RewardTask, _ overrides: [String]) throws -> Evaluator {
        Evaluator(config: try RunConfig.resolve(preset: "countdown-bgpo", overrides: overrides), task: task,
                  tokenizer: CharTokenizer(), communicator: SingleProcessCommunicator())
    }

    @Test func theEvaluationSetFollowsTheConfiguration() throws {
        let test = try Self.evaluator(CountdownTask(), []).evaluationProblems(limit: 0)
        #expect(test.count == 256 && test[0].id == "countdown/test/0")
        let heldOut = try Self.evaluator(CountdownTask(), ["task.eval_set=heldout"]).evaluationProblems(limit: 5)
        #expect(heldOut.map(\.id) == (0..<5).map { "countdown/heldout/\($0)" })
    }

    /// Seed 42's 60 steps of 16 prompts include indices 40..<50: the leak is found and named.
    @Test func aTrainingStreamThatDrawsHeldOutProblemsStopsTheRun() throws {
        #expect {
            try Self.evaluator(LeakyCountdown(), ["task.eval_set=heldout"]).evaluationProblems(limit: 0)
        } throws: { error in
            guard let overlap = error as? HeldOutOverlap else { return false }
            return overlap.exitCode == 70 && overlap.problem == "countdown/gen/42/40"
        }
        // Steps that end before index 40 do not draw them (2 steps of 16 prompts).
        _ = try Self.evaluator(LeakyCountdown(), ["task.eval_set=heldout", "train.max_steps=2"]).evaluationProblems(limit: 0)
    }

    @Test func aTaskWithoutAHeldOutSetIsAConfigurationError() {
        #expect {
            try RunConfig.resolve(overrides: ["task.name=gsm8k", "task.eval_set=heldout"])
        } throws: { error in
            (error as? ConfigError)?.key == "task.eval_set"
        }
        #expect(throws: ConfigError.self) { try RunConfig.resolve(overrides: ["task.eval_set=train"]) }
    }
}
