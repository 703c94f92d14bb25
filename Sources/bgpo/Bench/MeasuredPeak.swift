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
        return "best width \(width.name); " + widths.joined(separator: ", ") + " GFLOPS; fastest of \(repetitions) single-thread runs each"
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
