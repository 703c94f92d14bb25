import ArgumentParser
import Base
import DLLM
import Foundation
import Kernels
import ModelFiles
import RunConfig
import Tasks

/// `bgpo bench sampler`: tokens generated per second by the rollout sampler of an RL configuration.
struct SamplerBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sampler",
        abstract: "Time the rollout sampler: generated tokens/s, forward passes/s and their GFLOPS.",
        discussion: """
            Decodes num_generations responses for each of --prompts training prompts of the task with \
            the configuration's rollout settings (max_completion_length, block_length, \
            diffusion_steps, temperature, remasking), one batch per prompt as the trainer does \
            (--batch-prompts: every prompt's responses in one batch). The time does not depend on the \
            weights: without --model the configured shape is initialised from the seed. Generated \
            tokens are prompts x num_generations x max_completion_length; GFLOPS count the model FLOPs \
            of full forward passes (bgpo bench model), although the sampler's forward runs the last \
            block on the current block's positions only (--all-positions: on every position). The \
            batches run one after another, their products on --threads threads: the sampler's own \
            speed. With several threads the trainer decodes its prompts side by side instead (one per \
            thread); `bgpo bench step` times that.
            """
    )

    @OptionGroup var options: ConfigOptions

    @Option(help: ArgumentHelp("A model directory to decode with (default: the configured shape, fresh weights).",
                               valueName: "dir"))
    var model: String?

    @Option(help: "Prompts per timed run.")
    var prompts = 2

    @Option(help: "OpenBLAS threads.")
    var threads = 1

    @Option(help: "Timed runs; the median is reported.")
    var runs = 3

    @Flag(help: "Decode the responses of all prompts in one batch instead of one batch per prompt.")
    var batchPrompts = false

    @Flag(help: "Compute every position's logits at every step (the sampler reads the current block's only).")
    var allPositions = false

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        for (name, value) in [("prompts", prompts), ("threads", threads), ("runs", runs)] where value <= 0 {
            throw ValidationError("--\(name) must be positive, got \(value)")
        }
        try checkThreadCount(threads)
    }

    func run() throws {
        let config = try RunConfig.resolve(preset: options.preset ?? "countdown-bgpo", configFile: options.configFile,
                                           overrides: options.overrides)
        let tokenizer = try TokenizerRegistry.tokenizer(identifier: config.model.tokenizer)
        let task = try TaskRegistry.task(named: config.task.name)
        let policy = try model.map { try ModelStore.load(from: URL(fileURLWithPath: $0, isDirectory: true)).model }
            ?? Model(config: try config.model.modelConfig(tokenizer: tokenizer), seed: UInt64(config.train.seed))
        BLAS.setThreads(threads)
        let seed = UInt64(config.train.seed)
        let sampler = try DiffusionSampler(options: config.rollout.rolloutOptions, maskTokenID: tokenizer.maskTokenID,
                                           padTokenID: tokenizer.padTokenID, seed: seed)
        let generations = config.rollout.numGenerations
        let encoded = try (0..<prompts).map { try tokenizer.encodePrompt(task.trainingProblem(seed: seed, index: UInt64($0)).prompt) }
        // Per batch: the prompts (num_generations copies each) and their stream keys.
        let groups = batchPrompts ? [Array(encoded.indices)] : encoded.indices.map { [$0] }
        let batches = groups.map { members in
            (prompts: members.flatMap { Array(repeating: encoded[$0], count: generations) },
             keys: members.flatMap { p in (0..<generations).map { g -> [UInt64] in [1, UInt64(p), UInt64(g)] } })
        }
        let rolloutModel = try config.rollout.computeDtype.forwardModel(policy, key: "rollout.compute_dtype")
        let counter = CountingModel(ModelRunner(model: rolloutModel), allPositions: allPositions)
        func decode() throws {
            for batch in batches {
                _ = try sampler.generate(model: counter, prompts: batch.prompts, keys: batch.keys)
            }
        }
        try decode()  // warm-up: workspaces, BLAS threads
        var seconds: [Double] = [], cpuSeconds: [Double] = [], forwardShares: [Double] = []
        counter.reset()
        for _ in 0..<runs {
            let start = ContinuousClock.now, cpuStart = ModelTimer.processCPUSeconds(), forwardStart = counter.forwardSeconds
            try decode()
            let elapsed = ContinuousClock.now - start
            seconds.append(elapsed.seconds)
            cpuSeconds.append(ModelTimer.processCPUSeconds() - cpuStart)
            forwardShares.append((counter.forwardSeconds - forwardStart) / elapsed.seconds)
        }
        let peak = FMAPeak.measure()
        let median = ModelTimer.median(seconds), cpu = ModelTimer.median(cpuSeconds)
        let forwardShare = ModelTimer.median(forwardShares)
        let generated = Double(prompts * generations * config.rollout.maxCompletionLength)
        let forwards = Double(counter.calls) / Double(runs)
        let flops = counter.flops / Double(runs)
        let report: [String: Any] = [
            "preset": options.preset ?? "countdown-bgpo", "prompts": prompts, "num_generations": generations,
            "max_completion_length": config.rollout.maxCompletionLength, "block_length": config.rollout.blockLength,
            "diffusion_steps": config.rollout.diffusionSteps, "prompt_tokens_max": encoded.map(\.count).max() ?? 0,
            "batch_prompts": batchPrompts, "all_positions": allPositions, "threads": threads, "runs": runs, "blas_core": BLAS.coreName,
            "d_model": policy.config.dModel, "n_layers": policy.config.nLayers,
            "seconds": median, "cpu_seconds": cpu, "generated_tokens_per_s": generated / median,
            "generated_tokens_per_cpu_s": generated / cpu,
            "forwards_per_s": forwards / median, "model_tokens_per_s": Double(counter.tokens) / Double(runs) / median,
            "gflops": flops / median / 1e9, "load_average": CompareBench.loadAverage(),
            "forward_share": forwardShare, "confidence_threshold": config.rollout.confidenceThreshold,
            "block_cache": config.rollout.blockCache, "compute_dtype": config.rollout.computeDtype.rawValue,
            "fma_peak_gflops": peak?.gflopsPerCore ?? 0, "bf16_dot_gflops": peak?.bf16DotGFLOPS ?? 0,
        ]
        if json {
            let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("bgpo bench sampler: \(report["preset"]!), \(prompts) prompt(s) x \(generations) responses of "
              + "\(config.rollout.maxCompletionLength) tokens (block \(config.rollout.blockLength), "
              + "\(config.rollout.diffusionSteps) steps, temperature \(config.rollout.temperature)), "
              + (batchPrompts ? "one batch" : "one batch per prompt")
              + (allPositions ? ", every position's logits" : ", logits of the current block")
              + (config.rollout.confidenceThreshold > 0 ? ", confidence threshold \(config.rollout.confidenceThreshold)" : "")
              + (config.rollout.blockCache ? ", block cache" : "")
              + (config.rollout.computeDtype == .bf16 ? ", bf16 products" : "")
              + ", \(threads) thread(s), \(BLASCore.current.summary)")
        print(String(format: "model d_model %d, %d layers; longest prompt %d tokens; median of %d runs, load average %.2f",
                     policy.config.dModel, policy.config.nLayers, encoded.map(\.count).max() ?? 0, runs,
                     CompareBench.loadAverage()))
        print(measuredPeakLine(peak))
        print(String(format: "%.0f generated tokens/s  (%.2f s per run, %.0f forward passes, %.1f forwards/s, "
                     + "%.0f model tokens/s, %.1f GFLOPS)", generated / median, median, forwards, forwards / median,
                     Double(counter.tokens) / Double(runs) / median, flops / median / 1e9))
        print(String(format: "CPU time (all threads): %.2f s per run = %.0f generated tokens per CPU second, %.1f GFLOPS per busy core",
                     cpu, generated / cpu, flops / cpu / 1e9))
        print(String(format: "forward passes: %.1f%% of the time; the sampler's own work (proposals, confidences, ranking, "
                     + "commits): %.1f%% (median of %d runs)", 100 * forwardShare, 100 * (1 - forwardShare), runs))
    }
}

/// A ``DenoisingModel`` that counts the forward passes, tokens and model FLOPs of a runner.
final class CountingModel: DenoisingModel {
    private let runner: ModelRunner
    /// Whether calls naming the positions they read run the full forward anyway.
    private let allPositions: Bool
    /// Forward passes since the last reset.
    private(set) var calls = 0
    /// Tokens (rows times positions) of those passes.
    private(set) var tokens = 0
    /// Their model FLOPs.
    private(set) var flops = 0.0
    /// Wall seconds spent in the runner's forward passes, since creation.
    private(set) var forwardSeconds = 0.0

    init(_ runner: ModelRunner, allPositions: Bool) {
        self.runner = runner
        self.allPositions = allPositions
    }

    var vocabSize: Int { runner.vocabSize }
    var maxSequence: Int { runner.maxSequence }

    func logits(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, batch: Int, seq: Int) -> UnsafePointer<Float> {
        count(batch: batch, seq: seq)
        return timed { runner.logits(tokens: tokens, keyMask: keyMask, batch: batch, seq: seq) }
    }

    func logits(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, batch: Int, seq: Int,
                positions: Range<Int>) -> UnsafePointer<Float> {
        count(batch: batch, seq: seq)
        return timed {
            runner.logits(tokens: tokens, keyMask: keyMask, batch: batch, seq: seq, positions: allPositions ? 0..<seq : positions)
        }
    }

    /// A cached pass computes the `positions` rows of each sequence only (attending to all `seq`).
    func cachedLogits(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, batch: Int, seq: Int,
                      positions: Range<Int>) -> UnsafePointer<Float> {
        count(batch: batch, seq: seq, rows: positions.count)
        return timed {
            allPositions
                ? runner.logits(tokens: tokens, keyMask: keyMask, batch: batch, seq: seq)
                : runner.cachedLogits(tokens: tokens, keyMask: keyMask, batch: batch, seq: seq, positions: positions)
        }
    }

    /// `forward()`, its wall time added to ``forwardSeconds``.
    private func timed(_ forward: () -> UnsafePointer<Float>) -> UnsafePointer<Float> {
        let start = ContinuousClock.now
        defer { forwardSeconds += (ContinuousClock.now - start).seconds }
        return forward()
    }

    /// Counts a pass computing `rows` positions (default all) of `batch` sequences of `seq` tokens.
    private func count(batch: Int, seq: Int, rows: Int? = nil) {
        let computed = allPositions ? seq : rows ?? seq
        calls += 1
        self.tokens += batch * computed
        flops += runner.config.forwardFLOPsPerToken(seq: seq) * Double(batch * computed)
    }

    /// Sets the counts to zero.
    func reset() {
        (calls, tokens, flops) = (0, 0, 0)
    }
}
