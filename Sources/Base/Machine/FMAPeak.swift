import CPeak

/// A vector width of the FMA peak loop (Sources/CPeak).
public enum FMAWidth: Int, CaseIterable, Sendable {
    /// 256-bit ymm registers, AVX2 and FMA: 8 floats per instruction.
    case avx2 = 256
    /// 512-bit zmm registers, AVX-512F: 16 floats per instruction.
    case avx512 = 512

    /// Floats per vector.
    public var lanes: Int { rawValue / 32 }

    /// Whether this CPU and operating system run the loop at this width.
    public var isSupported: Bool { bgpo_fma_supported(Int32(rawValue)) != 0 }

    /// The name reports print: "AVX2 (ymm)" or "AVX-512 (zmm)".
    public var name: String {
        switch self {
        case .avx2: "AVX2 (ymm)"
        case .avx512: "AVX-512 (zmm)"
        }
    }
}

/// The FP32 arithmetic peak of one core, measured with a loop of independent fused multiply-adds
/// at each vector width the CPU supports, on the calling thread.
///
/// A core's nominal peak (pipes x lanes x 2 x clock) assumes the width of the instructions is the
/// width of the hardware; this measures what the core actually sustains, including any splitting
/// of 512-bit instructions over 256-bit pipes and the clock it runs at under the load of the moment.
public struct FMAPeak: Sendable {
    /// Independent accumulator chains per loop iteration.
    public static let chains = Int(bgpo_fma_chains)

    /// The best GFLOPS of each supported width.
    public let gflopsByWidth: [FMAWidth: Double]
    /// The width that reached the most GFLOPS.
    public let width: FMAWidth
    /// The measured peak: GFLOPS of one core at `width`.
    public let gflopsPerCore: Double
    /// Timed runs per width; each width's figure is its fastest run.
    public let repetitions: Int
    /// GFLOPS of one core in bfloat16 dot products (zmm VDPBF16PS: two products and two sums per
    /// lane), measured the same way; nil when the CPU has no AVX512_BF16. Twice ``gflopsPerCore``
    /// where the instruction runs at the FMA's rate (Zen 4), about half where it does not (Intel
    /// Xeons without AMX): whether `rollout.compute_dtype = "bf16"` pays.
    public let bf16DotGFLOPS: Double?

    /// ``bf16DotGFLOPS`` over ``gflopsPerCore``.
    public var bf16DotRatio: Double? { bf16DotGFLOPS.map { $0 / gflopsPerCore } }

    /// Measures every supported width: one untimed warm-up run, then `repetitions` timed runs of
    /// `iterations` loop iterations; each width's figure is its fastest run by wall clock (the run
    /// least disturbed by other processes). Nil when the CPU supports no width (or is not x86-64).
    ///
    /// One run of 2^20 iterations is about 3 ms at 512 bits on a 120-GFLOPS core.
    public static func measure(iterations: Int = 1 << 20, repetitions: Int = 20) -> FMAPeak? {
        precondition(iterations > 0 && repetitions > 0, "iterations and repetitions must be positive")
        /// The fastest of `repetitions` timed runs of `loop` after one untimed run, in GFLOPS.
        func fastest(_ loop: () -> Int) -> Double {
            _ = loop()
            var best = 0.0
            for _ in 0..<repetitions {
                var flops = 0
                let elapsed = ContinuousClock().measure { flops = loop() }
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                best = max(best, Double(flops) / seconds / 1e9)
            }
            return best
        }
        var gflopsByWidth: [FMAWidth: Double] = [:]
        for width in FMAWidth.allCases where width.isSupported {
            gflopsByWidth[width] = fastest { run(width, iterations: iterations).flops }
        }
        guard let (width, gflops) = gflopsByWidth.max(by: { $0.value < $1.value }) else { return nil }
        let bf16Dot = bgpo_dpbf16_supported() != 0 ? fastest { runBF16Dot(iterations: iterations).flops } : nil
        return FMAPeak(gflopsByWidth: gflopsByWidth, width: width, gflopsPerCore: gflops, repetitions: repetitions,
                       bf16DotGFLOPS: bf16Dot)
    }

    /// Runs the bfloat16 dot-product loop once: the floating-point operations done,
    /// `iterations x chains x 16 lanes x 4` (0 without AVX512_BF16), and the sum of the final
    /// accumulator lanes (chain k starts at k / 100 and grows by 2^-19 per iteration).
    public static func runBF16Dot(iterations: Int) -> (flops: Int, checksum: Float) {
        var checksum: Float = 0
        let flops = bgpo_dpbf16_run(Int64(iterations), &checksum)
        return (Int(flops), checksum)
    }

    /// Runs the loop once: the floating-point operations done, `iterations x chains x lanes x 2`
    /// (0 when `width` is not supported), and the sum of the final accumulator lanes.
    public static func run(_ width: FMAWidth, iterations: Int) -> (flops: Int, checksum: Float) {
        var checksum: Float = 0
        let flops = bgpo_fma_run(Int32(width.rawValue), Int64(iterations), &checksum)
        return (Int(flops), checksum)
    }
}
