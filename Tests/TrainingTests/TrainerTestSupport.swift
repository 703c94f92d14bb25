import Base
import Cluster
import DLLM
import Foundation
import RunConfig
import Tasks
import Training

/// A task small enough for the tiny model: the prompt names a digit, the reward is 1 when the
/// completion contains it, 0.1 for any other non-empty completion, 0 for an empty one.
struct DigitTask: RewardTask {
    /// A reward that is NaN for every completion, to exercise the non-finite guard.
    var poisoned = false

    var name: String { "digit" }
    var rewardNames: [String] { ["digit"] }

    func trainingProblem(seed: UInt64, index: UInt64) -> TaskProblem {
        var rng = CounterRandom(seed: seed, purpose: .problemGeneration, index)
        let digit = rng.nextIndex(below: 10)
        return TaskProblem(id: "digit/gen/\(seed)/\(index)", prompt: "d=\(digit)", reference: "\(digit)",
                           data: .math(question: "\(digit)", answer: "\(digit)"))
    }

    func testProblems() throws -> [TaskProblem] {
        (0..<6).map { TaskProblem(id: "digit/test/\($0)", prompt: "d=\($0)", reference: "\($0)",
                                  data: .math(question: "\($0)", answer: "\($0)")) }
    }

    func score(completion: String, problem: TaskProblem) -> TaskScore {
        guard case let .math(_, answer) = problem.data else { fatalError("digit task problem expected") }
        let hit = completion.contains(answer)
        let reward = poisoned ? .nan : hit ? 1.0 : completion.isEmpty ? 0 : 0.1
        return TaskScore(reward: reward, components: ["digit": reward], correct: hit ? 1 : 0, total: 1)
    }
}

/// The digit task's problems with prompts of 2 to 5 characters (so that micro-batches need
/// different left padding) and a reward that differs between almost any two completions (the
/// first character's code / 128), so that every group has non-zero advantages.
struct FirstCharacterTask: RewardTask {
    var name: String { "first-character" }
    var rewardNames: [String] { ["code"] }

    func trainingProblem(seed: UInt64, index: UInt64) -> TaskProblem {
        var problem = DigitTask().trainingProblem(seed: seed, index: index)
        problem.prompt = String(repeating: "d", count: 1 + Int(index % 4)) + problem.prompt.dropFirst()
        return problem
    }

    func testProblems() throws -> [TaskProblem] { try DigitTask().testProblems() }

    func score(completion: String, problem: TaskProblem) -> TaskScore {
        let reward = Double(completion.unicodeScalars.first?.value ?? 0) / 128
        return TaskScore(reward: reward, components: ["code": reward], correct: 0, total: 1)
    }
}

/// A small configuration for the tiny model (char-v1 vocabulary, 24 positions).
func tinyRunConfig(objective: String = "bgpo", overrides: [String] = []) throws -> RunConfig {
    try RunConfig().applying(overrides: [
        "model.preset=tiny", "model.max_seq=24",
        "rollout.num_generations=4", "rollout.max_completion_length=8", "rollout.block_length=4",
        "rollout.diffusion_steps=4", "rollout.temperature=1.0",
        "objective.objective=\(objective)", "objective.mc_num=3",
        "optim.learning_rate=0.01", "optim.warmup_steps=0",
        "train.prompts_per_step=3", "train.micro_batch_size=5", "train.max_steps=2", "train.seed=9",
        "train.eval_steps=0", "task.test_size=4",
    ] + overrides)
}

/// A fresh tiny model for `config`, initialised from its seed.
func tinyModel(_ config: RunConfig) throws -> Model {
    Model(config: try config.model.modelConfig(tokenizer: CharTokenizer()), seed: UInt64(config.train.seed))
}

/// A single-process trainer of `config` over the digit task, its likelihood passes side by side
/// over `threads`.
func tinyTrainer(_ config: RunConfig, task: any RewardTask = DigitTask(), reference: Model? = nil,
                 threads: Int = 1) throws -> RLTrainer {
    try RLTrainer(config: config, model: try tinyModel(config), reference: reference, task: task,
                  tokenizer: CharTokenizer(), communicator: SingleProcessCommunicator(), threads: threads)
}
