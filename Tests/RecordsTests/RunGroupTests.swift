import Foundation
import Records
import RunConfig
import Testing

/// Pooling runs by seed: refusal of runs that differ in more, automatic grouping, the report's
/// tables and comparisons.
struct RunGroupTests {
    /// A run of `preset` with `seed` and extra overrides, in `parent/seed-<seed>`, whose
    /// `eval/accuracy` is `accuracy` at steps 0 and `train.max_steps` and half of it at step 10.
    static func run(_ parent: String, seed: Int, accuracy: Double, overrides: [String] = []) throws -> SeedRun {
        var config = try RunConfig.resolve(preset: "countdown-bgpo", overrides: overrides + ["train.seed=\(seed)"])
        config.run.outputDir = "/studies/\(parent)/seed-\(seed)"
        let records = [0, 10, config.train.maxSteps].map { step in
            var record = MetricsRecord(step: step)
            record["eval/accuracy"] = step == 0 ? 0.1 : step == 10 ? accuracy / 2 : accuracy
            record["reward"] = accuracy
            return record
        }
        return SeedRun(name: "seed-\(seed)", directory: URL(fileURLWithPath: config.run.outputDir), config: config,
                       records: records)
    }

    @Test func runsDifferingOnlyBySeedAndOutputArePooled() throws {
        let group = try RunGroup(name: "bgpo", runs: [try Self.run("a", seed: 0, accuracy: 0.3),
                                                      try Self.run("a", seed: 1, accuracy: 0.4, overrides: ["run.threads=2"])])
        #expect(group.values(of: "eval/accuracy", at: group.finalStep) == [0: 0.3, 1: 0.4])
    }

    @Test func runsDifferingInMoreAreRefusedNamingTheKeys() throws {
        let a = try Self.run("a", seed: 0, accuracy: 0.3)
        let b = try Self.run("a", seed: 1, accuracy: 0.3, overrides: ["objective.mc_num=4", "optim.learning_rate=2e-4"])
        #expect {
            try RunGroup(name: "mixed", runs: [a, b])
        } throws: { error in
            guard let error = error as? GroupingError, case .configurationsDiffer(_, _, _, let changes) = error else { return false }
            return changes.map(\.key).sorted() == ["objective.mc_num", "optim.learning_rate"]
                && error.exitCode == 64 && error.description.contains("objective.mc_num")
        }
        #expect(throws: GroupingError.self) { try RunGroup(name: "twice", runs: [a, try Self.run("b", seed: 0, accuracy: 0.5)]) }
    }

    @Test func groupingByConfigurationNamesGroupsAfterTheirEntry() throws {
        let runs = [try Self.run("bgpo", seed: 0, accuracy: 0.30), try Self.run("vrpo", seed: 0, accuracy: 0.20, overrides: ["objective.mc_num=4"]),
                    try Self.run("bgpo", seed: 1, accuracy: 0.32), try Self.run("vrpo", seed: 1, accuracy: 0.26, overrides: ["objective.mc_num=4"])]
        let groups = try RunGroup.byConfiguration(runs)
        #expect(groups.map(\.name) == ["bgpo", "vrpo"])
        #expect(groups.map { $0.runs.map(\.seed) } == [[0, 1], [0, 1]])
    }

    /// Seeds that all end on the same value give a t-interval of no width: the tables say that it
    /// estimates no spread, on the cell and on the comparisons that use it.
    @Test func aCellWhoseSeedsAgreeExactlySaysItsIntervalEstimatesNoSpread() throws {
        let bgpo = try RunGroup(name: "bgpo", runs: [0.30, 0.32, 0.34].enumerated().map { try Self.run("bgpo", seed: $0, accuracy: $1) })
        let vrpo = try RunGroup(name: "vrpo", runs: [0.26, 0.26].enumerated().map {
            try Self.run("vrpo", seed: $0, accuracy: $1, overrides: ["objective.mc_num=4"])
        })
        let lines = try GroupReport(groups: [bgpo, vrpo]).markdown.split(separator: "\n")
        let note = "(every seed the same value: no spread estimated)"
        #expect(lines.contains { $0.hasPrefix("| vrpo | final 60 | 2 | 0.2600 ± 0.0000 \(note) |") })
        #expect(lines.contains { $0.hasPrefix("| vrpo − bgpo | final 60 vs 60 | welch") && $0.contains(note) })
        #expect(!lines.contains { $0.hasPrefix("| bgpo | final 60") && $0.contains(note) })
    }

    @Test func reportTabulatesFinalAndChosenStepsAndPairsBySeed() throws {
        let bgpo = try RunGroup(name: "bgpo", runs: [0.30, 0.32, 0.34].enumerated().map { try Self.run("bgpo", seed: $0, accuracy: $1) })
        let vrpo = try RunGroup(name: "vrpo", runs: [0.20, 0.26, 0.26].enumerated().map {
            try Self.run("vrpo", seed: $0, accuracy: $1, overrides: ["objective.mc_num=4"])
        })
        let report = try GroupReport(groups: [bgpo, vrpo], step: 10)
        let final = try #require(report.cells.first { $0.group == "bgpo" && $0.kind == "final" })
        #expect(abs(final.summary!.mean - 0.32) < 1e-12)
        // t(0.975, 2) * 0.02 / sqrt(3)
        #expect(abs(final.summary!.halfWidth! - 4.302652729749462 * 0.02 / 3.0.squareRoot()) < 1e-12)
        let comparison = try #require(report.comparisons.first { $0.kind == "final" })
        #expect(comparison.a == "bgpo" && comparison.b == "vrpo" && comparison.difference.method == .paired)
        // Differences -0.10, -0.06, -0.08: mean -0.08, sd 0.02.
        #expect(abs(comparison.difference.difference + 0.08) < 1e-12)
        #expect(abs(comparison.difference.halfWidth! - 4.302652729749462 * 0.02 / 3.0.squareRoot()) < 1e-12)
        #expect(report.comparisons.contains { $0.kind == "step" && $0.stepA == 10 })
        #expect(report.markdown.contains("| bgpo | final 60 | 3 | 0.3200 ± 0.0497 |"))
        // Gains over each run's step 0 (0.1): 0.20, 0.22, 0.24 at the final step; 0.05, 0.06, 0.07 at step 10.
        let gain = try #require(report.gains.first { $0.group == "bgpo" && $0.kind == "gain final" })
        #expect(gain.values == [0: 0.30 - 0.1, 1: 0.32 - 0.1, 2: 0.34 - 0.1])
        #expect(abs(gain.summary!.mean - 0.22) < 1e-12)
        #expect(report.markdown.contains("| bgpo | gain final 60 − step 0 | 3 | +0.2200 ± 0.0497 |"), "\(report.markdown)")
        #expect(report.gains.contains { $0.group == "vrpo" && $0.kind == "gain step" && $0.step == 10 })
        #expect(report.markdown.contains("| vrpo − bgpo | final 60 vs 60 | paired | 3 pairs | -0.0800 ± 0.0497 | 2.0 |"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        #expect((json["comparisons"] as? [[String: Any]])?.count == 2)
        let html = report.html
        #expect(html.contains("<polygon"), "confidence bands are drawn")
        #expect(html.contains("vrpo − bgpo"))
        #expect(throws: GroupingError.self) { try GroupReport(groups: [bgpo, vrpo], baseline: "nope") }
    }
}
