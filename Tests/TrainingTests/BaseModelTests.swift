import Cluster
import DLLM
import Foundation
import ModelFiles
import RunConfig
import Tasks
import Testing
import Training

@Test func theWarmStartIsKeptAndReusedOnlyForTheSameSettings() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rl-base-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    func prepare(_ overrides: [String]) throws -> (Model, [String]) {
        let config = try tinyRunConfig(overrides: ["run.output_dir=\(directory.path)", "sft.steps=2", "sft.batch_size=3",
                                                   "sft.warmup_steps=1"] + overrides)
        var lines: [String] = []
        let model = try BaseModel.prepare(config: config, task: DigitTask(), tokenizer: CharTokenizer(),
                                          communicator: SingleProcessCommunicator()) { lines.append($0) }
        return (model, lines)
    }
    let (first, firstLines) = try prepare([])
    #expect(firstLines.contains { $0.hasPrefix("sft step 2/2") })
    let initial = try tinyModel(try tinyRunConfig())
    #expect(Array(first.parameters.buffer) != Array(initial.parameters.buffer), "the warm start trained the model")

    let (again, againLines) = try prepare(["optim.learning_rate=0.5"])
    #expect(againLines.contains { $0.contains("the warm start kept in") })
    #expect(!againLines.contains { $0.hasPrefix("sft step") })
    #expect(Array(again.parameters.buffer) == Array(first.parameters.buffer))

    let (_, redoLines) = try prepare(["sft.learning_rate=0.01"])
    #expect(redoLines.contains { $0.contains("made with other settings") })
    #expect(redoLines.contains { $0.hasPrefix("sft step 2/2") })
}

/// A warm start kept by the version before `sft` had cadence keys carries that version's recipe
/// (this text, as it wrote it for this configuration): it is reused, not made again, and changing
/// only the cadence keys keeps it.
@Test func aWarmStartKeptByTheEarlierVersionIsReused() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rl-base-old-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let overrides = ["run.output_dir=\(directory.path)", "model.preset=tiny", "model.d_model=0", "model.mlp_hidden=0",
                     "model.max_seq=64", "sft.steps=3", "sft.batch_size=4", "train.micro_batch_size=3",
                     "rollout.max_completion_length=32", "rollout.block_length=8", "rollout.diffusion_steps=4"]
    let config = try RunConfig.resolve(preset: "countdown-tiny", overrides: overrides)
    let recipe = "ModelSettings(preset: \"tiny\", path: \"\", tokenizer: \"char-v1\", vocabSize: 0, dModel: 0, nLayers: 0, "
        + "nHeads: 0, nKVHeads: 0, mlpHidden: 0, maxSeq: 64) SFTSettings(steps: 3, batchSize: 4, learningRate: 0.001, "
        + "warmupSteps: 100, lrSchedulerType: RunConfig.LRSchedule.cosine) task countdown train_size 0 seed 42 "
        + "completion 32 micro-batch 3 adamw 0.01 0.9 0.999 1e-08 clip 1.0"
    let kept = try BaseModel.initialModel(config: config, tokenizer: CharTokenizer())
    kept.parameters.buffer[0] += 1
    try ModelStore.save(kept, tokenizer: CharTokenizer(),
                        to: directory.appendingPathComponent(BaseModel.directoryName),
                        metadata: ["task": "countdown", "sft_steps": "3", "seed": "42", "warm_start": recipe])
    for cadence in [[], ["sft.logging_steps=1", "sft.eval_steps=2"]] {
        var lines: [String] = []
        let model = try BaseModel.prepare(config: try RunConfig.resolve(preset: "countdown-tiny", overrides: overrides + cadence),
                                          task: CountdownTask(), tokenizer: CharTokenizer(),
                                          communicator: SingleProcessCommunicator()) { lines.append($0) }
        #expect(lines.contains { $0.contains("the warm start kept in") }, "\(lines)")
        let reused = Array(model.parameters.buffer) == Array(kept.parameters.buffer)
        #expect(reused, "the kept weights")
    }
}
