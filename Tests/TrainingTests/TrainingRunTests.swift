import Base
import Checkpoint
import Cluster
import DLLM
import Foundation
import Records
import Testing
import Training

/// A run of the digit task in a fresh temporary directory.
private func digitRun(_ directory: URL, overrides: [String] = [], resume: ResumeChoice = .auto,
                      allowConfigChange: Bool = false, stopAtOnce: Bool = false,
                      baseSeed: UInt64? = nil) throws -> (RunOutcome, [String]) {
    let config = try tinyRunConfig(overrides: ["train.max_steps=3", "checkpoint.save_steps=2", "train.eval_steps=2",
                                               "run.output_dir=\(directory.path)"] + overrides)
    var lines: [String] = []
    let limit = TimeLimit(deadline: stopAtOnce ? Date() : nil, source: .option)
    let run = TrainingRun(config: config, task: DigitTask(), tokenizer: CharTokenizer(),
                          communicator: SingleProcessCommunicator(), resume: resume,
                          allowConfigChange: allowConfigChange, timeLimit: limit,
                          stopSignal: { nil }) { lines.append($0) }
    let outcome = try run.run {
        guard let baseSeed else { return try tinyModel(config) }
        return Model(config: try config.model.modelConfig(tokenizer: CharTokenizer()), seed: baseSeed)
    }
    return (outcome, lines)
}

/// LoRA adapters of rank 2 over a frozen bfloat16 base.
private let loraOverrides = ["model.lora_rank=2", "model.lora_alpha=4", "model.dtype=bf16"]

private func scratch(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rl-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

private func file(_ directory: URL, _ path: String) throws -> Data {
    try Data(contentsOf: directory.appendingPathComponent(path))
}

/// The metrics lines without the keys that measure time or memory.
private func deterministicMetrics(_ directory: URL) throws -> [MetricsRecord] {
    try MetricsLog.read(directory.appendingPathComponent("metrics.jsonl")).map { record in
        var record = record
        for entry in record.entries where entry.key.hasPrefix("timing_s/")
            || ["step_time", "tokens_per_s", "max_rss_mb"].contains(entry.key) {
            record[entry.key] = nil
        }
        return record
    }
}

/// Full fine-tuning, and LoRA adapters over a bfloat16 base.
@Test(arguments: [[], loraOverrides])
func aStoppedAndResumedRunIsBitIdenticalToAnUninterruptedOne(overrides: [String]) throws {
    let whole = try scratch("whole"), parts = try scratch("parts")
    defer { try? FileManager.default.removeItem(at: whole); try? FileManager.default.removeItem(at: parts) }

    #expect(try digitRun(whole, overrides: overrides).0 == .completed(step: 3))
    let (stopped, stopLines) = try digitRun(parts, overrides: overrides, stopAtOnce: true)
    #expect(stopped == .stopped(step: 1))
    #expect(stopLines.contains { $0.contains("stopping at step 1 of 3") })
    let (resumed, resumeLines) = try digitRun(parts, overrides: overrides)
    #expect(resumed == .completed(step: 3))
    #expect(resumeLines.contains { $0.contains("resuming from") && $0.contains("step-000001") })

    for name in ["model.safetensors.zst", "optimizer.safetensors.zst"] {
        #expect(try file(whole, "checkpoints/step-000003/\(name)") == (try file(parts, "checkpoints/step-000003/\(name)")))
    }
    let (a, b) = (try deterministicMetrics(whole), try deterministicMetrics(parts))
    #expect(a.map(\.step) == [0, 1, 2, 3])
    #expect(a == b)
    #expect(a[2]["eval/accuracy"] != nil && a[3]["eval/accuracy"] != nil && a[1]["eval/accuracy"] == nil)
    #expect(a.dropFirst().contains { ($0["grad_norm"] ?? 0) > 0 }, "the steps have gradients: \(a.map { $0["grad_norm"] ?? -1 })")
    #expect(FileManager.default.fileExists(atPath: whole.appendingPathComponent("config.toml").path))

    // The checkpoint holds what trains: every weight, or the adapters (PEFT's names) and the base's digest.
    let state = try JSONSerialization.jsonObject(with: try file(whole, "checkpoints/step-000003/state.json")) as? [String: Any]
    let manifest = try CheckpointDirectory(url: whole.appendingPathComponent("checkpoints/step-000003")).summary().manifest
    let weightBytes = manifest[file: "model.safetensors.zst"]?.digest.uncompressedByteCount ?? 0
    let baseBytes = try tinyModel(try tinyRunConfig()).parameters.count * MemoryLayout<Float>.stride
    if overrides.isEmpty {
        #expect(state?["base_digest"] == nil)
        #expect(weightBytes > baseBytes)
    } else {
        #expect((state?["base_digest"] as? String)?.count == 64)
        #expect(resumeLines.contains { $0.contains("training LoRA adapters (rank 2") && $0.contains("frozen bf16 base") })
        #expect(weightBytes > 0 && weightBytes < baseBytes / 10, "\(weightBytes) bytes of adapters, base \(baseBytes)")
    }

    let (again, lines) = try digitRun(parts, overrides: overrides)
    #expect(again == .alreadyComplete(step: 3))
    #expect(lines.contains { $0.contains("already complete") })
}

@Test func resumeRefusesAConfigChangeThatAltersTraining() throws {
    let directory = try scratch("change")
    defer { try? FileManager.default.removeItem(at: directory) }
    #expect(try digitRun(directory, stopAtOnce: true).0 == .stopped(step: 1))
    #expect {
        try digitRun(directory, overrides: ["objective.mc_num=5"])
    } throws: { error in
        (error as? any ExitCodeProviding)?.exitCode == 64 && "\(error)".contains("objective.mc_num")
    }
    #expect(try digitRun(directory, overrides: ["objective.mc_num=5"], allowConfigChange: true).0 == .completed(step: 3))
}

@Test func resumingAdaptersOverAnotherBaseIsRefused() throws {
    let directory = try scratch("base")
    defer { try? FileManager.default.removeItem(at: directory) }
    #expect(try digitRun(directory, overrides: loraOverrides, stopAtOnce: true).0 == .stopped(step: 1))
    let checkpoint = try file(directory, "checkpoints/step-000001/model.safetensors.zst")
    #expect {
        try digitRun(directory, overrides: loraOverrides, baseSeed: 1234)
    } throws: { error in
        (error as? any ExitCodeProviding)?.exitCode == 64 && "\(error)".contains("adapters were trained over a base with sha256")
    }
    #expect(try file(directory, "checkpoints/step-000001/model.safetensors.zst") == checkpoint)
    #expect(try digitRun(directory, overrides: loraOverrides).0 == .completed(step: 3))
}

@Test func anExplicitCheckpointThatDoesNotVerifyIsAnError() throws {
    let directory = try scratch("corrupt")
    defer { try? FileManager.default.removeItem(at: directory) }
    #expect(try digitRun(directory, stopAtOnce: true).0 == .stopped(step: 1))
    let model = directory.appendingPathComponent("checkpoints/step-000001/model.safetensors.zst")
    var bytes = try Data(contentsOf: model)
    bytes[bytes.count / 2] ^= 0xFF
    try bytes.write(to: model)
    #expect {
        try digitRun(directory, resume: .path("step-000001"))
    } throws: { error in
        (error as? any ExitCodeProviding)?.exitCode == 74
    }
    // auto skips it, finds no other, and refuses to start afresh over it (which would lose it).
    #expect {
        try digitRun(directory)
    } throws: { error in
        (error as? any ExitCodeProviding)?.exitCode == 74
            && "\(error)".contains("1 checkpoint(s) and none verifies (step-000001: \(model.path)")
    }
    #expect(try Data(contentsOf: model) == bytes)
}
