import Foundation
import TestSupport
import Testing

/// `bgpo study gradients` and `bgpo report --gradients` on the tiny base: the noise falls as n_t
/// grows, BGPO and VRPO-OL take the same gradient on-policy, VRPO-OL stops at the memory limit and
/// says so, and bad options exit 64.
@Suite struct StudyGradientsCLITests {
    /// The arguments of a study of the shared tiny base on 4 prompts of 4 responses.
    func arguments(out: URL, extra: [String] = []) throws -> [String] {
        let base = try warmStartedBaseModel()
        return ["study", "gradients", "--preset", "countdown-tiny", "--threads", "1", "--out", out.path,
                "--set", "model.path=\(base.path)", "--set", "train.prompts_per_step=4", "--set", "train.micro_batch_size=4",
                "--set", "rollout.num_generations=4", "--set", "rollout.temperature=1.0",
                "--set", "rollout.max_completion_length=32", "--set", "rollout.block_length=8",
                "--set", "rollout.diffusion_steps=16", "--repeats", "4", "--reference-samples", "32"] + extra
    }

    @Test func noiseFallsWithNTAndVRPOOLStopsAtTheMemoryLimit() throws {
        let directory = try temporaryDirectory("bgpo-gradients")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("gradients.json")
        let study = try runBGPO(try arguments(out: out, extra: ["--samples", "1,8", "--objectives", "bgpo,vrpo-ol,diffu-grpo"]),
                                environment: rlRunEnvironment)
        #expect(study.status == 0, "\(study.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any])
        let cells = try #require(report["cells"] as? [[String: Any]])
        func cell(_ objective: String, _ n: Int) throws -> [String: Any] {
            try #require(cells.first { $0["objective"] as? String == objective && $0["samples"] as? Int == n })
        }
        func value(_ cell: [String: Any], _ key: String) throws -> Double { try #require(cell[key] as? Double) }
        #expect(cells.count == 5, "bgpo and vrpo-ol at n_t 1 and 8, diffu-grpo once: \(cells)")
        let (one, eight) = (try value(try cell("bgpo", 1), "relative_std"), try value(try cell("bgpo", 8), "relative_std"))
        #expect(one > 0 && eight < 0.7 * one, "std/|theta| at n_t 1: \(one), at 8: \(eight)")
        // On-policy the two objectives are the same estimator with the same masks.
        for n in [1, 8] {
            #expect(try value(try cell("bgpo", n), "relative_std") == value(try cell("vrpo-ol", n), "relative_std"))
        }
        // BGPO's gradient is unbiased at n_t dividing the response length: what separates its mean
        // from the reference is the noise of both (at 4 repeats and a 2-pass reference, within a
        // factor of 2 of the noise floor; which of n_t 1 and 8 lies closer is chance here).
        for n in [1, 8] {
            let (bias, floor) = (try value(try cell("bgpo", n), "bias"), try value(try cell("bgpo", n), "noise_floor"))
            #expect(bias > 0 && bias < 2 * floor, "n_t \(n): bias \(bias), noise floor \(floor)")
        }
        let reference = try #require(report["reference"] as? [String: Any])
        #expect(reference["samples_per_pass"] as? Int == 32 && reference["passes"] as? Int == 2, "\(reference)")

        let page = directory.appendingPathComponent("gradients.html")
        let drawn = try runBGPO(["report", "--gradients", out.path, "--out", page.path])
        #expect(drawn.status == 0, "\(drawn.stderr)")
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.components(separatedBy: "<svg").count == 3 && html.contains("diffu-grpo (one pass)"))

        // A memory limit below one workspace: VRPO-OL runs no cell and says where it stopped.
        let limited = directory.appendingPathComponent("limited.json")
        let stopped = try runBGPO(try arguments(out: limited, extra: ["--samples", "1", "--objectives", "bgpo,vrpo-ol",
                                                                      "--memory-limit", "1"]), environment: rlRunEnvironment)
        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(stopped.stdout.contains("vrpo-ol stops at n_t = 1"), "\(stopped.stdout)")
        let limitedReport = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: limited)) as? [String: Any])
        #expect((limitedReport["stopped"] as? [[String: Any]])?.first?["objective"] as? String == "vrpo-ol")
        #expect((limitedReport["cells"] as? [[String: Any]])?.count == 1)
    }

    @Test func badOptionsExit64AndWriteNothing() throws {
        let directory = try temporaryDirectory("bgpo-gradients")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("gradients.json")
        for (extra, message) in [(["--repeats", "1"], "--repeats"), (["--samples", "1,x"], "--samples"),
                                 (["--objectives", "bgpo,ppo"], "ppo"), (["--set", "objective.beta=0.1"], "objective.beta")] {
            let result = try runBGPO(try arguments(out: out, extra: extra), environment: rlRunEnvironment)
            #expect(result.status == 64 && result.stderr.contains(message), "\(extra): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out.path))
        }
        let report = try runBGPO(["report", "--gradients", out.path, directory.path])
        #expect(report.status == 64, "\(report.stderr)")
    }
}
