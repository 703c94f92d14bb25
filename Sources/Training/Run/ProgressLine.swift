import Foundation
import Records

/// The human-readable line printed after each RL step: progress, the main metrics and an estimate
/// of the time left.
struct ProgressLine {
    /// The last step of the run.
    let maxSteps: Int
    private var stepTimes: [Double] = []

    init(maxSteps: Int) {
        self.maxSteps = maxSteps
    }

    /// Records the step's duration (including evaluation and checkpoint) and formats its line.
    mutating func line(for metrics: MetricsRecord, seconds: Double) -> String {
        stepTimes.append(seconds)
        let step = metrics.step
        let percent = 100 * Double(step) / Double(maxSteps)
        let mean = stepTimes.reduce(0, +) / Double(stepTimes.count)
        var parts = [String(format: "step %d/%d (%.0f%%)", step, maxSteps, percent)]
        if let reward = metrics["reward"] {
            parts.append(String(format: "reward %.3f ± %.3f", reward, metrics["reward_std"] ?? 0))
        }
        if let loss = metrics["loss"] { parts.append(String(format: "loss %+.4f", loss)) }
        if let norm = metrics["grad_norm"] { parts.append(String(format: "grad %.3f", norm)) }
        if let estimate = AccuracyEstimate(record: metrics) {
            parts.append(String(format: "eval acc %.3f ± %.3f (n %d)", estimate.accuracy, estimate.standardError, estimate.problems))
        }
        parts.append(String(format: "%.1f s/step", seconds))
        if let memory = metrics["max_rss_mb"] { parts.append(String(format: "rss %.0f MB", memory)) }
        parts.append("ETA " + Self.duration(mean * Double(maxSteps - step)))
        return parts.joined(separator: " | ")
    }

    /// `1h02m`, `3m07s` or `12s`.
    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total >= 3600 { return String(format: "%dh%02dm", total / 3600, (total % 3600) / 60) }
        if total >= 60 { return String(format: "%dm%02ds", total / 60, total % 60) }
        return "\(total)s"
    }
}
