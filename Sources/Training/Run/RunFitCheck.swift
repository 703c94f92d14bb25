import DLLM
import Foundation
import ModelFiles
import RunConfig
import Tasks

extension RunConfig {
    /// Training problems whose prompts the check before a run encodes, from each place a run
    /// draws them (the first RL steps and the first warm-start steps).
    static let checkedTrainingPrompts: UInt64 = 256

    /// Checks, before anything is written or trained, what depends on the task and the
    /// tokenizer: `model.vocab_size` (when set) is the tokenizer's, the model shape is valid for
    /// it, and the longest prompt of the test split (its first `task.test_size`) and of the first
    /// training problems, plus `rollout.max_completion_length`, fits the model's maximum
    /// sequence length (`model.max_seq`, or the `model.path` model's).
    ///
    /// - Throws: ``ConfigError/invalidValue(key:value:expected:)`` (exit 64) naming the key to change,
    ///   or the errors of reading `model.path`'s description.
    public func checkFits(task: any RewardTask, tokenizer: any Tokenizer) throws {
        if model.vocabSize > 0, model.vocabSize != tokenizer.vocabSize {
            throw ConfigError.invalidValue(key: "model.vocab_size", value: "\(model.vocabSize)",
                                           expected: "0 or the vocabulary size of tokenizer \(tokenizer.identifier) "
                                               + "(\(tokenizer.vocabSize)), which the model's embedding must match")
        }
        let maxSeq: Int
        if model.path.isEmpty {
            maxSeq = try model.modelConfig(tokenizer: tokenizer).maxSeq
        } else {
            maxSeq = try ModelStore.readDescription(from: URL(fileURLWithPath: model.path, isDirectory: true)).description.config.maxSeq
        }
        let longest = try longestPrompt(task: task, tokenizer: tokenizer)
        let needed = longest.tokens + rollout.maxCompletionLength
        guard needed <= maxSeq else {
            let key = model.path.isEmpty ? "model.max_seq" : "rollout.max_completion_length"
            let value = model.path.isEmpty ? maxSeq : rollout.maxCompletionLength
            throw ConfigError.invalidValue(
                key: key, value: "\(value)",
                expected: "a value for which the longest prompt (problem \(longest.problem), \(longest.tokens) tokens) plus "
                    + "rollout.max_completion_length (\(rollout.maxCompletionLength)) fits the model's maximum sequence "
                    + "length (\(maxSeq)): \(needed) tokens are needed")
        }
    }

    /// The longest encoded prompt of the test problems the run evaluates and of the first
    /// training problems of the RL steps and of the warm start.
    private func longestPrompt(task: any RewardTask, tokenizer: any Tokenizer) throws -> (problem: String, tokens: Int) {
        let tests = try task.testProblems()
        let settings = self.task
        var problems = settings.testSize > 0 ? Array(tests.prefix(settings.testSize)) : tests
        let trainSize = UInt64(settings.trainSize)
        let seed = UInt64(train.seed)
        for start in [0, SupervisedProblems.firstIndex] {
            for index in start..<(start + Self.checkedTrainingPrompts) {
                problems.append(task.trainingProblem(seed: seed, index: trainSize > 0 ? index % trainSize : index))
            }
        }
        var longest = (problem: "", tokens: 0)
        for problem in problems {
            let tokens = try tokenizer.encodePrompt(problem.prompt).count
            if tokens > longest.tokens { longest = (problem.id, tokens) }
        }
        return longest
    }
}
