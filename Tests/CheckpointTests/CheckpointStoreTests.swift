import Checkpoint
import Foundation
import TestSupport
import Testing

@Suite struct CheckpointStoreTests {
    @Test func saveAndLoadAreBitExact() throws {
        let run = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: run) }
        let store = CheckpointStore(runDirectory: run, compression: CompressionOptions(level: 3, workers: 2))
        let model = TestModel()
        let result = try model.save(store, step: 120)
        let dir = run.appendingPathComponent("checkpoints/step-000120")
        #expect(result.checkpoint.url == dir.standardizedFileURL)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
                == ["MANIFEST.json", "model.safetensors.zst", "optimizer.safetensors.zst", "state.json"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.directory.path).sorted() == ["LATEST", "step-000120"])
        #expect(try String(contentsOf: store.directory.appendingPathComponent("LATEST"), encoding: .utf8) == "step-000120\n")
        #expect(result.manifest.step == 120)
        #expect(result.manifest.files.map(\.name) == ["model.safetensors.zst", "optimizer.safetensors.zst", "state.json"])

        let copy = TestModel(seed: 2)
        #expect(!copy.isBitIdentical(to: model))
        let state = try copy.load(store, "step-000120")
        #expect(copy.isBitIdentical(to: model))
        #expect(String(decoding: state, as: UTF8.self) == "{\"step\": 120, \"seed\": 7}")

        let summary = try store.verify("step-000120")
        #expect(summary.isVerified)
        #expect(summary.model.entries.map(\.descriptor.name) == model.layout.map(\.name))
        #expect(summary.model.metadata == ["format": "pt"])
        #expect(summary.optimizer.entries.count == 2 * model.layout.count)
        #expect(summary.manifest == result.manifest)
        let quick = try result.checkpoint.summary()
        #expect(!quick.isVerified)
        #expect(quick.model == summary.model && quick.optimizer == summary.optimizer && quick.state == summary.state)
    }

    @Test func theManifestRecordsTheFiles() throws {
        let run = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: run) }
        let store = CheckpointStore(runDirectory: run)
        let result = try TestModel().save(store, step: 5)
        let text = try String(contentsOf: result.checkpoint.url.appendingPathComponent("MANIFEST.json"), encoding: .utf8)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(json["format"] as? String == "bgpo-checkpoint")
        #expect(json["format_version"] as? Int == 1)
        #expect(json["step"] as? Int == 5)
        let files = try #require(json["files"] as? [[String: Any]])
        for file in files {
            let name = try #require(file["name"] as? String)
            let path = result.checkpoint.path(of: name)
            #expect(file["size"] as? Int == (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int))
            let sum = try runTool("sha256sum", [path]).split(separator: " ").first.map(String.init)
            #expect(file["sha256"] as? String == sum)
        }
        #expect(files[0]["uncompressed_size"] as? Int == (try result.checkpoint.summary()).model.fileByteCount)
    }

    @Test func loadChecksTheModelLayout() throws {
        let run = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: run) }
        let store = CheckpointStore(runDirectory: run)
        let model = TestModel()
        try model.save(store, step: 1)
        // A model with one tensor fewer: the checkpoint holds a tensor the model does not have.
        let smaller = TestModel(layout: Array(TestModel.defaultLayout.dropLast()))
        let extra = checkpointError { try smaller.load(store, "step-000001") }
        #expect(extra?.path.hasSuffix("step-000001/model.safetensors.zst") == true)
        #expect(extra?.problem == "holds tensor 'model.transformer.ff_out.weight', which the model does not have")
        // A model with a reshaped tensor.
        var layout = TestModel.defaultLayout
        layout[2].shape = [8, 32]
        let reshaped = checkpointError { try TestModel(layout: layout).load(store, "step-000001") }
        #expect(reshaped?.problem == "tensor 'model.transformer.blocks.0.q_proj.weight' has shape [16, 16], expected [8, 32]")
        #expect(reshaped?.exitCode == 74)
        // Loading only the model leaves the optimizer file unread.
        let copy = TestModel(seed: 3)
        _ = try store.load("step-000001", model: copy.destinations(copy.weights), optimizer: nil)
        #expect(memcmp(copy.weights.baseAddress!, model.weights.baseAddress!, model.weights.count * 4) == 0)
    }

    @Test func saveRejectsInconsistentInput() throws {
        let run = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: run) }
        let store = CheckpointStore(runDirectory: run)
        let model = TestModel()
        let missingMoment = checkpointError {
            _ = try store.save(step: 1, model: model.modelViews, optimizer: Array(model.optimizerViews.dropLast()), state: Data("{}".utf8))
        }
        #expect(missingMoment?.kind == .invalidArgument)
        #expect(missingMoment?.problem == "optimizer tensors: tensor 'exp_avg_sq.model.transformer.ff_out.weight' is missing")
        #expect(missingMoment?.exitCode == 70)
        let badState = checkpointError {
            _ = try store.save(step: 1, model: model.modelViews, optimizer: model.optimizerViews, state: Data("step=1".utf8))
        }
        #expect(badState?.problem == "state.json: not valid JSON")
        let badPolicy = checkpointError {
            _ = try CheckpointStore(runDirectory: run, retention: RetentionPolicy(saveTotalLimit: 0)).save(
                step: 1, model: model.modelViews, optimizer: model.optimizerViews, state: Data("{}".utf8))
        }
        #expect(badPolicy?.problem == "saveTotalLimit must be at least 1, got 0")
        // Nothing was written.
        #expect(!FileManager.default.fileExists(atPath: store.directory.path))
    }

    @Test func savingAStepAgainReplacesIt() throws {
        let run = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: run) }
        let store = CheckpointStore(runDirectory: run)
        try TestModel(seed: 1).save(store, step: 10)
        let second = TestModel(seed: 2)
        try second.save(store, step: 10)
        let copy = TestModel(seed: 3)
        try copy.load(store, "step-000010")
        #expect(copy.isBitIdentical(to: second))
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.directory.path).sorted() == ["LATEST", "step-000010"])
    }

    @Test func exportWritesThePlainModelAtomically() throws {
        let run = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: run) }
        let store = CheckpointStore(runDirectory: run)
        let model = TestModel()
        let checkpoint = try model.save(store, step: 3).checkpoint
        let out = run.appendingPathComponent("export/model.safetensors")
        try FileManager.default.createDirectory(at: out.deletingLastPathComponent(), withIntermediateDirectories: true)
        let digest = try checkpoint.exportModel(to: out)
        let decompressed = try runTool("zstd", ["-d", "-c", "-q", checkpoint.path(of: "model.safetensors.zst")], raw: true)
        #expect(try Data(contentsOf: out) == decompressed)
        #expect(digest.byteCount == decompressed.count)
        let plain = try SafetensorsFile(url: out)
        #expect(plain.header.metadata == ["format": "pt"])

        // A corrupt model file: the export fails and leaves nothing behind.
        let failed = run.appendingPathComponent("export/failed.safetensors")
        try flipByte(at: 100, in: checkpoint.path(of: "model.safetensors.zst"))
        let error = checkpointError { _ = try checkpoint.exportModel(to: failed) }
        #expect(error?.path == checkpoint.path(of: "model.safetensors.zst"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.deletingLastPathComponent().path) == ["model.safetensors"])
    }
}
