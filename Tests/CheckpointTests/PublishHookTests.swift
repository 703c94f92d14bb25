import Checkpoint
import Foundation
import TestSupport
import Testing

/// `CheckpointStore.save(..., beforePublishing:)`: the hook runs after the files are complete and
/// before the checkpoint is visible, and a failing hook leaves no checkpoint behind.
@Suite struct PublishHookTests {
    private struct HookFailure: Error {}

    @Test func theHookRunsWhenTheFilesAreWrittenButNotYetPublished() throws {
        let run = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: run) }
        let store = CheckpointStore(runDirectory: run)
        let model = TestModel()
        try model.save(store, step: 1)
        var seen: (checkpoints: [String], latest: String?, temporaryFiles: [String])?
        _ = try store.save(step: 2, model: model.modelViews, optimizer: model.optimizerViews, state: Data("{}".utf8)) {
            let names = try FileManager.default.contentsOfDirectory(atPath: store.directory.path)
            let temporary = try #require(names.first { $0.hasPrefix(".tmp-step-000002") })
            seen = (try store.list().map(\.name), try store.latestName(),
                    try FileManager.default.contentsOfDirectory(atPath: store.directory.appendingPathComponent(temporary).path).sorted())
        }
        #expect(seen?.checkpoints == ["step-000001"])
        #expect(seen?.latest == "step-000001")
        #expect(seen?.temporaryFiles == ["MANIFEST.json", "model.safetensors.zst", "optimizer.safetensors.zst", "state.json"])
        #expect(try store.latestName() == "step-000002")
    }

    @Test func aFailingHookLeavesTheOldStateAndNoTemporary() throws {
        let run = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: run) }
        let store = CheckpointStore(runDirectory: run)
        let model = TestModel()
        try model.save(store, step: 1)
        #expect(throws: HookFailure.self) {
            try store.save(step: 2, model: model.modelViews, optimizer: model.optimizerViews, state: Data("{}".utf8)) {
                throw HookFailure()
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.directory.path).sorted() == ["LATEST", "step-000001"])
        #expect(try store.latestName() == "step-000001")
    }
}
