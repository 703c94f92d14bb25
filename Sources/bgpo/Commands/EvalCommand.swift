import ArgumentParser
import Base
import DLLM
import Foundation
import Tasks
import Training

/// `bgpo eval`: decode a task's problems and report accuracy as the literature does.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Decode a task's problems (greedy by default) and report the accuracy.",
        discussion: """
            Accuracy is sum(correct) / sum(total) over the problems: countdown counts completions with reward 1.0, \
            sudoku the correctly filled empty cells over all empty cells, gsm8k exact answers. It is printed with \
            its standard error (binomial for right-or-wrong problems; problems as the units for sudoku's cells) \
            and the number of problems n. --out writes one \
            JSON object per problem: id, prompt, completion, reward, correct, total.
            """
    )

    @Option(help: "Model directory (model.json and model.safetensors).")
    var model: String

    @Option(help: "Task: \(TaskRegistry.names.joined(separator: ", ")).")
    var task: String

    @Option(help: "Split: test (the standard split), heldout (the held-out set of 1,024 problems training never draws: countdown, sudoku) or train (generated problems).")
    var split: ProblemSplit = .test

    @Option(help: "Evaluate only the first N problems.")
    var limit: Int?

    @Option(help: "Write every completion with its reward to this JSONL file.")
    var out: String?

    @Option(help: "Problems decoded together in one forward batch.")
    var batchSize = 128

    @Option(help: "Seed of the rollout streams (temperature > 0) and of generated training problems.")
    var seed: UInt64 = 0

    @OptionGroup var decoding: DecodingOptions
    @OptionGroup var threads: ThreadOptions
    @OptionGroup var weights: InferenceWeightsOptions

    func validate() throws {
        try checkCount(batchSize, option: "--batch-size")
        if let limit { try checkCount(limit, option: "--limit") }
    }

    func run() throws {
        let threadCount = try threads.apply()
        let task = try TaskRegistry.task(named: self.task)
        let (runner, tokenizer, description) = try weights.load(self.model)
        let options = try decoding.samplingOptions(metadata: description.metadata)
        let problems = try split.problems(of: task, limit: limit, seed: seed)
        let evaluator = TaskEvaluator(task: task, tokenizer: tokenizer, options: options, batchSize: batchSize)
        let start = Date()
        let result = try evaluator.evaluate(model: runner, problems: problems, seed: seed)
        let seconds = Date().timeIntervalSince(start)
        if let out {
            try writeJSONLines(result.completions, to: out)
        }
        print(String(format: "%@ %@: accuracy %@  mean reward %.4f  L %d  block %d  steps %d  %.1f s  threads %d",
                     task.name, split.rawValue, result.estimate.summary, result.meanReward,
                     options.generationLength, options.blockLength, options.steps, seconds, threadCount))
    }
}

/// A file that cannot be written.
struct OutputFileError: Error, ExitCodeProviding, CustomStringConvertible {
    /// The file.
    var path: String
    /// What failed.
    var reason: String

    /// 74 (I/O failure).
    var exitCode: Int32 { ExitStatus.ioError }
    /// `path: reason`.
    var description: String { "\(path): \(reason)" }
}

/// Writes `values` as JSON Lines (one compact object per line, keys sorted) to `path`.
func writeJSONLines<T: Encodable>(_ values: [T], to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    var data = Data()
    for value in values {
        data.append(try encoder.encode(value))
        data.append(0x0A)
    }
    do {
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        throw OutputFileError(path: path, reason: "cannot write: \(error.localizedDescription)")
    }
}
