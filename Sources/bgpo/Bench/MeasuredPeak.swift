import Base
import Foundation

/// How the bench commands name a vector width in JSON.
extension FMAWidth {
    /// "avx2" or "avx512".
    var key: String { String(describing: self) }
}

/// How the bench commands print and record a measured FMA peak.
extension FMAPeak {
    /// The best width, every width's figure (narrowest first) and how it was taken, e.g. "best
    /// width AVX-512 (zmm); AVX2 (ymm) 115.1, AVX-512 (zmm) 115.3 GFLOPS; fastest of 20 single-thread runs each".
    var summary: String {
        let widths = FMAWidth.allCases.compactMap { width in
            gflopsByWidth[width].map { width.name + String(format: " %.1f", $0) }
        }
        let bf16 = bf16DotGFLOPS.map { String(format: "; bfloat16 dot products (zmm VDPBF16PS) %.1f GFLOPS = %.2fx FMA", $0, $0 / gflopsPerCore) }
        return "best width \(width.name); " + widths.joined(separator: ", ") + " GFLOPS" + (bf16 ?? "")
            + "; fastest of \(repetitions) single-thread runs each"
    }

    /// The figure of each width under its JSON key, "avx2" or "avx512".
    var gflopsByWidthKey: [String: Double] {
        Dictionary(uniqueKeysWithValues: gflopsByWidth.map { ($0.key.key, $0.value) })
    }
}

/// The report line of a measured peak, "measured FMA peak: 118.2 GFLOPS per core (best width ...)",
/// or why there is none.
func measuredPeakLine(_ peak: FMAPeak?) -> String {
    guard let peak else { return "measured FMA peak: unavailable (this CPU runs neither AVX2 nor AVX-512)" }
    return String(format: "measured FMA peak: %.1f GFLOPS per core (", peak.gflopsPerCore) + peak.summary + ")"
}

/// What `rollout.compute_dtype = "bf16"` buys on this CPU, from a measured peak: "bfloat16 dot
/// products at 1.94x the F32 FMA rate on this CPU", with a warning when that is below 1 (the
/// bf16 rollouts are then slower than F32 ones).
func bf16ThroughputNote(_ peak: FMAPeak?) -> String {
    guard let peak, let ratio = peak.bf16DotRatio else {
        return "warning: rollout.compute_dtype = \"bf16\": this CPU has no AVX512_BF16"
    }
    let rate = String(format: "bfloat16 dot products at %.2fx the F32 FMA rate on this CPU", ratio)
    return ratio < 1 ? "warning: rollout.compute_dtype = \"bf16\": \(rate): bf16 rollouts are slower than f32 here"
        : "rollout.compute_dtype = \"bf16\": \(rate)"
}
