import Foundation
import TestSupport
import Testing

/// `bgpo sft`, `bgpo sample` and `bgpo eval` end to end on a tiny model.
@Suite(.serialized) struct DiffusionCommandTests {
    @Test func sftSampleAndEvalRunEndToEnd() throws {
        let directory = try temporaryDirectory("bgpo-sft")
        defer { try? FileManager.default.removeItem(at: directory) }
        let modelPath = directory.appendingPathComponent("model").path
        let sft = try runBGPO(["sft", "--task", "countdown", "--out", modelPath, "--preset", "tiny", "--max-seq", "64",
                               "--steps", "3", "--batch-size", "4", "--micro-batch-size", "3", "--log-every", "1",
                               "--eval-every", "2", "--eval-limit", "3", "--generation-length", "32",
                               "--block-length", "16", "--diffusion-steps", "8", "--threads", "1"])
        #expect(sft.status == 0, "\(sft.stderr)")
        #expect(sft.stdout.contains("step     3/3"))
        #expect(sft.stdout.components(separatedBy: "eval  step").count == 3)
        #expect(sft.stdout.contains(" (SE, n = 3)"))
        let description = try String(contentsOfFile: modelPath + "/model.json", encoding: .utf8)
        #expect(description.contains("\"tokenizer\" : \"char-v1\""))
        #expect(description.contains("\"sft_steps\" : \"3\""))

        let jsonl = directory.appendingPathComponent("eval.jsonl").path
        let eval = try runBGPO(["eval", "--model", modelPath, "--task", "countdown", "--limit", "3", "--out", jsonl,
                                "--threads", "1"])
        #expect(eval.status == 0, "\(eval.stderr)")
        #expect(eval.stdout.contains("countdown test: accuracy"))
        #expect(eval.stdout.contains(" (SE, n = 3)"), "the accuracy has its standard error and sample size")
        let heldOut = try runBGPO(["eval", "--model", modelPath, "--task", "countdown", "--split", "heldout", "--limit", "3",
                                   "--threads", "1"])
        #expect(heldOut.status == 0, "\(heldOut.stderr)")
        #expect(heldOut.stdout.contains("countdown heldout: accuracy") && heldOut.stdout.contains(" (SE, n = 3)"))
        #expect(eval.stdout.contains("L 32  block 16  steps 32"))
        let lines = try String(contentsOfFile: jsonl, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.allSatisfy { $0.contains("\"reward\":") && $0.contains("\"completion\":") })

        let sample = try runBGPO(["sample", "--model", modelPath, "--task", "countdown", "--index", "2", "--threads", "1"])
        #expect(sample.status == 0, "\(sample.stderr)")
        #expect(sample.stdout.contains("completion:") && sample.stdout.contains("reward:"))
        let text = try runBGPO(["sample", "--model", modelPath, "--task", "countdown", "--prompt", "3 4 5 -> 12\\n",
                                "--temperature", "1", "--samples", "2", "--threads", "1"])
        #expect(text.status == 0, "\(text.stderr)")
    }

    /// `bgpo sft` under mpirun splits each step's examples over the ranks (5 examples: shares of 3
    /// and 2) and sums the gradients: the model equals the single process's up to the order of
    /// that sum, while a different seed gives a different model; only rank 0 prints and writes.
    @Test func sftIsDataParallelOverRanks() throws {
        let directory = try temporaryDirectory("bgpo-sft-ranks")
        defer { try? FileManager.default.removeItem(at: directory) }
        func sft(_ name: String, ranks: Int?, seed: Int = 0) throws -> (output: String, weights: [String: [Float]]) {
            let out = directory.appendingPathComponent(name)
            let result = try runBGPO(["sft", "--task", "countdown", "--out", out.path, "--preset", "tiny", "--max-seq", "64",
                                      "--steps", "4", "--batch-size", "5", "--micro-batch-size", "2", "--learning-rate", "0.01",
                                      "--warmup-steps", "0", "--log-every", "1", "--eval-limit", "2", "--generation-length", "32",
                                      "--block-length", "16", "--diffusion-steps", "8", "--seed", "\(seed)", "--threads", "1"],
                                     ranks: ranks, environment: rlRunEnvironment)
            #expect(result.status == 0, "\(result.stderr)")
            return (result.stdout, try safetensorsTensors(out.appendingPathComponent("model.safetensors")))
        }
        let one = try sft("one", ranks: nil), two = try sft("two", ranks: 2), other = try sft("other", ranks: nil, seed: 1)
        #expect(one.output.contains("1 rank(s)") && two.output.contains("2 rank(s)"))
        #expect(two.output.components(separatedBy: "eval  step").count == 2, "one evaluation, printed once")
        #expect(two.output.components(separatedBy: "step     4/4").count == 2, "\(two.output)")
        /// The loss printed for each step.
        func losses(_ output: String) -> [Double] {
            output.split(separator: "\n").compactMap { line in
                guard line.hasPrefix("step "), let range = line.range(of: "loss ") else { return nil }
                return Double(line[range.upperBound...].prefix { !$0.isWhitespace })
            }
        }
        #expect(losses(one.output).count == 4)
        for (a, b) in zip(losses(one.output), losses(two.output)) {
            #expect(abs(a - b) <= 1e-4 * abs(a), "loss \(a) vs \(b)")
        }
        #expect(try largestDifference(one.weights, two.weights) <= 1e-5)
        #expect(try largestDifference(one.weights, other.weights) > 1e-3)
    }

    @Test func badTasksLengthsAndModelsMapToTheirExitCodes() throws {
        let directory = try temporaryDirectory("bgpo-eval")
        defer { try? FileManager.default.removeItem(at: directory) }
        let unknown = try runBGPO(["sft", "--task", "chess", "--out", directory.path, "--threads", "1"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("chess"))
        let missing = try runBGPO(["eval", "--model", directory.appendingPathComponent("none").path, "--task", "countdown"])
        #expect(missing.status == 74)
        #expect(missing.stderr.contains("model.json"))
        let blocks = try runBGPO(["sft", "--task", "countdown", "--out", directory.path, "--preset", "tiny",
                                  "--generation-length", "30", "--block-length", "16", "--threads", "1"])
        #expect(blocks.status == 64)
        #expect(blocks.stderr.contains("30") && blocks.stderr.contains("16"))
        let long = try runBGPO(["sft", "--task", "countdown", "--out", directory.path, "--preset", "tiny", "--steps", "1",
                                "--batch-size", "1", "--generation-length", "8", "--block-length", "8", "--threads", "1"])
        #expect(long.status == 65)
        #expect(long.stderr.contains("does not fit 8 positions"))
    }
}
