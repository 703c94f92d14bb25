import Foundation
import TestSupport
import Testing

/// `bgpo study plan|train` and `bgpo report` over seed groups, end to end on tiny runs.
@Suite(.serialized) struct StudyCLITests {
    /// A study of tiny countdown runs evaluated on the held-out set: entry "a" with seeds 0 and 1,
    /// entry "b" (another n_t) with seed 0.
    static func studyText(_ directory: URL, extraEntry: String = "") -> String {
        let common = (tinyTrainOverrides() + ["task.eval_set=heldout"]).map { "\"\($0)\"" }.joined(separator: ", ")
        return """
            output_dir = "\(directory.appendingPathComponent("study").path)"
            overrides = [\(common)]

            [[run]]
            name = "a"
            preset = "countdown-tiny"
            seeds = [0, 1]

            [[run]]
            name = "b"
            preset = "countdown-tiny"
            overrides = ["objective.mc_num=1"]
            seeds = [0]
            \(extraEntry)
            """
    }

    static func write(_ text: String, in directory: URL) throws -> String {
        let file = directory.appendingPathComponent("study.toml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    @Test func planListsEveryRunAndRefusesMistakesWith64() throws {
        let directory = try temporaryDirectory("bgpo-study-plan")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try Self.write(Self.studyText(directory), in: directory)
        let plan = try runBGPO(["study", "plan", file])
        #expect(plan.status == 0, "\(plan.stderr)")
        let lines = plan.stdout.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        let study = directory.appendingPathComponent("study").path
        #expect(lines.map { $0[1] } == ["\(study)/a/seed-0", "\(study)/a/seed-1", "\(study)/b/seed-0"])
        #expect(lines[2][2].hasPrefix("bgpo train --preset countdown-tiny --set model.preset=tiny "))
        #expect(lines[2][2].hasSuffix("--set objective.mc_num=1 --set train.seed=0 --output-dir \(study)/b/seed-0"))
        #expect(try runBGPO(["study", "plan", file, "--count"]).stdout == "3\n")
        #expect(try runBGPO(["study", "plan", file, "--index", "1"]).stdout.hasPrefix("1\t\(study)/a/seed-1\t"))
        #expect(try runBGPO(["study", "plan", file, "--index", "3"]).status == 64)

        for (entry, named) in [("[[run]]\nname = \"c\"\npreset = \"countdown-huge\"\nseeds = [0]", "countdown-huge"),
                               ("[[run]]\nname = \"c\"\npreset = \"countdown-tiny\"\nseeds = [0]\noverrides = [\"rollout.temprature=1\"]",
                                "rollout.temprature")] {
            let bad = try Self.write(Self.studyText(directory, extraEntry: entry), in: directory)
            let result = try runBGPO(["study", "plan", bad])
            #expect(result.status == 64, "\(named): \(result.stderr)")
            #expect(result.stderr.contains(named) && result.stdout.isEmpty, "\(result.stderr)")
        }
    }

    @Test func studyRunsPoolIntoSeedGroups() throws {
        let directory = try temporaryDirectory("bgpo-study-run")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try Self.write(Self.studyText(directory), in: directory)
        for index in 0..<3 {
            let result = try runBGPO(["study", "train", file, "--index", String(index), "--threads", "1"])
            #expect(result.status == 0, "run \(index): \(result.stderr)")
            #expect(result.stdout.contains("heldout accuracy before RL: ") && result.stdout.contains(" (SE, n = 4)"))
        }
        #expect(try runBGPO(["study", "train", file, "--index", "0", "--threads", "1"]).stdout.contains("already complete"))

        let study = directory.appendingPathComponent("study")
        let runs = ["a/seed-0", "a/seed-1", "b/seed-0"].map { study.appendingPathComponent($0).path }
        let json = directory.appendingPathComponent("groups.json").path
        let report = try runBGPO(["report", "--by-config"] + runs + ["--table", "--json", json, "--step", "1",
                                                                      "--out", directory.appendingPathComponent("r.html").path])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("| a | final 2 | 2 | "), "\(report.stdout)")
        #expect(report.stdout.contains("| b − a | final 2 vs 2 | welch |"))
        let groups = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        #expect((groups["groups"] as? [[String: Any]])?.map { $0["name"] as? String } == ["a", "b"])

        let mixed = try runBGPO(["report", "--group", "\(runs[0]),\(runs[2])", "--out", directory.appendingPathComponent("m.html").path])
        #expect(mixed.status == 64)
        #expect(mixed.stderr.contains("objective.mc_num"), "\(mixed.stderr)")
    }
}
