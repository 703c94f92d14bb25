import Foundation

/// A self-contained HTML page with inline SVG plots of one or more runs' `metrics.jsonl`,
/// runs overlaid in each plot with a legend.
public struct RunReport: Sendable {
    /// One run to draw.
    public struct Run: Sendable {
        /// The name in the legend (usually the run directory's name).
        public var name: String
        /// The run's metrics, in file order.
        public var records: [MetricsRecord]

        /// Creates a run from its name and records.
        public init(name: String, records: [MetricsRecord]) {
            self.name = name
            self.records = records
        }

        /// Reads `RUN_DIR/metrics.jsonl`; the legend name is the directory's last component.
        public init(directory: URL) throws {
            name = directory.standardizedFileURL.lastPathComponent
            records = try MetricsLog.read(directory.appendingPathComponent("metrics.jsonl"))
        }
    }

    /// One plot of the page: a metric key against the step.
    public struct Panel: Sendable {
        /// The metric key.
        public var key: String
        /// The plot's title.
        public var title: String
    }

    /// The plots the page draws, in order.
    public static let panels: [Panel] = [
        Panel(key: "reward", title: "Mean reward"),
        Panel(key: "rollout/accuracy", title: "Rollout accuracy (at the rollout temperature)"),
        Panel(key: "frac_reward_zero_std", title: "Share of groups with equal rewards (no gradient)"),
        Panel(key: "eval/accuracy", title: "Evaluation accuracy"),
        Panel(key: "loss", title: "Loss"),
        Panel(key: "grad_norm", title: "Gradient norm (before clipping)"),
        Panel(key: "step_time", title: "Step time (s)"),
        Panel(key: "max_rss_mb", title: "Peak resident memory (MiB)"),
        Panel(key: "kl", title: "KL to the reference"),
        Panel(key: "completions/mean_length", title: "Mean completion length (tokens)"),
    ]

    /// The runs on the page.
    public var runs: [Run]

    /// Creates a report of `runs`.
    public init(runs: [Run]) {
        self.runs = runs
    }

    /// The whole page.
    public var html: String {
        var body = summaryTable
        body += "<div class=\"grid\">\n"
        for panel in RunReport.panels {
            let series = runs.enumerated().map { index, run in
                SVGLinePlot.Series(name: run.name, colorIndex: index, points: run.records.compactMap { record in
                    record[panel.key].flatMap { $0.isFinite ? (Double(record.step), $0) : nil }
                })
            }
            if let svg = SVGLinePlot(title: panel.title, series: series).svg { body += svg }
        }
        body += "</div>\n"
        return SVGLinePlot.page(title: "bgpo report", body: body)
    }

    private var summaryTable: String {
        var table = "<table><tr><th>run</th><th>steps</th><th>first eval accuracy ± SE (n)</th><th>last eval accuracy ± SE (n)</th>"
        table += "<th>mean reward (last 10 steps)</th><th>mean step time (s)</th><th>peak memory (MiB)</th></tr>\n"
        for run in runs {
            let training = run.records.filter { $0["reward"] != nil }
            let accuracy = run.records.compactMap(AccuracyEstimate.init(record:))
            let lastRewards = training.suffix(10).compactMap { $0["reward"] }
            let stepTimes = training.compactMap { $0["step_time"] }
            let memory = run.records.compactMap { $0["max_rss_mb"] }.max()
            func cell(_ value: Double?, _ digits: Int) -> String {
                value.map { String(format: "%.\(digits)f", $0) } ?? "–"
            }
            table += "<tr><td>\(SVGLinePlot.escaped(run.name))</td><td>\(training.last?.step ?? 0)</td>"
            table += "<td>\(RunReport.cell(accuracy.first))</td><td>\(RunReport.cell(accuracy.last))</td>"
            table += "<td>\(cell(lastRewards.isEmpty ? nil : lastRewards.reduce(0, +) / Double(lastRewards.count), 3))</td>"
            table += "<td>\(cell(stepTimes.isEmpty ? nil : stepTimes.reduce(0, +) / Double(stepTimes.count), 2))</td>"
            table += "<td>\(cell(memory, 0))</td></tr>\n"
        }
        return table + "</table>\n"
    }

    /// `0.123 ± 0.010 (n 256)`, or the accuracy alone for records without a standard error.
    private static func cell(_ estimate: AccuracyEstimate?) -> String {
        guard let estimate else { return "–" }
        guard estimate.standardError.isFinite else { return String(format: "%.3f", estimate.accuracy) }
        return String(format: "%.3f ± %.3f (n %d)", estimate.accuracy, estimate.standardError, estimate.problems)
    }
}
