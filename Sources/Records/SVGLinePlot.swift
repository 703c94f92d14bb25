import Foundation

/// One inline-SVG line plot of metric series against the step, with axes, ticks, a legend and,
/// for series that have one, a shaded band (e.g. a confidence interval).
struct SVGLinePlot {
    /// One line of the plot.
    struct Series {
        /// The name in the legend.
        var name: String
        /// The palette index of its colour.
        var colorIndex: Int
        /// (step, value) points, in step order.
        var points: [(x: Double, y: Double)]
        /// (step, low, high) of the band around the line, in step order; empty for none.
        var band: [(x: Double, low: Double, high: Double)] = []
    }

    /// How values map to the axes.
    enum Scale {
        /// Both axes linear.
        case linear
        /// x in powers of two, y in powers of ten (every value must be positive).
        case logLog
    }

    /// The plot's title.
    var title: String
    /// The lines, drawn in order.
    var series: [Series]
    /// The x axis' label.
    var xLabel = "step"
    /// How values map to the axes.
    var scale = Scale.linear

    private static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    /// The colour of palette entry `index` (cycling).
    static func color(_ index: Int) -> String { palette[index % palette.count] }

    /// The `<svg>` element, or nil when no series has a point.
    var svg: String? {
        guard scale == .logLog else { return linearSVG }
        // Draw log2 x against log10 y on linear axes, with the ticks at whole powers labelled by value.
        let logSeries = series.map { line in
            Series(name: line.name, colorIndex: line.colorIndex,
                   points: line.points.filter { $0.x > 0 && $0.y > 0 }.map { (log2($0.x), log10($0.y)) },
                   band: line.band.filter { $0.x > 0 && $0.low > 0 }.map { (log2($0.x), log10($0.low), log10($0.high)) })
        }
        var plot = SVGLinePlot(title: title, series: logSeries, xLabel: xLabel)
        plot.tickLabels = (x: { SVGLinePlot.label(exp2($0)) }, y: { String(format: "1e%.0f", $0) })
        plot.wholeTicks = true
        return plot.linearSVG
    }

    /// How tick values are printed (the log-log plot prints the powers they stand for).
    var tickLabels: (x: (Double) -> String, y: (Double) -> String) = (SVGLinePlot.label, SVGLinePlot.label)
    /// Whether ticks fall on whole numbers only (at least one unit apart).
    var wholeTicks = false

    private var linearSVG: String? {
        let points = series.flatMap(\.points) + series.flatMap { $0.band.flatMap { [($0.x, $0.low), ($0.x, $0.high)] } }
        guard !points.isEmpty else { return nil }
        let width = 460.0, height = 300.0
        let left = 64.0, right = 16.0, top = 48.0, bottom = 40.0
        var (xMin, xMax) = (points.map(\.0).min()!, points.map(\.0).max()!)
        var (yMin, yMax) = (points.map(\.1).min()!, points.map(\.1).max()!)
        if xMax == xMin { xMin -= 1; xMax += 1 }
        if yMax == yMin { let pad = max(abs(yMin) * 0.1, 1e-3); yMin -= pad; yMax += pad }
        let yTicks = wholeTicks ? SVGLinePlot.wholeTicks(yMin, yMax) : SVGLinePlot.niceTicks(yMin, yMax)
        let xTicks = wholeTicks ? SVGLinePlot.wholeTicks(xMin, xMax) : SVGLinePlot.niceTicks(xMin, xMax)
        yMin = min(yMin, yTicks.first!); yMax = max(yMax, yTicks.last!)
        let plotW = width - left - right, plotH = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * plotW }
        func py(_ y: Double) -> Double { top + (1 - (y - yMin) / (yMax - yMin)) * plotH }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
        svg += "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-size=\"11\">\n"
        svg += "<text x=\"\(f(width / 2))\" y=\"16\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">\(SVGLinePlot.escaped(title))</text>\n"
        for tick in yTicks where tick >= yMin && tick <= yMax {
            svg += "<line x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(py(tick)))\" y2=\"\(f(py(tick)))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(f(left - 4))\" y=\"\(f(py(tick) + 4))\" text-anchor=\"end\">\(tickLabels.y(tick))</text>\n"
        }
        for tick in xTicks where tick >= xMin && tick <= xMax {
            svg += "<line x1=\"\(f(px(tick)))\" x2=\"\(f(px(tick)))\" y1=\"\(f(top + plotH))\" y2=\"\(f(top + plotH + 4))\" stroke=\"#444\"/>"
            svg += "<text x=\"\(f(px(tick)))\" y=\"\(f(top + plotH + 16))\" text-anchor=\"middle\">\(tickLabels.x(tick))</text>\n"
        }
        svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#444\"/>\n"
        svg += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 6))\" text-anchor=\"middle\">\(SVGLinePlot.escaped(xLabel))</text>\n"
        for line in series where !line.band.isEmpty {
            let outline = line.band.map { "\(f(px($0.x))),\(f(py($0.high)))" }
                + line.band.reversed().map { "\(f(px($0.x))),\(f(py($0.low)))" }
            svg += "<polygon fill=\"\(SVGLinePlot.color(line.colorIndex))\" fill-opacity=\"0.18\" stroke=\"none\" "
            svg += "points=\"\(outline.joined(separator: " "))\"/>\n"
        }
        for line in series where !line.points.isEmpty {
            let color = SVGLinePlot.color(line.colorIndex)
            let coordinates = line.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(coordinates)\"/>\n"
            if line.points.count <= 40 {
                for point in line.points {
                    svg += "<circle cx=\"\(f(px(point.x)))\" cy=\"\(f(py(point.y)))\" r=\"2.5\" fill=\"\(color)\"/>"
                }
                svg += "\n"
            }
        }
        var legendX = left
        for line in series {
            svg += "<rect x=\"\(f(legendX))\" y=\"26\" width=\"10\" height=\"10\" fill=\"\(SVGLinePlot.color(line.colorIndex))\"/>"
            svg += "<text x=\"\(f(legendX + 14))\" y=\"35\">\(SVGLinePlot.escaped(line.name))</text>\n"
            legendX += 24 + 6.5 * Double(line.name.count)
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

    /// Whole numbers covering `low...high`, at least one apart (about five of them).
    static func wholeTicks(_ low: Double, _ high: Double) -> [Double] {
        let step = max(1, ((high - low) / 5).rounded(.up))
        return Array(stride(from: floor(low), through: ceil(high), by: step))
    }

    private static func label(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude == 0 { return "0" }
        if magnitude >= 1e5 || magnitude < 1e-3 { return String(format: "%.1e", value) }
        if magnitude >= 100 || value == value.rounded() { return String(format: "%.0f", value) }
        return String(format: "%.3g", value)
    }

    /// `text` with the HTML special characters escaped.
    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// A whole self-contained page: the shared style, a heading and `body`.
    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escaped(title))</title>
        <style>
        body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px; color: #222; }
        h1 { font-size: 20px; } h2 { font-size: 16px; } table { border-collapse: collapse; margin-bottom: 16px; }
        td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: right; font-size: 13px; }
        th:first-child, td:first-child { text-align: left; }
        .grid { display: flex; flex-wrap: wrap; gap: 12px; }
        svg { border: 1px solid #ddd; background: #fff; }
        </style></head><body>
        <h1>\(escaped(title))</h1>

        """ + body + "</body></html>\n"
    }
}
