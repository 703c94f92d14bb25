import Checkpoint
import Foundation
import TestSupport
import Testing

/// Damage to any checkpoint file is found by verify and load, and the error names the file.
@Suite struct CorruptionTests {
    static let files = ["model.safetensors.zst", "optimizer.safetensors.zst", "state.json", "MANIFEST.json"]

    /// A fresh run directory with the checkpoint of step 7.
    func makeCheckpoint() throws -> (URL, CheckpointStore, CheckpointDirectory) {
        let run = try temporaryDirectory()
        let store = CheckpointStore(runDirectory: run)
        let checkpoint = try TestModel().save(store, step: 7).checkpoint
        return (run, store, checkpoint)
    }

    /// Expects verify, load and summary (for the cheap checks) to throw an error about `file`.
    func expectDetected(_ store: CheckpointStore, _ checkpoint: CheckpointDirectory, file: String,
                        sourceLocation: SourceLocation = #_sourceLocation) {
        let path = checkpoint.path(of: file)
        let verify = checkpointError({ _ = try checkpoint.verify() }, sourceLocation: sourceLocation)
        #expect(verify?.path == path, "verify: \(verify?.description ?? "")", sourceLocation: sourceLocation)
        #expect(verify?.exitCode == 74, sourceLocation: sourceLocation)
        let load = checkpointError({ try TestModel(seed: 5).load(store, checkpoint.name) }, sourceLocation: sourceLocation)
        #expect(load?.path == path, "load: \(load?.description ?? "")", sourceLocation: sourceLocation)
        #expect(load?.exitCode == 74, sourceLocation: sourceLocation)
    }

    @Test(arguments: files)
    func flippedByteIsDetected(file: String) throws {
        let (run, store, checkpoint) = try makeCheckpoint()
        defer { try? FileManager.default.removeItem(at: run) }
        let path = checkpoint.path(of: file)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        try flipByte(at: size / 2, in: path)
        expectDetected(store, checkpoint, file: file)
        let error = checkpointError { _ = try checkpoint.verify() }
        if file == "MANIFEST.json" {
            #expect(error?.problem.hasPrefix("damaged: its content has SHA-256") == true, "\(error?.description ?? "")")
        } else {
            #expect(error?.problem.contains("the file changed after it was written") == true, "\(error?.description ?? "")")
        }
    }

    @Test(arguments: files)
    func truncatedFileIsDetected(file: String) throws {
        let (run, store, checkpoint) = try makeCheckpoint()
        defer { try? FileManager.default.removeItem(at: run) }
        let path = checkpoint.path(of: file)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        try truncate(path, to: size - 3)
        expectDetected(store, checkpoint, file: file)
        if file != "MANIFEST.json" {
            let error = checkpointError { _ = try checkpoint.summary() }
            #expect(error?.problem == "size is \(size - 3) bytes, the manifest says \(size) (truncated)")
        }
    }

    @Test func everyByteOfTheManifestIsCovered() throws {
        let (run, _, checkpoint) = try makeCheckpoint()
        defer { try? FileManager.default.removeItem(at: run) }
        let path = checkpoint.path(of: "MANIFEST.json")
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        for offset in 0..<original.count {
            var damaged = original
            damaged[offset] ^= 0x01
            try damaged.write(to: URL(fileURLWithPath: path))
            let error = checkpointError { _ = try checkpoint.readManifest() }
            #expect(error?.path == path, "offset \(offset): \(error?.description ?? "")")
        }
    }

    @Test func missingManifestMeansIncomplete() throws {
        let (run, store, checkpoint) = try makeCheckpoint()
        defer { try? FileManager.default.removeItem(at: run) }
        try FileManager.default.removeItem(atPath: checkpoint.path(of: "MANIFEST.json"))
        let error = checkpointError { _ = try store.verify(checkpoint.name) }
        #expect(error?.kind == .incomplete)
        #expect(error?.description == "\(checkpoint.path(of: "MANIFEST.json")): missing: the checkpoint is incomplete (its writer did not finish)")
        #expect(error?.exitCode == 74)
    }

    @Test func missingDataFileIsNamed() throws {
        let (run, _, checkpoint) = try makeCheckpoint()
        defer { try? FileManager.default.removeItem(at: run) }
        try FileManager.default.removeItem(atPath: checkpoint.path(of: "optimizer.safetensors.zst"))
        let error = checkpointError { _ = try checkpoint.verify() }
        #expect(error?.description == "\(checkpoint.path(of: "optimizer.safetensors.zst")): missing (the manifest lists it)")
    }

    @Test func renamedCheckpointIsCaught() throws {
        let (run, store, checkpoint) = try makeCheckpoint()
        defer { try? FileManager.default.removeItem(at: run) }
        try FileManager.default.moveItem(at: checkpoint.url, to: store.directory.appendingPathComponent("step-000008"))
        let error = checkpointError { _ = try store.verify("step-000008") }
        #expect(error?.problem == "says step 7, but the directory is step-000008")
        // Any other name is fine: the manifest's step counts.
        try FileManager.default.moveItem(at: store.directory.appendingPathComponent("step-000008"), to: run.appendingPathComponent("best"))
        #expect(try CheckpointDirectory(url: run.appendingPathComponent("best")).verify().manifest.step == 7)
    }

    @Test func namedCheckpointThatDoesNotExistIsAnError() throws {
        let run = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: run) }
        let error = checkpointError { _ = try CheckpointStore(runDirectory: run).checkpoint(named: "step-000001") }
        #expect(error?.kind == .notFound)
        #expect(error?.exitCode == 74)
    }
}
