import Checkpoint
import Foundation
import TestSupport
import Testing

@Suite struct RetentionTests {
    @Test func policyKeepsNewestAndEveryMth() {
        let steps = Array(stride(from: 10, through: 100, by: 10))
        #expect(RetentionPolicy().stepsToRemove(from: steps, protecting: []) == [])
        #expect(RetentionPolicy(saveTotalLimit: 3).stepsToRemove(from: steps, protecting: []) == [10, 20, 30, 40, 50, 60, 70])
        #expect(RetentionPolicy(saveTotalLimit: 2, keepEvery: 40).stepsToRemove(from: steps, protecting: [])
                == [10, 20, 30, 50, 60, 70])
        #expect(RetentionPolicy(saveTotalLimit: 1).stepsToRemove(from: steps, protecting: [30]) == [10, 20, 40, 50, 60, 70, 80, 90])
        #expect(RetentionPolicy(saveTotalLimit: 5).stepsToRemove(from: [3, 1, 2], protecting: []) == [])
    }

    @Test func savesApplyThePolicy() throws {
        let run = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: run) }
        let store = CheckpointStore(runDirectory: run, retention: RetentionPolicy(saveTotalLimit: 2, keepEvery: 3))
        let model = TestModel()
        var removed: [String] = []
        for step in 1...7 { removed += try model.save(store, step: step).removed }
        #expect(try store.list().map(\.step) == [3, 6, 7])
        #expect(removed == ["step-000001", "step-000002", "step-000004", "step-000005"])
        #expect(try store.latestName() == "step-000007")
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.directory.path).sorted()
                == ["LATEST", "step-000003", "step-000006", "step-000007"])
    }

    @Test func theCheckpointLatestNamesIsNeverRemoved() throws {
        let run = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: run) }
        let model = TestModel()
        // Saving an older step (a run resumed from an earlier checkpoint) keeps the one just saved,
        // although newer steps exist.
        let store = CheckpointStore(runDirectory: run, retention: RetentionPolicy(saveTotalLimit: 1))
        try model.save(store, step: 20)
        try model.save(store, step: 10)
        #expect(try store.list().map(\.step) == [10, 20])
        #expect(try store.latestName() == "step-000010")
    }
}
