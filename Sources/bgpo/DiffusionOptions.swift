import ArgumentParser
import DLLM
import Foundation
import Kernels
import RL
import Tasks

/// Decoding knobs shared by `bgpo sft` (its evaluations), `bgpo sample` and `bgpo eval`.
///
/// Unset values come from the model's metadata (what `bgpo sft` trained it for), else defaults.
struct DecodingOptions: ParsableArguments {
    @Option(help: "Generated tokens L; a multiple of --block-length (default: the model's training length, else 32).")
    var generationLength: Int?

    @Option(help: "Tokens per semi-autoregressive block (default: the model's, else 32).")
    var blockLength: Int?

    @Option(help: "Diffusion steps over the whole response; a multiple of the block count (default: L, one token per step).")
    var diffusionSteps: Int?

    @Option(help: "Sampling temperature; 0 decodes greedily.")
    var temperature = 0.0

    @Option(help: "Remasking rule: low_confidence or random.")
    var remasking: String = DLLM.Remasking.lowConfidence.rawValue

    @Option(help: "Classifier-free guidance scale w (0: off).")
    var cfgScale = 0.0

    /// The sampling options, filling gaps from `metadata` (keys `generation_length`, `block_length`).
    func samplingOptions(metadata: [String: String] = [:]) throws -> SamplingOptions {
        guard let rule = DLLM.Remasking(rawValue: remasking) else {
            throw ValidationError("--remasking must be one of \(DLLM.Remasking.allCases.map(\.rawValue).joined(separator: ", ")), got '\(remasking)'")
        }
        let length = generationLength ?? metadata["generation_length"].flatMap(Int.init) ?? 32
        let block = blockLength ?? metadata["block_length"].flatMap(Int.init) ?? min(32, length)
        let options = SamplingOptions(generationLength: length, blockLength: block, steps: diffusionSteps ?? length,
                                      temperature: temperature, remasking: rule, cfgScale: cfgScale)
        try options.validate()
        return options
    }
}

/// The BLAS thread count of a single-process command.
struct ThreadOptions: ParsableArguments {
    @Option(help: "OpenBLAS threads (default: every core).")
    var threads: Int?

    /// Sets the OpenBLAS thread count and returns it.
    @discardableResult
    func apply() throws -> Int {
        let count = threads ?? min(ProcessInfo.processInfo.activeProcessorCount, BLAS.maximumThreads)
        try checkThreadCount(count)
        BLAS.setThreads(count)
        return count
    }
}

/// Problems of a task's split: the standard test split, or generated training problems.
enum ProblemSplit: String, ExpressibleByArgument, CaseIterable {
    /// The standard test split, embedded in the binary.
    case test
    /// The task's held-out set (`Tasks.HeldOutProblems`), disjoint from every training problem.
    case heldout
    /// Generated training problems (`Task.trainingProblem(seed:index:)`).
    case train

    /// The first `limit` problems of this split (all of the test or held-out set when `limit` is nil; 256
    /// generated problems when nil for train).
    func problems(of task: any Task, limit: Int?, seed: UInt64) throws -> [TaskProblem] {
        switch self {
        case .test:
            let all = try task.testProblems()
            return limit.map { Array(all.prefix($0)) } ?? all
        case .heldout:
            guard let heldOutTask = task as? any HeldOutProblems else {
                throw ValidationError("task \(task.name) has no held-out set (tasks with one: "
                                      + TaskRegistry.namesWithHeldOutSet.joined(separator: ", ") + ")")
            }
            let all = heldOutTask.heldOutProblems()
            return limit.map { Array(all.prefix($0)) } ?? all
        case .train:
            return (0..<(limit ?? 256)).map { task.trainingProblem(seed: seed, index: UInt64($0)) }
        }
    }
}

/// How an inference command holds the weights: `--dtype f32` (default) or `bf16`.
struct InferenceWeightsOptions: ParsableArguments {
    /// The element types weights can have in memory.
    enum DType: String, ExpressibleByArgument, CaseIterable {
        case f32, bf16
    }

    @Option(help: "Weights in memory: f32, or bf16 for half the memory (inference only; F16 files need f32).")
    var dtype: DType = .f32

    /// Loads the model directory at `path` and a runner over its weights in ``dtype``.
    func load(_ path: String) throws -> (runner: ModelRunner, tokenizer: any Tokenizer, description: ModelDescription) {
        let url = URL(fileURLWithPath: path)
        switch dtype {
        case .f32:
            let (model, tokenizer, description) = try ModelStore.load(from: url)
            return (ModelRunner(model: model), tokenizer, description)
        case .bf16:
            let (model, tokenizer, description) = try ModelStore.loadBF16(from: url)
            return (ModelRunner(model: model), tokenizer, description)
        }
    }
}

/// Writes `line` and a newline straight to standard output (unbuffered), so that progress shows
/// up in log files as it happens.
func printLine(_ line: String) {
    StandardStream.output.writeLog(line + "\n")
}
