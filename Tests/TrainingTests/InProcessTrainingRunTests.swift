import Cluster
import DLLM
import Foundation
import Records
import RunConfig
import Testing
import Training

/// A whole RL run (``TrainingRun`` with the supervised warm start of ``BaseModel``) at 1, 2, 3 and
/// 4 in-process ranks sharing one run directory per world size: rank 0 alone decides, logs and
/// writes (one metrics line per step, one set of checkpoints, one `config.toml`), every rank
/// ends with rank 0's weights, and the records and weights agree with the single rank's.
@Suite(.serialized) struct InProcessTrainingRunTests {
    /// What one rank of a run ends with.
    struct RankRun: Sendable {
        var outcome: RunOutcome
        var lines: [String]
        var weights: [Float]
    }

    /// 3 RL steps of 3 prompts (2 + 1 at 2 ranks, none on rank 3 of 4), a checkpoint each step,
    /// after a 2-step warm start of 3 examples per step.
    private func config(_ directory: URL, _ extra: [String] = []) throws -> RunConfig {
        try tinyRunConfig(overrides: ["optim.learning_rate=1e-3", "train.max_steps=3", "train.prompts_per_step=3",
                                      "checkpoint.save_steps=1", "sft.steps=2", "sft.batch_size=3", "sft.warmup_steps=1",
                                      "run.output_dir=\(directory.path)"] + extra)
    }

    /// Runs `config` on `size` ranks. A rank other than 0 starts from other weights (its warm
    /// start scaled by 2): the run must replace them with rank 0's.
    private func run(_ config: RunConfig, size: Int) throws -> [RankRun] {
        try InProcessRanks.run(size: size) { communicator in
            var lines: [String] = []
            let log: (String) -> Void = { lines.append("rank \(communicator.rank): \($0)") }
            let run = TrainingRun(config: config, task: FirstCharacterTask(), tokenizer: CharTokenizer(),
                                  communicator: communicator, resume: .never, allowConfigChange: false,
                                  timeLimit: TimeLimit(deadline: nil, source: .option), stopSignal: { nil }, log: log)
            var trained: Model?
            let outcome = try run.run {
                let base = try BaseModel.prepare(config: config, task: FirstCharacterTask(), tokenizer: CharTokenizer(),
                                                 communicator: communicator) { if communicator.isRoot { log($0) } }
                if !communicator.isRoot {
                    let weights = base.parameters
                    for i in 0..<weights.count { weights.pointer[i] *= 2 }
                }
                trained = base
                return base
            }
            return RankRun(outcome: outcome, lines: lines, weights: trained.map { InProcessRanks.elements($0.parameters) } ?? [])
        }
    }

    @Test func rankZeroAloneWritesAndEveryWorldSizeAgrees() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("rl-inprocess-run-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        var reference: (metrics: [MetricsRecord], weights: [Float])?
        for size in InProcessRanks.worldSizes {
            let directory = root.appendingPathComponent("ranks-\(size)")
            let ranks = try run(try config(directory), size: size)
            #expect(ranks.map(\.outcome) == Array(repeating: .completed(step: 3), count: size))
            for (rank, result) in ranks.enumerated().dropFirst() {
                #expect(result.lines.isEmpty, "\(size) ranks: rank \(rank) logged \(result.lines)")
                let weights = InProcessRanks.differingElements(result.weights, ranks[0].weights)
                #expect(weights == 0, "\(size) ranks: \(weights) of rank \(rank)'s weights differ from rank 0's")
            }
            let lines = ranks[0].lines
            for once in ["starting a fresh run", "resolved configuration", "sft step 2/2", "warm-started model kept in",
                         "accuracy before RL"] {
                #expect(lines.filter { $0.contains(once) }.count == 1, "\(size) ranks: \"\(once)\" in \(lines)")
            }

            // One line per step (0 is the evaluation before RL), one checkpoint per kept step.
            let metrics = try MetricsLog.read(directory.appendingPathComponent("metrics.jsonl"))
                .map(InProcessRanks.deterministic)
            #expect(metrics.map(\.step) == [0, 1, 2, 3], "\(size) ranks")
            let checkpoints = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("checkpoints").path)
            #expect(checkpoints.filter { $0.hasPrefix("step-") }.sorted() == ["step-000002", "step-000003"],
                    "\(size) ranks: \(checkpoints)")
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("config.toml").path))
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("base/model.json").path))

            guard let single = reference else {
                reference = (metrics, ranks[0].weights)
                #expect(metrics.dropFirst().allSatisfy { ($0["grad_norm"] ?? 0) > 0 }, "the steps have gradients")
                continue
            }
            expectSameRLMetrics(single.metrics, metrics, relative: 1e-5, label: "\(size) ranks")
            let difference = InProcessRanks.largestDifference(single.weights, ranks[0].weights)
            #expect(difference <= InProcessWorldSizeTests.weightTolerance,
                    "\(size) ranks: weights differ by \(difference) from 1 rank's")
        }
    }

    /// LoRA adapters over a frozen bfloat16 base, at 1 and 2 ranks: the same records, and every rank
    /// ends with rank 0's base (the adapters train, the base is only read).
    @Test func loraRunAgreesAtOneAndTwoRanks() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("rl-inprocess-lora-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        var single: [MetricsRecord]?
        for size in [1, 2] {
            let directory = root.appendingPathComponent("ranks-\(size)")
            let ranks = try run(try config(directory, ["model.lora_rank=2", "model.lora_alpha=4", "model.dtype=bf16",
                                                       "optim.learning_rate=1e-2"]), size: size)
            #expect(ranks.map(\.outcome) == Array(repeating: .completed(step: 3), count: size))
            #expect(ranks[0].lines.contains { $0.contains("training LoRA adapters (rank 2") })
            for (rank, result) in ranks.enumerated().dropFirst() {
                let weights = InProcessRanks.differingElements(result.weights, ranks[0].weights)
                #expect(weights == 0, "\(size) ranks: \(weights) of rank \(rank)'s base weights differ from rank 0's")
            }
            let metrics = try MetricsLog.read(directory.appendingPathComponent("metrics.jsonl")).map(InProcessRanks.deterministic)
            guard let reference = single else {
                single = metrics
                #expect(metrics.dropFirst().allSatisfy { ($0["grad_norm"] ?? 0) > 0 }, "the steps have gradients")
                continue
            }
            expectSameRLMetrics(reference, metrics, relative: 1e-5, label: "LoRA, \(size) ranks")
        }
    }
}
