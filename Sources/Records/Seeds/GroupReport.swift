import Foundation

/// The report of a seed study: each group's mean curves with confidence bands, a table of each
/// group's mean ± CI and per-seed values at the final step (and at a chosen step), its gain over
/// step 0 (paired within each run), and paired
/// comparisons of every group with a baseline group; as HTML, Markdown or JSON.
public struct GroupReport: Sendable {
    /// The groups, the first being the default baseline.
    public var groups: [RunGroup]
    /// The metric of the tables and comparisons, e.g. `eval/accuracy`.
    public var metric: String
    /// A step tabulated besides each group's final step, if any.
    public var step: Int?
    /// The confidence level of every interval, e.g. 0.95.
    public var level: Double
    /// The index in ``groups`` of the group the others are compared with.
    public var baseline: Int

    /// A report of `groups`; `baseline` names the group the others are compared with (default:
    /// the first).
    public init(groups: [RunGroup], metric: String = "eval/accuracy", step: Int? = nil, level: Double = 0.95,
                baseline: String? = nil) throws {
        precondition(!groups.isEmpty, "GroupReport: no groups")
        self.groups = groups
        self.metric = metric
        self.step = step
        self.level = level
        if let baseline {
            guard let index = groups.firstIndex(where: { $0.name == baseline }) else {
                throw GroupingError.unknownGroup(name: baseline, available: groups.map(\.name))
            }
            self.baseline = index
        } else {
            self.baseline = 0
        }
    }

    /// One tabulated point: a group's summary at a step.
    public struct Cell: Sendable {
        /// The group.
        public var group: String
        /// "final" or "step".
        public var kind: String
        /// The step.
        public var step: Int
        /// The values by seed.
        public var values: [Int: Double]
        /// Their summary, nil when there are none.
        public var summary: SeedSummary?
        /// The runs lacking the value there.
        public var missing: [String]
    }

    /// One comparison of a group with the baseline at a step kind.
    public struct Comparison: Sendable {
        /// The baseline group (a) and the other group (b).
        public var a: String, b: String
        /// "final" or "step".
        public var kind: String
        /// The steps compared in a and b.
        public var stepA: Int, stepB: Int
        /// b − a with its interval.
        public var difference: GroupDifference
    }

    /// The steps tabulated for `group`: ("final", its `train.max_steps`) and ("step", ``step``).
    private func tabulatedSteps(_ group: RunGroup) -> [(kind: String, step: Int)] {
        [("final", group.finalStep)] + (step.map { [("step", $0)] } ?? [])
    }

    /// Every group's cells, groups in order, final step first.
    public var cells: [Cell] {
        groups.flatMap { group in
            tabulatedSteps(group).map { kind, step in
                Cell(group: group.name, kind: kind, step: step, values: group.values(of: metric, at: step),
                     summary: group.summary(of: metric, at: step, level: level),
                     missing: group.missing(metric, at: step).map(\.name))
            }
        }
    }

    /// Every group's gain over its runs' own step 0 (the value before training: the base's) at each
    /// tabulated step other than 0: per seed `value(step) − value(0)`, with its summary over seeds.
    public var gains: [Cell] {
        groups.flatMap { group in
            tabulatedSteps(group).filter { $0.step != 0 }.map { kind, step in
                let start = group.values(of: metric, at: 0)
                let values = group.values(of: metric, at: step).reduce(into: [Int: Double]()) { gains, entry in
                    if let before = start[entry.key] { gains[entry.key] = entry.value - before }
                }
                return Cell(group: group.name, kind: "gain " + kind, step: step, values: values,
                            summary: values.isEmpty ? nil : SeedSummary(values: values.keys.sorted().map { values[$0]! }, level: level),
                            missing: group.runs.filter { values[$0.seed] == nil }.map(\.name))
            }
        }
    }

    /// Every group other than the baseline against the baseline, at each tabulated step kind
    /// where both have values.
    public var comparisons: [Comparison] {
        let base = groups[baseline]
        return groups.indices.filter { $0 != baseline }.flatMap { index -> [Comparison] in
            let other = groups[index]
            return zip(tabulatedSteps(base), tabulatedSteps(other)).compactMap { a, b in
                let va = base.values(of: metric, at: a.step), vb = other.values(of: metric, at: b.step)
                guard !va.isEmpty, !vb.isEmpty else { return nil }
                return Comparison(a: base.name, b: other.name, kind: a.kind, stepA: a.step, stepB: b.step,
                                  difference: GroupDifference(a: va, b: vb, level: level))
            }
        }
    }

    // MARK: - Tables

    private var percent: String { String(format: "%g%%", 100 * level) }

    private var summaryRows: [[String]] {
        let header = ["group", "step", "n", "\(metric) mean ± \(percent) CI", "sd", "per seed", "missing"]
        return [header] + (cells + gains).map { cell in
            let gain = cell.kind.hasPrefix("gain")
            let perSeed = cell.values.keys.sorted().map { "\($0): " + String(format: gain ? "%+.4f" : "%.4f", cell.values[$0]!) }
            return [cell.group, gain ? "\(cell.kind) \(cell.step) − step 0" : "\(cell.kind) \(cell.step)", "\(cell.summary?.count ?? 0)",
                    cell.summary.map { GroupReport.interval($0.mean, $0.halfWidth, signed: gain)
                        + ($0.count > 1 && $0.standardDeviation == 0 ? GroupReport.equalSeedsNote : "") } ?? "–",
                    cell.summary.map { String(format: "%.4f", $0.standardDeviation) } ?? "–",
                    perSeed.joined(separator: ", "), cell.missing.joined(separator: ", ")]
        }
    }

    private var comparisonRows: [[String]] {
        let header = ["comparison", "steps", "method", "n", "difference ± \(percent) CI", "df"]
        return [header] + comparisons.map { comparison in
            let d = comparison.difference
            let seeds = [comparison.b, comparison.a].map { group in
                cells.first { $0.group == group && $0.kind == comparison.kind }?.summary?.count ?? 0
            }
            let n = d.method == .paired ? "\(d.pairs) pairs" : "\(seeds[0]) vs \(seeds[1]) seeds"
            // Paired: the differences' own spread; Welch's: each group's.
            let equalSeeds = d.halfWidth == 0 || d.method == .welch && [comparison.b, comparison.a].contains { group in
                cells.first { $0.group == group && $0.kind == comparison.kind }?.summary
                    .map { $0.count > 1 && $0.standardDeviation == 0 } ?? false
            }
            return ["\(comparison.b) − \(comparison.a)", "\(comparison.kind) \(comparison.stepB) vs \(comparison.stepA)",
                    d.method.rawValue, n,
                    GroupReport.interval(d.difference, d.halfWidth, signed: true) + (equalSeeds ? GroupReport.equalSeedsNote : ""),
                    d.degreesOfFreedom.map { String(format: "%.1f", $0) } ?? "–"]
        }
    }

    /// The note on an interval over seeds that all gave the same value: their sample standard
    /// deviation is 0, so the t-interval has no width although the seeds' spread is unknown.
    static let equalSeedsNote = " (every seed the same value: no spread estimated)"

    /// `0.3120 ± 0.0213`, or the value alone without an interval.
    static func interval(_ value: Double, _ halfWidth: Double?, signed: Bool = false) -> String {
        let shown = String(format: signed ? "%+.4f" : "%.4f", value)
        return halfWidth.map { shown + String(format: " ± %.4f", $0) } ?? shown + " (one seed: no interval)"
    }

    /// The summary and comparison tables in Markdown.
    public var markdown: String {
        func table(_ rows: [[String]]) -> String {
            let lines = rows.map { "| " + $0.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |" }
            return ([lines[0], "|" + String(repeating: " --- |", count: rows[0].count)] + lines.dropFirst()).joined(separator: "\n") + "\n"
        }
        var text = table(summaryRows)
        if comparisonRows.count > 1 { text += "\n" + table(comparisonRows) }
        return text
    }

    /// The groups (runs and seeds), the cells and the comparisons as one JSON object (keys sorted).
    public var json: String {
        func number(_ value: Double?) -> Any { value.map { $0 as Any } ?? NSNull() }
        let object: [String: Any] = [
            "metric": metric, "level": level, "baseline": groups[baseline].name,
            "groups": groups.map { group in
                ["name": group.name, "final_step": group.finalStep,
                 "runs": group.runs.map { ["directory": $0.directory.path, "seed": $0.seed] }] as [String: Any]
            },
            "cells": (cells + gains).map { cell in
                ["group": cell.group, "kind": cell.kind, "step": cell.step, "n": cell.summary?.count ?? 0,
                 "mean": number(cell.summary?.mean), "half_width": number(cell.summary?.halfWidth),
                 "sd": number(cell.summary?.standardDeviation), "missing": cell.missing,
                 "values": Dictionary(uniqueKeysWithValues: cell.values.map { (String($0.key), $0.value) })] as [String: Any]
            },
            "comparisons": comparisons.map { comparison in
                ["a": comparison.a, "b": comparison.b, "kind": comparison.kind, "step_a": comparison.stepA,
                 "step_b": comparison.stepB, "method": comparison.difference.method.rawValue,
                 "pairs": comparison.difference.pairs, "difference": comparison.difference.difference,
                 "half_width": number(comparison.difference.halfWidth),
                 "df": number(comparison.difference.degreesOfFreedom)] as [String: Any]
            },
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) else {
            preconditionFailure("GroupReport: the report holds only JSON values")
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    // MARK: - HTML

    /// The page: the tables, then each panel's mean curve per group with its confidence band.
    public var html: String {
        func table(_ rows: [[String]]) -> String {
            let header = "<tr>" + rows[0].map { "<th>\(SVGLinePlot.escaped($0))</th>" }.joined() + "</tr>\n"
            let body = rows.dropFirst().map { "<tr>" + $0.map { "<td>\(SVGLinePlot.escaped($0))</td>" }.joined() + "</tr>\n" }
            return "<table>" + header + body.joined() + "</table>\n"
        }
        var body = "<p>Runs grouped by configuration; bands and intervals: \(percent) Student t over seeds.</p>\n"
        body += "<h2>\(SVGLinePlot.escaped(metric)) by group</h2>\n" + table(summaryRows)
        if comparisonRows.count > 1 {
            body += "<h2>Against \(SVGLinePlot.escaped(groups[baseline].name))</h2>\n" + table(comparisonRows)
        }
        body += "<div class=\"grid\">\n"
        for panel in RunReport.panels {
            let series = groups.enumerated().map { index, group in
                let points = group.steps(of: panel.key).compactMap { step in
                    group.summary(of: panel.key, at: step, level: level).map { (step, $0) }
                }
                return SVGLinePlot.Series(
                    name: "\(group.name) (\(group.runs.count))", colorIndex: index,
                    points: points.map { (Double($0.0), $0.1.mean) },
                    band: points.compactMap { step, summary in
                        summary.halfWidth.map { (Double(step), summary.mean - $0, summary.mean + $0) }
                    })
            }
            if let svg = SVGLinePlot(title: panel.title + " (mean over seeds)", series: series).svg { body += svg }
        }
        body += "</div>\n"
        return SVGLinePlot.page(title: "bgpo report: seed groups", body: body)
    }
}
