import Checkpoint
import Foundation
import TestSupport
import Testing

/// Writes a small checkpoint of `step` into `run` with the library and returns its directory.
private func writeCheckpoint(in run: URL, step: Int) throws -> URL {
    let shapes: [(String, [Int])] = [("model.embed.weight", [12, 4]), ("model.norm.weight", [4])]
    var values = (0..<52).map { Float($0) * 0.01 - 0.2 }
    return try values.withUnsafeMutableBufferPointer { buffer in
        func views(_ prefix: String) -> [TensorView] {
            var offset = 0
            return shapes.map { name, shape in
                let count = shape.reduce(1, *)
                defer { offset += count }
                return TensorView(name: prefix + name, shape: shape, floats: UnsafeBufferPointer(rebasing: buffer[offset..<(offset + count)]))
            }
        }
        let state = Data(#"{"step": 12, "seed": 7, "world_size": 2, "config": {"learning_rate": 1e-6}, "config_hash": "abc"}"#.utf8)
        return try CheckpointStore(runDirectory: run).save(step: step, model: views(""),
                                                           optimizer: views("exp_avg.") + views("exp_avg_sq."), state: state).checkpoint.url
    }
}

@Suite struct CheckpointCLITests {
    @Test func verifyInspectAndExport() throws {
        let run = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: run) }
        let checkpoint = try writeCheckpoint(in: run, step: 12)

        let verify = try runBGPO(["checkpoint", "verify", checkpoint.path])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains("OK (step 12)"))

        let inspect = try runBGPO(["checkpoint", "inspect", checkpoint.path])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.stdout.contains("step        12 (format version 1)"))
        #expect(inspect.stdout.contains("config={1 keys} config_hash=\"abc\" seed=7 step=12 world_size=2"))
        #expect(inspect.stdout.contains("model: 2 tensors, 52 elements"))
        #expect(inspect.stdout.contains("model.embed.weight F32   [12, 4]          48"))
        #expect(inspect.stdout.contains("optimizer: 4 tensors"))
        #expect(inspect.stdout.contains("model.safetensors.zst"))

        // A run directory stands for the checkpoint its LATEST names.
        let latest = try runBGPO(["checkpoint", "verify", run.path])
        #expect(latest.status == 0, "\(latest.stderr)")
        #expect(latest.stderr == "checkpoint: \(checkpoint.standardizedFileURL.path) (named by LATEST)\n")

        let out = run.appendingPathComponent("model.safetensors")
        let export = try runBGPO(["checkpoint", "export", checkpoint.path, "--out", out.path])
        #expect(export.status == 0, "\(export.stderr)")
        let file = try SafetensorsFile(url: out)
        #expect(file.header.entries.map(\.descriptor.name) == ["model.embed.weight", "model.norm.weight"])
        var norm = [Float](repeating: 0, count: 4)
        try norm.withUnsafeMutableBufferPointer { try file.read(TensorDestination(name: "model.norm.weight", shape: [4], floats: $0)) }
        #expect(norm == (48..<52).map { Float($0) * 0.01 - 0.2 })
    }

    @Test func damageExitsWith74NamingTheFile() throws {
        let run = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: run) }
        let checkpoint = try writeCheckpoint(in: run, step: 3)
        let optimizer = checkpoint.appendingPathComponent("optimizer.safetensors.zst")
        var data = try Data(contentsOf: optimizer)
        data[data.count / 2] ^= 0x01
        try data.write(to: optimizer)
        let verify = try runBGPO(["checkpoint", "verify", checkpoint.path])
        #expect(verify.status == 74)
        #expect(verify.stderr.contains("error: \(optimizer.path): SHA-256 is"), "\(verify.stderr)")

        // Export only needs the model, which is intact; a damaged model file fails the export.
        let model = checkpoint.appendingPathComponent("model.safetensors.zst")
        data = try Data(contentsOf: model)
        try data.prefix(data.count - 1).write(to: model)
        let out = run.appendingPathComponent("out.safetensors")
        let export = try runBGPO(["checkpoint", "export", checkpoint.path, "--out", out.path])
        #expect(export.status == 74)
        #expect(export.stderr.contains("\(model.path): size is"), "\(export.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: run.path).sorted() == ["checkpoints"])

        try FileManager.default.removeItem(at: checkpoint.appendingPathComponent("MANIFEST.json"))
        let incomplete = try runBGPO(["checkpoint", "inspect", checkpoint.path])
        #expect(incomplete.status == 74)
        #expect(incomplete.stderr.contains("MANIFEST.json: missing: the checkpoint is incomplete"))

        let missing = try runBGPO(["checkpoint", "verify", run.appendingPathComponent("nope").path])
        #expect(missing.status == 74)
        #expect(missing.stderr.contains("no such checkpoint directory"))
    }
}
