import ArgumentParser
import Base
import DLLM
import Foundation
import Kernels

/// `bgpo bench`: throughput measurements.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput on this machine.",
        subcommands: [ModelBench.self, CompareBench.self, SamplerBench.self, StepBench.self, MemoryBench.self, CheckpointBench.self]
    )
}

/// `bgpo bench model`: forward and forward+backward tokens/s and GFLOPS of a preset.
struct ModelBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Time the model's forward and forward+backward passes and the sgemm ceiling of its shapes.",
        discussion: """
            FLOPs per token count the matrix products, 2N forward and 6N forward+backward with N the \
            matrix parameters (every matrix but the embedding lookup, head included), plus the \
            bidirectional attention, 4 L T d forward and 12 L T d forward+backward. The nominal peak is \
            \(Int(nominalPeakGFLOPSPerCore)) GFLOPS per core (AVX-512, 2 FMA per cycle at 3.8 GHz) times the \
            threads. The measured peak is the fastest single-thread run of a loop of independent FMAs at \
            each vector width the CPU supports (AVX2, AVX-512), the best width's GFLOPS times the threads; \
            being a fastest run, it is what an undisturbed core does, so on a busy machine compare it with \
            the GFLOPS per busy core (CPU time) rather than with the median wall-clock figures. \
            bgpo chooses the OpenBLAS kernels for the CPU at start unless OPENBLAS_CORETYPE is set (the \
            header says which and why).
            """
    )

    /// Nominal FP32 peak of one core of the reference machine (2 x 512-bit FMA per cycle at about
    /// 3.8 GHz), as the performance issue states it; `FMAPeak` measures the real one.
    static let nominalPeakGFLOPSPerCore = 245.0

    @Option(help: "Model preset: \(ModelConfig.presetNames.joined(separator: ", ")).")
    var preset = "small"

    @Option(help: "Sequences per pass.")
    var batch = 8

    @Option(help: "Tokens per sequence (default: the preset's maximum).")
    var seq: Int?

    @Option(help: "OpenBLAS threads.")
    var threads = 1

    @Option(help: "Timed runs per measurement; the median is reported.")
    var runs = 3

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        for (name, value) in [("batch", batch), ("threads", threads), ("runs", runs), ("seq", seq ?? 1)] where value <= 0 {
            throw ValidationError("--\(name) must be positive, got \(value)")
        }
        try checkThreadCount(threads)
    }

    func run() throws {
        let config = try ModelConfig.preset(preset)
        try config.validate()
        let seq = self.seq ?? config.maxSeq
        guard seq <= config.maxSeq else {
            throw ValidationError("--seq \(seq) exceeds the preset's max_sequence_length \(config.maxSeq)")
        }
        BLAS.setThreads(threads)
        let timer = try ModelTimer(model: Model(config: config, seed: 1), batch: batch, seq: seq)
        let workspace = timer.workspace, n = timer.tokenCount
        timer.forward()  // warm-up: page in the buffers, start the BLAS threads
        timer.forwardBackward()
        let (forwardSeconds, forwardCPUSeconds) = ModelTimer.medianSeconds(runs, timer.forward)
        let (trainingSeconds, trainingCPUSeconds) = ModelTimer.medianSeconds(runs, timer.forwardBackward)
        let ceiling = gemmCeiling(config: config, rows: n)
        let fmaPeak = FMAPeak.measure()

        let peak = Self.nominalPeakGFLOPSPerCore * Double(threads)
        let measuredPeak = fmaPeak.map { $0.gflopsPerCore * Double(threads) }
        let forwardGFLOPS = config.forwardFLOPsPerToken(seq: seq) * Double(n) / forwardSeconds / 1e9
        let trainingGFLOPS = config.trainingFLOPsPerToken(seq: seq) * Double(n) / trainingSeconds / 1e9
        let report = BenchReport(
            preset: preset, batch: batch, seq: seq, threads: threads, runs: runs, blasCore: BLAS.coreName,
            products: timer.products,
            openblasCoretypeEnv: ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"],
            flopsPerTokenFwd: config.forwardFLOPsPerToken(seq: seq),
            flopsPerTokenFwdbwd: config.trainingFLOPsPerToken(seq: seq),
            fwdSeconds: forwardSeconds, fwdbwdSeconds: trainingSeconds,
            fwdCPUSeconds: forwardCPUSeconds, fwdbwdCPUSeconds: trainingCPUSeconds,
            fwdTokensPerS: Double(n) / forwardSeconds, fwdbwdTokensPerS: Double(n) / trainingSeconds,
            gflopsFwd: forwardGFLOPS, gflopsFwdbwd: trainingGFLOPS, peakGflops: peak,
            peakFractionFwd: forwardGFLOPS / peak, peakFractionFwdbwd: trainingGFLOPS / peak,
            fmaPeakGflopsPerCore: fmaPeak?.gflopsPerCore, fmaPeakWidth: fmaPeak?.width.key,
            fmaPeakGflopsByWidth: fmaPeak?.gflopsByWidthKey ?? [:], fmaPeakLine: measuredPeakLine(fmaPeak),
            measuredPeakGflops: measuredPeak,
            measuredPeakFractionFwd: measuredPeak.map { forwardGFLOPS / $0 },
            measuredPeakFractionFwdbwd: measuredPeak.map { trainingGFLOPS / $0 },
            gemmCeilingGflops: ceiling.wall, gemmCeilingGflopsPerCPUSecond: ceiling.cpu, workspaceBytes: workspace.byteCount)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            report.printText()
        }
    }

    /// GFLOPS of the linear layers' products of one block plus the head, forward and backward, as
    /// OpenBLAS runs them on this model's shapes: the ceiling for the matrix part of a training step.
    /// Returns GFLOPS per wall second and per CPU second.
    private func gemmCeiling(config: ModelConfig, rows: Int) -> (wall: Double, cpu: Double) {
        let d = config.dModel, kvd = config.nKVHeads * config.headDim, m = config.mlpHidden
        let shapes = [(d, d), (d, kvd), (d, kvd), (d, d), (d, m), (d, m), (m, d), (d, config.vocabSize)]
        let widest = shapes.map { max($0.0, $0.1) }.max()!
        let x = FlatBuffer(count: rows * widest), dX = FlatBuffer(count: rows * widest)
        let y = FlatBuffer(count: rows * widest), weight = FlatBuffer(count: widest * widest)
        let dWeight = FlatBuffer(count: widest * widest)
        func pass() {
            for (inFeatures, outFeatures) in shapes {
                linearForward(x: x.pointer, weight: weight.pointer, y: y.pointer, rows: rows,
                              inFeatures: inFeatures, outFeatures: outFeatures)
                linearBackward(x: x.pointer, weight: weight.pointer, dY: y.pointer, dX: dX.pointer,
                               dWeight: dWeight.pointer, rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
            }
        }
        pass()
        let flops = shapes.reduce(0.0) { $0 + 6 * Double(rows) * Double($1.0) * Double($1.1) }
        let seconds = withExtendedLifetime((x, dX, y, weight, dWeight)) { ModelTimer.medianSeconds(runs, pass) }
        return (flops / seconds.wall / 1e9, flops / seconds.cpu / 1e9)
    }
}

/// What `bgpo bench model` measured; the JSON keys are the snake_case names.
struct BenchReport: Encodable {
    var preset: String
    var batch, seq, threads, runs: Int
    var blasCore: String
    /// What the passes multiply with: ``ModelTimer/products``.
    var products: String
    var openblasCoretypeEnv: String?
    var flopsPerTokenFwd, flopsPerTokenFwdbwd: Double
    var fwdSeconds, fwdbwdSeconds: Double
    var fwdCPUSeconds, fwdbwdCPUSeconds: Double
    var fwdTokensPerS, fwdbwdTokensPerS: Double
    /// `peakGflops` and the `peakFraction`s are against the nominal peak.
    var gflopsFwd, gflopsFwdbwd, peakGflops: Double
    var peakFractionFwd, peakFractionFwdbwd: Double
    /// The measured FMA peak per core and its width ("avx2", "avx512"); nil where no width runs.
    var fmaPeakGflopsPerCore: Double?
    var fmaPeakWidth: String?
    var fmaPeakGflopsByWidth: [String: Double]
    /// The measured peak's report line, for the text report (not in the JSON).
    var fmaPeakLine: String
    /// The measured peak per core times the threads, and the passes' fractions of it.
    var measuredPeakGflops: Double?
    var measuredPeakFractionFwd, measuredPeakFractionFwdbwd: Double?
    var gemmCeilingGflops, gemmCeilingGflopsPerCPUSecond: Double
    var workspaceBytes: Int

    enum CodingKeys: String, CodingKey {
        case preset, batch, seq, threads, runs
        case blasCore = "blas_core"
        case products
        case openblasCoretypeEnv = "openblas_coretype_env"
        case flopsPerTokenFwd = "flops_per_token_fwd"
        case flopsPerTokenFwdbwd = "flops_per_token_fwdbwd"
        case fwdSeconds = "fwd_seconds"
        case fwdbwdSeconds = "fwdbwd_seconds"
        case fwdCPUSeconds = "fwd_cpu_seconds"
        case fwdbwdCPUSeconds = "fwdbwd_cpu_seconds"
        case fwdTokensPerS = "fwd_tokens_per_s"
        case fwdbwdTokensPerS = "fwdbwd_tokens_per_s"
        case gflopsFwd = "gflops_fwd"
        case gflopsFwdbwd = "gflops_fwdbwd"
        case peakGflops = "peak_gflops"
        case peakFractionFwd = "peak_fraction_fwd"
        case peakFractionFwdbwd = "peak_fraction_fwdbwd"
        case fmaPeakGflopsPerCore = "fma_peak_gflops_per_core"
        case fmaPeakWidth = "fma_peak_width"
        case fmaPeakGflopsByWidth = "fma_peak_gflops_by_width"
        case measuredPeakGflops = "measured_peak_gflops"
        case measuredPeakFractionFwd = "measured_peak_fraction_fwd"
        case measuredPeakFractionFwdbwd = "measured_peak_fraction_fwdbwd"
        case gemmCeilingGflops = "gemm_ceiling_gflops"
        case gemmCeilingGflopsPerCPUSecond = "gemm_ceiling_gflops_per_cpu_s"
        case workspaceBytes = "workspace_bytes"
    }

    /// The human-readable report.
    func printText() {
        func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
        print("bgpo bench model: preset \(preset), batch \(batch), seq \(seq), threads \(threads), "
              + "\(BLASCore.current.summary), median of \(runs) runs")
        print(products)
        print("FLOPs per token: forward \(f(flopsPerTokenFwd / 1e6, 2)) M, forward+backward \(f(flopsPerTokenFwdbwd / 1e6, 2)) M "
              + "(matmuls 2N/6N without the embedding, attention 4LTd/12LTd)")
        /// "38.9% of nominal peak, 81.0% of measured peak" for `gflops`.
        func ofPeaks(_ gflops: Double) -> String {
            "\(f(100 * gflops / peakGflops))% of nominal peak"
                + (measuredPeakGflops.map { ", \(f(100 * gflops / $0))% of measured peak" } ?? "")
        }
        print("forward:          \(f(fwdTokensPerS, 0)) tokens/s  \(f(gflopsFwd)) GFLOPS  "
              + "\(ofPeaks(gflopsFwd))  (\(f(fwdSeconds * 1000)) ms per pass)")
        print("forward+backward: \(f(fwdbwdTokensPerS, 0)) tokens/s  \(f(gflopsFwdbwd)) GFLOPS  "
              + "\(ofPeaks(gflopsFwdbwd))  (\(f(fwdbwdSeconds * 1000)) ms per step)")
        /// ", 81.4% of the measured peak of a core" for GFLOPS per busy core, when the peak was measured.
        func ofCorePeak(_ gflops: Double) -> String {
            fmaPeakGflopsPerCore.map { ", \(f(100 * gflops / $0))% of the measured peak of a core" } ?? ""
        }
        let plural = threads == 1 ? "" : "s"
        print("CPU time (all threads): forward \(f(fwdCPUSeconds * 1000)) ms, forward+backward \(f(fwdbwdCPUSeconds * 1000)) ms "
              + "= \(f(gflopsFwdbwd * fwdbwdSeconds / fwdbwdCPUSeconds)) GFLOPS per busy core"
              + ofCorePeak(gflopsFwdbwd * fwdbwdSeconds / fwdbwdCPUSeconds))
        print("nominal peak: \(f(peakGflops / Double(threads), 0)) GFLOPS per core (2 x 512-bit FMA per cycle at 3.8 GHz, "
              + "assumed) x \(threads) thread\(plural) = \(f(peakGflops, 0)) GFLOPS")
        print(fmaPeakLine + (measuredPeakGflops.map { " x \(threads) thread\(plural) = \(f($0)) GFLOPS" } ?? ""))
        print("sgemm ceiling (this model's linear shapes, forward+backward): \(f(gemmCeilingGflops)) GFLOPS  "
              + "\(ofPeaks(gemmCeilingGflops)), \(f(gemmCeilingGflopsPerCPUSecond)) GFLOPS per busy core"
              + ofCorePeak(gemmCeilingGflopsPerCPUSecond))
        print("workspace: \(f(Double(workspaceBytes) / Double(1 << 20))) MiB")
    }
}
