import Foundation
import TestSupport
import Testing

/// `bgpo export peft`: a LoRA run's checkpoint becomes a PEFT adapter directory holding exactly the
/// checkpoint's adapters under PEFT's names, which a new run starts from (`model.lora_path`); a full
/// fine-tuning checkpoint is refused.
@Suite struct PEFTExportCLITests {
    @Test func aLoRACheckpointExportsItsAdapters() throws {
        let base = try warmStartedBaseModel()
        let run = try temporaryDirectory("bgpo-lora-run"), out = run.appendingPathComponent("adapter")
        defer { try? FileManager.default.removeItem(at: run) }
        let train = try runBGPO(tinyRLArguments(run, base: base, steps: 2, lora: true), environment: rlRunEnvironment)
        #expect(train.status == 0, "\(train.stderr)")

        let export = try runBGPO(["export", "peft", checkpointDirectory(run, step: 2).path, "--out", out.path])
        #expect(export.status == 0, "\(export.stderr)")
        let config = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: out.appendingPathComponent("adapter_config.json"))) as? [String: Any])
        #expect(config["peft_type"] as? String == "LORA" && config["r"] as? Int == 4 && config["lora_alpha"] as? Double == 8)
        #expect(config["base_model_name_or_path"] as? String == base.path)

        // The same tensors as the checkpoint's (bgpo checkpoint export writes them plain).
        let adapters = try safetensorsTensors(out.appendingPathComponent("adapter_model.safetensors"))
        let checkpoint = try exportedWeights(run, step: 2)
        #expect(adapters.keys.allSatisfy { $0.hasPrefix("base_model.model.model.transformer.blocks.") && $0.contains(".lora_") })
        #expect(adapters.count == 2 * 7 * 2, "A and B of 7 modules in 2 blocks: \(adapters.keys.sorted())")
        #expect(try largestDifference(adapters, checkpoint) == 0)
        #expect(adapters.filter { $0.key.contains("lora_B") }.values.contains { $0.contains { $0 != 0 } },
                "training moved B away from zero")

        // --merge: the base's weights with the adapters folded in, as a Hugging Face directory: the
        // adapted layers changed, every other tensor exactly the base's.
        let merged = run.appendingPathComponent("merged"), plainBase = run.appendingPathComponent("base-hf")
        let mergeExport = try runBGPO(["export", "peft", checkpointDirectory(run, step: 2).path, "--out", merged.path, "--merge"])
        #expect(mergeExport.status == 0, "\(mergeExport.stderr)")
        #expect(try runBGPO(["export", "hf", base.path, "--out", plainBase.path]).status == 0)
        #expect(FileManager.default.fileExists(atPath: merged.appendingPathComponent("config.json").path))
        let mergedWeights = try safetensorsTensors(merged.appendingPathComponent("model.safetensors"))
        let baseWeights = try safetensorsTensors(plainBase.appendingPathComponent("model.safetensors"))
        #expect(mergedWeights.keys.sorted() == baseWeights.keys.sorted())
        let changed = Set(mergedWeights.keys.filter { mergedWeights[$0] != baseWeights[$0] })
        let adaptedLayers = Set(adapters.keys.map { $0.replacingOccurrences(of: "base_model.model.", with: "")
            .replacingOccurrences(of: ".lora_A", with: "").replacingOccurrences(of: ".lora_B", with: "") })
        #expect(changed == adaptedLayers, "changed: \(changed.sorted()), adapted: \(adaptedLayers.sorted())")
        let refusedDType = try runBGPO(["export", "peft", checkpointDirectory(run, step: 2).path, "--out",
                                        run.appendingPathComponent("bf16").path, "--dtype", "bf16"])
        #expect(refusedDType.status == 64 && refusedDType.stderr.contains("--merge"), "\(refusedDType.stderr)")

        // A new run starts from the exported adapters (model.lora_path): its evaluation before RL is
        // the first run's after it (the same base, adapters, test problems and decoding).
        let next = run.appendingPathComponent("next")
        let restart = try runBGPO(tinyRLArguments(next, base: base, steps: 1, lora: true) + ["--set", "model.lora_path=\(out.path)"],
                                  environment: rlRunEnvironment)
        #expect(restart.status == 0, "\(restart.stderr)")
        #expect(restart.stdout.contains("training LoRA adapters from \(out.path)"), "\(restart.stdout)")
        let before = try #require(try deterministicMetrics(next).first), after = try #require(try deterministicMetrics(run).last)
        for key in ["eval/accuracy", "eval/reward"] {
            #expect(before[key] != nil && before[key] == after[key],
                    "\(key): \(String(describing: before[key])) after the restart, \(String(describing: after[key])) before it")
        }

        // An adapter of another rank is refused before anything is written.
        let other = run.appendingPathComponent("other")
        let refused = try runBGPO(tinyRLArguments(other, base: base, steps: 1, lora: true)
                                    + ["--set", "model.lora_path=\(out.path)", "--set", "model.lora_rank=8"],
                                  environment: rlRunEnvironment)
        #expect(refused.status == 64 && refused.stderr.contains("model.lora_rank"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: other.appendingPathComponent("checkpoints").path))
    }

    @Test func aFullFineTuningCheckpointIsRefusedAndNothingIsWritten() throws {
        let base = try warmStartedBaseModel()
        let run = try temporaryDirectory("bgpo-full-run"), out = run.appendingPathComponent("adapter")
        defer { try? FileManager.default.removeItem(at: run) }
        let train = try runBGPO(tinyRLArguments(run, base: base, steps: 1), environment: rlRunEnvironment)
        #expect(train.status == 0, "\(train.stderr)")
        let export = try runBGPO(["export", "peft", checkpointDirectory(run, step: 1).path, "--out", out.path])
        #expect(export.status == 64)
        #expect(export.stderr.contains("model.lora_rank = 0") && export.stderr.contains("bgpo export hf"), "\(export.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}
