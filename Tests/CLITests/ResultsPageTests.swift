import Foundation
import TestSupport
import Testing

/// The results page (docs/results.md) against the runs committed beside it: `bgpo report --study`
/// over docs/runs/countdown-table1, sudoku-table1 and countdown-table3, and `bgpo report
/// --by-config` over countdown-table2, reproduce each committed table JSON, and every number of
/// the page's Tables 1 (both tasks), 2 and 3 is those reports'.
@Suite struct ResultsPageTests {
    static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs")

    /// The report's cells and comparisons (the run directories it lists depend on the checkout).
    static func tables(_ json: Data) throws -> (cells: [[String: Any]], comparisons: [[String: Any]]) {
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        return (try #require(object["cells"] as? [[String: Any]]), try #require(object["comparisons"] as? [[String: Any]]))
    }

    /// `value` in points with one decimal and a sign, the page's way (− for negative numbers).
    static func signed(_ value: Double) -> String {
        (value < 0 ? "\u{2212}" : "+") + String(format: "%.1f", abs(value) * 100)
    }

    /// The part of results.md from the heading that starts with `heading` to the next `## `.
    static func section(_ page: String, heading: String) throws -> Substring {
        let start = try #require(page.range(of: "\n" + heading), "no section \(heading) on the page")
        let rest = page[start.upperBound...]
        return rest[..<(rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex)]
    }

    /// Each table: its study (docs/studies/STUDY.toml, runs and the committed NAME.json in
    /// docs/runs/STUDY), baseline and the heading of its section on the page.
    @Test(arguments: [("countdown-table1", "bgpo-nt16", "table1", "## Table 1 on Countdown"),
                      ("sudoku-table1", "bgpo-nt32", "table1", "## Table 1 on Sudoku"),
                      ("countdown-table3", "both", "table3", "## Table 3 on Countdown")])
    func theTablesAreWhatTheReportOfTheCommittedRunsSays(study: String, baseline: String, name: String,
                                                         heading: String) throws {
        let table = Self.docs.appendingPathComponent("runs/\(study)")
        let scratch = try temporaryDirectory("bgpo-results-page")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let json = scratch.appendingPathComponent("\(name).json")
        let report = try runBGPO(["report", "--study", Self.docs.appendingPathComponent("studies/\(study).toml").path,
                                  "--study-dir", table.path, "--baseline", baseline, "--table", "--json", json.path,
                                  "--out", scratch.appendingPathComponent("\(name).html").path])
        try #require(report.status == 0, "\(report.stderr)")

        // The committed JSON is this report's.
        let fresh = try Self.tables(try Data(contentsOf: json))
        let committed = try Self.tables(try Data(contentsOf: table.appendingPathComponent("\(name).json")))
        #expect(NSArray(array: fresh.cells).isEqual(to: committed.cells), "\(name).json is not the report of the committed runs")
        #expect(NSArray(array: fresh.comparisons).isEqual(to: committed.comparisons))

        // Every cell's accuracy and gain interval are in the rows of the section's table, each comparison
        // in the section, as the report has them.
        let page = try String(contentsOf: Self.docs.appendingPathComponent("results.md"), encoding: .utf8)
        let section = try Self.section(page, heading: heading)
        let rows = section.split(separator: "\n").filter { $0.hasPrefix("|") }.joined(separator: "\n")
        // A cell of one seed has no interval (null): the page gives its value alone.
        for cell in fresh.cells {
            let mean = try #require(cell["mean"] as? Double), half = cell["half_width"] as? Double
            let kind = try #require(cell["kind"] as? String), group = cell["group"] as? String ?? ""
            let text = switch (kind == "final", half) {
            case (true, let half?): String(format: "%.2f%% ± %.2f%%", mean * 100, half * 100)
            case (true, nil): String(format: "%.2f%% (one seed)", mean * 100)
            case (false, let half?): "\(Self.signed(mean)) [\(Self.signed(mean - half)), \(Self.signed(mean + half))]"
            case (false, nil): "\(Self.signed(mean)) (one seed)"
            }
            let inTable = rows.contains(text)
            #expect(inTable, "\(group) \(kind): \(text) is not in the table of \(heading)")
        }
        for comparison in fresh.comparisons {
            let difference = try #require(comparison["difference"] as? Double), half = comparison["half_width"] as? Double
            let text = "\(Self.signed(difference)) points" + (half.map { String(format: " ± %.1f", $0 * 100) } ?? " (one seed)")
            let inSection = section.contains(text)
            #expect(inSection, "comparison: \(text) is not in \(heading)")
        }
    }

    /// Table 2 (n_t): `bgpo report --by-config` over the committed runs of docs/runs/countdown-table2
    /// and Table 1's BGPO cell (its n_t 16 row) reproduces the committed table2.json, and each row
    /// of the page's table has its group's gain at step 30, interval and per-seed gains as the
    /// report has them.
    @Test func tableTwoIsWhatTheReportOfTheCommittedRunsSays() throws {
        let runs = try ["countdown-table2", "countdown-table1/bgpo-nt16"].flatMap { folder -> [String] in
            let root = Self.docs.appendingPathComponent("runs/\(folder)")
            let groups = folder.hasSuffix("bgpo-nt16") ? [root] : try FileManager.default
                .contentsOfDirectory(at: root, includingPropertiesForKeys: nil).filter(\.hasDirectoryPath)
            return try groups.flatMap { group in
                try FileManager.default.contentsOfDirectory(at: group, includingPropertiesForKeys: nil)
                    .filter { $0.lastPathComponent.hasPrefix("seed-") }.map(\.path)
            }.sorted()  // as the page's command lists them: Table 2's runs, then Table 1's (so nt1 is the baseline)
        }
        let scratch = try temporaryDirectory("bgpo-results-page")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let json = scratch.appendingPathComponent("table2.json")
        let report = try runBGPO(["report", "--by-config"] + runs + ["--step", "30", "--table", "--json", json.path,
                                                                    "--out", scratch.appendingPathComponent("table2.html").path])
        try #require(report.status == 0, "\(report.stderr)")
        let fresh = try Self.tables(try Data(contentsOf: json))
        let committed = try Self.tables(try Data(contentsOf: Self.docs.appendingPathComponent("runs/countdown-table2/table2.json")))
        #expect(NSArray(array: fresh.cells).isEqual(to: committed.cells), "table2.json is not the report of the committed runs")
        #expect(NSArray(array: fresh.comparisons).isEqual(to: committed.comparisons))

        let page = try String(contentsOf: Self.docs.appendingPathComponent("results.md"), encoding: .utf8)
        let gains = fresh.cells.filter { $0["kind"] as? String == "gain step" }
        #expect(Set(gains.compactMap { $0["group"] as? String }) == ["nt1", "nt2", "nt4", "nt8", "bgpo-nt16", "nt32"])
        for cell in gains {
            let group = try #require(cell["group"] as? String), mean = try #require(cell["mean"] as? Double)
            // The row of n_t 16 is Table 1's cell, given with its interval; the others with ± half-width.
            let nt = group == "bgpo-nt16" ? "16" : String(group.dropFirst(2))
            let row = try #require(page.split(separator: "\n").first { $0.hasPrefix("| \(nt) ") }, "no row for n_t \(nt)")
            let text = switch (group, cell["half_width"] as? Double) {
            case ("bgpo-nt16", let half?): "\(Self.signed(mean)) [\(Self.signed(mean - half)), \(Self.signed(mean + half))]"
            case (_, let half?): "\(Self.signed(mean)) ± " + String(format: "%.1f", half * 100)
            case (_, nil): "\(Self.signed(mean)) (one seed)"
            }
            #expect(row.contains(text), "n_t \(nt): \(text) is not in its row")
            let values = try #require(cell["values"] as? [String: Double])
            for (seed, value) in values {
                #expect(row.contains("\(seed): \(Self.signed(value))"), "n_t \(nt) seed \(seed): \(Self.signed(value)) is not in its row")
            }
        }
    }

    /// Figures 3 and 4's table: BGPO's std/|θ| and bias per n_t, and diffu-GRPO's, as the committed
    /// `bgpo study gradients` JSON has them.
    @Test func theGradientTableIsTheCommittedStudys() throws {
        let json = try Data(contentsOf: Self.docs.appendingPathComponent("runs/gradients/countdown-base.json"))
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        let all = try #require(object["cells"] as? [[String: Any]])
        func cells(_ objective: String) -> [[String: Any]] {
            all.filter { $0["objective"] as? String == objective }
                .sorted { ($0["samples"] as? Int ?? 0) < ($1["samples"] as? Int ?? 0) }
        }
        let bgpo = cells("bgpo")
        #expect(bgpo.map { $0["samples"] as? Int } == [1, 2, 4, 8, 16, 32, 64])
        let std = bgpo.map { cell -> String in
            let value = (cell["relative_std"] as? Double ?? .nan) * 1e4
            return String(format: value >= 10 ? "%.1f" : "%.2f", value)
        }
        let bias = bgpo.map { String(format: "%.2f (%.2f)", $0["bias"] as? Double ?? .nan, $0["noise_floor"] as? Double ?? .nan) }
        let diffu = try #require(cells("diffu-grpo").first)
        let rows = [
            "| BGPO std/\\|θ\\| (x 1e-4) | " + std.joined(separator: " | ") + " |",
            "| BGPO bias (noise floor) | " + bias.joined(separator: " | ") + " |",
            String(format: "std/\\|θ\\| %.0f x 1e-4, bias %.2f (noise floor %.2f)", (diffu["relative_std"] as? Double ?? .nan) * 1e4,
                   diffu["bias"] as? Double ?? .nan, diffu["noise_floor"] as? Double ?? .nan),
        ]
        let page = try String(contentsOf: Self.docs.appendingPathComponent("results.md"), encoding: .utf8)
        for row in rows {
            let onPage = page.contains(row)
            #expect(onPage, "\(row) is not on the page")
        }
    }
}
