import Foundation
import TestSupport
import Testing

/// The overrides of `countdown-tiny` for a tiny run: the tiny model, no warm start, 2 prompts of 3
/// responses per step, 4 test problems, a checkpoint every step; a few seconds.
func tinyTrainOverrides(steps: Int = 2) -> [String] {
    ["model.preset=tiny", "model.d_model=0", "model.mlp_hidden=0", "model.max_seq=64", "sft.steps=0",
     "train.max_steps=\(steps)", "train.prompts_per_step=2", "train.micro_batch_size=4",
     "train.eval_steps=0", "task.test_size=4", "rollout.num_generations=3",
     "rollout.max_completion_length=16", "rollout.block_length=8",
     "rollout.diffusion_steps=4", "objective.mc_num=2", "checkpoint.save_steps=1"]
}

/// `bgpo train` on the tiny model, countdown, no warm start: a few seconds.
private func tinyTrainArguments(_ directory: URL, steps: Int = 2) -> [String] {
    ["train", "--preset", "countdown-tiny", "--output-dir", directory.path, "--threads", "1"]
        + tinyTrainOverrides(steps: steps).flatMap { ["--set", $0] }
}

@Test func tinyTrainRunWritesMetricsWithEveryKey() throws {
    let directory = try temporaryDirectory("bgpo-train")
    defer { try? FileManager.default.removeItem(at: directory) }
    let result = try runBGPO(tinyTrainArguments(directory))
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("resolved configuration"))
    #expect(result.stdout.contains("step 2/2"))
    #expect(result.stdout.contains("test accuracy before RL: "))
    #expect(result.stdout.contains(" (SE, n = 4) before RL (step 0), "), "the summary line has standard errors")
    #expect(result.stdout.contains(" (SE, n = 4) after step 2 "))

    let text = try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    let lines = try text.split(separator: "\n").map {
        try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    #expect(lines.map { $0["step"] as? Int } == [0, 1, 2])
    #expect(lines[0]["eval/accuracy"] != nil)
    #expect(lines[0]["eval/accuracy_se"] is NSNumber && lines[0]["eval/problems"] as? Int == 4)
    #expect(lines[2]["eval/accuracy_se"] is NSNumber && lines[2]["eval/problems"] as? Int == 4)
    let keys = ["reward", "reward_std", "frac_reward_zero_std", "rollout/accuracy", "rollout/frac_all_solved",
                "rollout/frac_none_solved", "loss", "kl", "clip_ratio", "completions/mean_length",
                "grad_norm", "learning_rate", "step_time", "timing_s/rollout", "timing_s/likelihood", "timing_s/allreduce",
                "timing_s/optimizer", "timing_s/checkpoint", "tokens_per_s", "max_rss_mb"]
    for line in lines.dropFirst() {
        for key in keys { #expect(line[key] is NSNumber, "step \(line["step"] ?? "?") lacks \(key)") }
        #expect(line.keys.contains { $0.hasPrefix("rewards/") && $0.hasSuffix("/mean") })
    }
    #expect(lines[2]["eval/accuracy"] != nil, "the last step is evaluated")
    #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("config.toml").path))
    let latest = try String(contentsOf: directory.appendingPathComponent("checkpoints/LATEST"), encoding: .utf8)
    #expect(latest.trimmingCharacters(in: .whitespacesAndNewlines) == "step-000002")

    let again = try runBGPO(tinyTrainArguments(directory))
    #expect(again.status == 0, "\(again.stderr)")
    #expect(again.stdout.contains("already complete"))

    let report = directory.appendingPathComponent("report.html")
    let reported = try runBGPO(["report", directory.path, "--out", report.path])
    #expect(reported.status == 0, "\(reported.stderr)")
    #expect(try String(contentsOf: report, encoding: .utf8).contains("<svg"))

    // Without its checkpoints (removed to save space) the run starts afresh: the finished run's
    // records are moved aside, not overwritten.
    let records = try ["metrics.jsonl", "config.toml"].map { try Data(contentsOf: directory.appendingPathComponent($0)) }
    try FileManager.default.removeItem(at: directory.appendingPathComponent("checkpoints"))
    let fresh = try runBGPO(tinyTrainArguments(directory))
    #expect(fresh.status == 0 && fresh.stdout.contains("starting a fresh run"), "\(fresh.stderr)")
    let kept = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("superseded-") }
    try #require(kept.count == 1, "\(kept)")
    #expect(fresh.stdout.contains("moved to \(directory.appendingPathComponent(kept[0]).path)"), "\(fresh.stdout)")
    for (name, data) in zip(["metrics.jsonl", "config.toml"], records) {
        #expect(try Data(contentsOf: directory.appendingPathComponent(kept[0]).appendingPathComponent(name)) == data, "\(name)")
    }
    let rewritten = try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    #expect(rewritten.split(separator: "\n").count == 3, "the new run's own record, steps 0-2")
}

@Test func trainRefusesImpossibleSettingsWith64() throws {
    let directory = try temporaryDirectory("bgpo-train-bad")
    defer { try? FileManager.default.removeItem(at: directory) }
    for (setting, key) in [("objective.mc_num=0", "objective.mc_num"),
                           ("rollout.num_generations=1", "rollout.num_generations")] {
        let result = try runBGPO(tinyTrainArguments(directory) + ["--set", setting])
        #expect(result.status == 64, "\(setting): \(result.stderr)")
        #expect(result.stderr.contains(key))
    }
}

@Test func resumeFromACheckpointThatDoesNotExistExits74() throws {
    let directory = try temporaryDirectory("bgpo-train-resume")
    defer { try? FileManager.default.removeItem(at: directory) }
    let result = try runBGPO(tinyTrainArguments(directory) + ["--resume", directory.appendingPathComponent("nowhere").path])
    #expect(result.status == 74, "\(result.stderr)")
}
