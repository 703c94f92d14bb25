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
            JSON object per problem: id, prompt, completion, reward, correct, total. \
            --samples K decodes every problem K times (seeds SEED ... SEED+K-1; sampling needs a temperature \
            above 0) and prints each sample's accuracy and pass@k for k = 1, 2, 4, ..., K: the unbiased estimate \
            of the chance that one of k samples solves a problem, with its standard error over problems; --out \
            then writes every sample's completions, each with its sample index.
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

    @Option(help: ArgumentHelp("Decode every problem K times and report pass@k (needs --temperature > 0).", valueName: "K"))
    var samples = 1

    @OptionGroup var decoding: DecodingOptions
    @OptionGroup var threads: ThreadOptions
    @OptionGroup var weights: InferenceWeightsOptions

    func validate() throws {
        try checkCount(batchSize, option: "--batch-size")
        if let limit { try checkCount(limit, option: "--limit") }
        try checkCount(samples, option: "--samples")
        guard samples == 1 || decoding.temperature > 0 || decoding.remasking == DLLM.Remasking.random.rawValue else {
            throw ValidationError("--samples \(samples) needs --temperature above 0: greedy decoding gives the same sample every time")
        }
    }

    func run() throws {
        let threadCount = try threads.apply()
        let task = try TaskRegistry.task(named: self.task)
        let (runner, tokenizer, description) = try weights.load(self.model)
        let options = try decoding.samplingOptions(metadata: description.metadata)
        let problems = try split.problems(of: task, limit: limit, seed: seed)
        let evaluator = TaskEvaluator(task: task, tokenizer: tokenizer, options: options, batchSize: batchSize)
        let schedule = (options.confidenceThreshold.map { String(format: "confidence threshold %g", $0) } ?? "steps \(options.steps)")
            + (options.blockCache ? ", block cache" : "") + (weights.computeDtype == .bf16 ? ", bf16 products" : "")
        var evaluations: [TaskEvaluation] = []
        for sample in 0..<samples {
            let start = Date()
            let sampleSeed = seed &+ UInt64(sample)
            let result = try evaluator.evaluate(model: runner.model, problems: problems, seed: sampleSeed)
            let seconds = Date().timeIntervalSince(start)
            evaluations.append(result)
            print(String(format: "%@ %@%@: accuracy %@  mean reward %.4f  L %d  block %d  %@  %.1f s  threads %d",
                         task.name, split.rawValue, samples > 1 ? " seed \(sampleSeed)" : "", result.estimate.summary,
                         result.meanReward, options.generationLength, options.blockLength, schedule, seconds, threadCount))
        }
        if let out {
            let lines = samples == 1 ? evaluations[0].completions : evaluations.enumerated().flatMap { sample, evaluation in
                evaluation.completions.map { var line = $0; line.sample = sample; return line }
            }
            try writeJSONLines(lines, to: out)
        }
        guard samples > 1 else { return }
        let passAtK = PassAtK(evaluations: evaluations)
        for k in sequence(first: 1, next: { $0 * 2 }).prefix(while: { $0 <= samples }) + (samples & (samples - 1) != 0 ? [samples] : []) {
            print("pass@\(k): \(passAtK.estimate(k: k).summary)")
        }
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
