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
        Panel(key: "eval/accuracy", title: "Test accuracy"),
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
        var page = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>bgpo report</title>
        <style>
        body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px; color: #222; }
        h1 { font-size: 20px; } table { border-collapse: collapse; margin-bottom: 16px; }
        td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: right; font-size: 13px; }
        th:first-child, td:first-child { text-align: left; }
        .grid { display: flex; flex-wrap: wrap; gap: 12px; }
        svg { border: 1px solid #ddd; background: #fff; }
        </style></head><body>
        <h1>bgpo report</h1>

        """
        page += summaryTable
        page += "<div class=\"grid\">\n"
        for panel in RunReport.panels {
            let series = runs.map { run in
                run.records.compactMap { record in record[panel.key].flatMap { $0.isFinite ? (Double(record.step), $0) : nil } }
            }
            guard series.contains(where: { !$0.isEmpty }) else { continue }
            page += plot(title: panel.title, series: series)
        }
        page += "</div>\n</body></html>\n"
        return page
    }

    private static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    private static func color(_ index: Int) -> String { palette[index % palette.count] }

    private var summaryTable: String {
        var table = "<table><tr><th>run</th><th>steps</th><th>first test accuracy</th><th>last test accuracy</th>"
        table += "<th>mean reward (last 10 steps)</th><th>mean step time (s)</th><th>peak memory (MiB)</th></tr>\n"
        for run in runs {
            let training = run.records.filter { $0["reward"] != nil }
            let accuracy = run.records.compactMap { $0["eval/accuracy"] }
            let lastRewards = training.suffix(10).compactMap { $0["reward"] }
            let stepTimes = training.compactMap { $0["step_time"] }
            let memory = run.records.compactMap { $0["max_rss_mb"] }.max()
            func cell(_ value: Double?, _ digits: Int) -> String {
                value.map { String(format: "%.\(digits)f", $0) } ?? "–"
            }
            table += "<tr><td>\(RunReport.escaped(run.name))</td><td>\(training.last?.step ?? 0)</td>"
            table += "<td>\(cell(accuracy.first, 3))</td><td>\(cell(accuracy.last, 3))</td>"
            table += "<td>\(cell(lastRewards.isEmpty ? nil : lastRewards.reduce(0, +) / Double(lastRewards.count), 3))</td>"
            table += "<td>\(cell(stepTimes.isEmpty ? nil : stepTimes.reduce(0, +) / Double(stepTimes.count), 2))</td>"
            table += "<td>\(cell(memory, 0))</td></tr>\n"
        }
        return table + "</table>\n"
    }

    /// One SVG line plot with axes, ticks and a legend; `series[i]` belongs to `runs[i]`.
    private func plot(title: String, series: [[(Double, Double)]]) -> String {
        let width = 460.0, height = 300.0
        let left = 64.0, right = 16.0, top = 48.0, bottom = 40.0
        let points = series.flatMap { $0 }
        var (xMin, xMax) = (points.map(\.0).min()!, points.map(\.0).max()!)
        var (yMin, yMax) = (points.map(\.1).min()!, points.map(\.1).max()!)
        if xMax == xMin { xMin -= 1; xMax += 1 }
        if yMax == yMin { let pad = max(abs(yMin) * 0.1, 1e-3); yMin -= pad; yMax += pad }
        let yTicks = RunReport.niceTicks(yMin, yMax)
        let xTicks = RunReport.niceTicks(xMin, xMax)
        yMin = min(yMin, yTicks.first!); yMax = max(yMax, yTicks.last!)
        let plotW = width - left - right, plotH = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * plotW }
        func py(_ y: Double) -> Double { top + (1 - (y - yMin) / (yMax - yMin)) * plotH }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
        svg += "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-size=\"11\">\n"
        svg += "<text x=\"\(f(width / 2))\" y=\"16\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">\(RunReport.escaped(title))</text>\n"
        for tick in yTicks where tick >= yMin && tick <= yMax {
            svg += "<line x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(py(tick)))\" y2=\"\(f(py(tick)))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(f(left - 4))\" y=\"\(f(py(tick) + 4))\" text-anchor=\"end\">\(RunReport.label(tick))</text>\n"
        }
        for tick in xTicks where tick >= xMin && tick <= xMax {
            svg += "<line x1=\"\(f(px(tick)))\" x2=\"\(f(px(tick)))\" y1=\"\(f(top + plotH))\" y2=\"\(f(top + plotH + 4))\" stroke=\"#444\"/>"
            svg += "<text x=\"\(f(px(tick)))\" y=\"\(f(top + plotH + 16))\" text-anchor=\"middle\">\(RunReport.label(tick))</text>\n"
        }
        svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#444\"/>\n"
        svg += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 6))\" text-anchor=\"middle\">step</text>\n"
        for (index, line) in series.enumerated() where !line.isEmpty {
            let color = RunReport.color(index)
            let coordinates = line.map { "\(f(px($0.0))),\(f(py($0.1)))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(coordinates)\"/>\n"
            if line.count <= 40 {
                for point in line {
                    svg += "<circle cx=\"\(f(px(point.0)))\" cy=\"\(f(py(point.1)))\" r=\"2.5\" fill=\"\(color)\"/>"
                }
                svg += "\n"
            }
        }
        var legendX = left
        for (index, run) in runs.enumerated() {
            svg += "<rect x=\"\(f(legendX))\" y=\"26\" width=\"10\" height=\"10\" fill=\"\(RunReport.color(index))\"/>"
            svg += "<text x=\"\(f(legendX + 14))\" y=\"35\">\(RunReport.escaped(run.name))</text>\n"
            legendX += 24 + 6.5 * Double(run.name.count)
        }
        return svg + "</svg>\n"
    }

    /// Round tick values (1, 2 or 5 times a power of ten apart) covering `low...high`.
    static func niceTicks(_ low: Double, _ high: Double, count: Int = 5) -> [Double] {
        let raw = (high - low) / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2.0, 5.0, 10.0].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let first = floor(low / step) * step
        return stride(from: first, through: high + step * 0.999, by: step).map { ($0 / step).rounded() * step }
    }

    private static func label(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude == 0 { return "0" }
        if magnitude >= 1e5 || magnitude < 1e-3 { return String(format: "%.1e", value) }
        if magnitude >= 100 || value == value.rounded() { return String(format: "%.0f", value) }
        return String(format: "%.3g", value)
    }

    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
