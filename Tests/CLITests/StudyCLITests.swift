import Foundation
import TestSupport
import Testing

/// `bgpo study plan|status|train` and `bgpo report` over seed groups, end to end on tiny runs.
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
        let fresh = try runBGPO(["study", "status", file])
        #expect(fresh.status == 0, "\(fresh.stderr)")
        #expect(Self.states(fresh.stdout) == ["not started", "not started", "not started"], "\(fresh.stdout)")
        #expect(fresh.stderr.contains("3 runs: 3 not started"), "\(fresh.stderr)")
        for index in 0..<3 {
            let result = try runBGPO(["study", "train", file, "--index", String(index), "--threads", "1"])
            #expect(result.status == 0, "run \(index): \(result.stderr)")
            #expect(result.stdout.contains("heldout accuracy before RL: ") && result.stdout.contains(" (SE, n = 4)"))
        }
        #expect(try runBGPO(["study", "train", file, "--index", "0", "--threads", "1"]).stdout.contains("already complete"))
        try checkStatus(file: file, study: directory.appendingPathComponent("study"))

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

        // The study file gives the same groups, in its order, without listing directories.
        let html = directory.appendingPathComponent("s.html").path
        let byStudy = try runBGPO(["report", "--study", file, "--table", "--step", "1", "--out", html])
        #expect(byStudy.status == 0, "\(byStudy.stderr)")
        #expect(byStudy.stdout.contains("| a | final 2 | 2 | ") && byStudy.stdout.contains("| b − a | final 2 vs 2 | welch |"),
                "\(byStudy.stdout)")
        // A longer budget leaves every run unfinished; another n_t is not these runs' configuration.
        let unfinished = try runBGPO(["report", "--study", file, "--set", "train.max_steps=3", "--out", html])
        #expect(unfinished.status == 64 && unfinished.stderr.contains("no run of \(file) has finished"), "\(unfinished.stderr)")
        #expect(unfinished.stderr.contains("left out \(runs[2]): unfinished (step 2 of 3)"), "\(unfinished.stderr)")
        let other = try runBGPO(["report", "--study", file, "--set", "objective.mc_num=4", "--out", html])
        #expect(other.status == 64 && other.stderr.contains("objective.mc_num: 2 in the run vs 4 in the study"), "\(other.stderr)")
        #expect(try runBGPO(["report", "--study", file, runs[0], "--out", html]).status == 64)
    }

    /// The state column of `bgpo study status` lines.
    static func states(_ stdout: String) -> [String] {
        stdout.split(separator: "\n").map { String($0.split(separator: "\t", omittingEmptySubsequences: false)[2]) }
    }

    /// `bgpo study status` over the three complete runs of `file`: complete with both evaluations;
    /// a longer budget (a resume-safe key) makes them in progress, a key that affects training makes
    /// them differ; a damaged newest checkpoint passes the quick look but not --verify, which falls
    /// back to the older checkpoint as a resume would.
    func checkStatus(file: String, study: URL) throws {
        let done = try runBGPO(["study", "status", file])
        #expect(done.status == 0, "\(done.stderr)")
        #expect(Self.states(done.stdout) == ["complete (2)", "complete (2)", "complete (2)"], "\(done.stdout)")
        #expect(done.stderr.contains("3 runs: 3 complete"), "\(done.stderr)")
        for line in done.stdout.split(separator: "\n") {
            #expect(line.hasSuffix("points, step 2, n = 4)") && line.contains("% -> "), "\(line)")
        }
        let longer = try runBGPO(["study", "status", file, "--set", "train.max_steps=3"])
        #expect(Self.states(longer.stdout) == ["step 2 of 3", "step 2 of 3", "step 2 of 3"], "\(longer.stdout)")
        let other = try runBGPO(["study", "status", file, "--set", "objective.mc_num=4"])
        #expect(Self.states(other.stdout) == ["differs at step 2: objective.mc_num: 2 -> 4",
                                              "differs at step 2: objective.mc_num: 2 -> 4",
                                              "differs at step 2: objective.mc_num: 1 -> 4"], "\(other.stdout)")
        #expect(other.stderr.contains("3 runs: 3 differs"), "\(other.stderr)")

        // Flip one byte in the middle of run b's newest model file: only the checksums see it.
        let model = study.appendingPathComponent("b/seed-0/checkpoints/step-000002/model.safetensors.zst")
        var bytes = try Data(contentsOf: model)
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: model)
        #expect(Self.states(try runBGPO(["study", "status", file]).stdout)[2] == "complete (2)")
        let verified = try runBGPO(["study", "status", file, "--verify", "--json"])
        #expect(verified.status == 0, "\(verified.stderr)")
        let objects = try verified.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.map { $0["state"] as? String } == ["complete", "complete", "in_progress"])
        #expect(objects[2]["step"] as? Int == 1 && objects[2]["max_steps"] as? Int == 2)
        #expect((objects[2]["skipped"] as? [[String: Any]])?.first?["name"] as? String == "step-000002")
        #expect((objects[0]["first_eval"] as? [String: Any])?["problems"] as? Int == 4)
        #expect((objects[0]["last_eval"] as? [String: Any])?["step"] as? Int == 2)

        // Without checkpoints a run starts afresh; its records say how far an earlier start got.
        try FileManager.default.removeItem(at: study.appendingPathComponent("b/seed-0/checkpoints"))
        let records = try runBGPO(["study", "status", file])
        #expect(Self.states(records.stdout)[2] == "no checkpoint yet (records to step 2)", "\(records.stdout)")
        #expect(records.stderr.contains("2 complete, 1 no checkpoint"), "\(records.stderr)")
    }
}
