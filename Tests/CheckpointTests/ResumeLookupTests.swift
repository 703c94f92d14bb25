import Checkpoint
import Foundation
import TestSupport
import Testing

@Suite struct ResumeLookupTests {
    @Test func newestValidCheckpointSkipsDamagedOnes() throws {
        let run = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: run) }
        let store = CheckpointStore(runDirectory: run)
        let model = TestModel()
        for step in [10, 20, 30] { try model.save(store, step: step) }
        try flipByte(at: 50, in: store.directory.appendingPathComponent("step-000030/optimizer.safetensors.zst").path)
        try FileManager.default.removeItem(at: store.directory.appendingPathComponent("step-000020/MANIFEST.json"))
        let lookup = try store.latestValid()
        #expect(lookup.found?.checkpoint.name == "step-000010")
        #expect(lookup.found?.isVerified == true)
        #expect(lookup.skipped.map(\.name) == ["step-000030", "step-000020"])
        #expect(lookup.skipped[0].reason.contains("step-000030/optimizer.safetensors.zst: SHA-256 is"))
        #expect(lookup.skipped[1].reason.contains("MANIFEST.json: missing: the checkpoint is incomplete"))
        #expect(lookup.notes.isEmpty)
        // Naming the damaged checkpoint explicitly is an error, not a fallback.
        #expect(checkpointError { _ = try store.verify("step-000030") }?.exitCode == 74)
    }

    @Test(arguments: ["../..", "/etc", "step-000001/../../..", "latest", ""])
    func aLatestNamingNoCheckpointOfTheRunIsRefused(content: String) throws {
        let run = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: run) }
        let store = CheckpointStore(runDirectory: run)
        try TestModel().save(store, step: 1)
        try Data((content + "\n").utf8).write(to: store.directory.appendingPathComponent(CheckpointStore.latestFile))
        let error = checkpointError { _ = try store.latestName() }
        #expect(error?.kind == .invalidContent)
        #expect(error?.problem.contains("which is not a checkpoint of this run") == true)
        #expect(checkpointError { _ = try store.checkpoint(named: content) }?.kind == .notFound)
        // --resume auto does not follow it either: it scans, and says so.
        let lookup = try store.latestValid()
        #expect(lookup.found?.checkpoint.name == "step-000001")
        #expect(lookup.notes.contains { $0.contains("not a checkpoint of this run") })
    }

    @Test func temporaryDirectoriesAreNeverCandidates() throws {
        let run = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: run) }
        let store = CheckpointStore(runDirectory: run)
        try TestModel().save(store, step: 1)
        // A complete-looking checkpoint under a temporary name (a writer that died before its rename).
        try FileManager.default.copyItem(at: store.directory.appendingPathComponent("step-000001"),
                                         to: store.directory.appendingPathComponent(".tmp-step-000002-1@elsewhere"))
        try FileManager.default.createDirectory(at: store.directory.appendingPathComponent("step-000003.partial"),
                                                withIntermediateDirectories: false)
        #expect(try store.list().map(\.name) == ["step-000001"])
        let lookup = try store.latestValid()
        #expect(lookup.found?.checkpoint.name == "step-000001")
        #expect(lookup.skipped.isEmpty)
    }

    @Test func latestNamingAMissingDirectoryFallsBackToScanning() throws {
        let run = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: run) }
        let store = CheckpointStore(runDirectory: run)
        let model = TestModel()
        try model.save(store, step: 1)
        try model.save(store, step: 2)
        try FileManager.default.removeItem(at: store.directory.appendingPathComponent("step-000002"))
        var lookup = try store.latestValid()
        #expect(lookup.found?.checkpoint.name == "step-000001")
        #expect(lookup.notes == ["LATEST names step-000002, which does not exist; chose by scanning the checkpoint directories"])

        // A LATEST that lags behind a newer complete checkpoint (the writer died between the two renames).
        try model.save(store, step: 3)
        try "step-000001\n".write(to: store.directory.appendingPathComponent("LATEST"), atomically: false, encoding: .utf8)
        lookup = try store.latestValid()
        #expect(lookup.found?.checkpoint.name == "step-000003")
        #expect(lookup.notes == ["LATEST names step-000001, but step-000003 is newer and verifies (its writer stopped before updating LATEST)"])

        try FileManager.default.removeItem(at: store.directory.appendingPathComponent("LATEST"))
        lookup = try store.latestValid()
        #expect(lookup.found?.checkpoint.name == "step-000003")
        #expect(lookup.notes == ["no LATEST file; chose by scanning the checkpoint directories"])
    }

    @Test func noCheckpointsMeansNothingFound() throws {
        let run = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: run) }
        let lookup = try CheckpointStore(runDirectory: run).latestValid()
        #expect(lookup.found == nil && lookup.skipped.isEmpty && lookup.notes.isEmpty)
    }

    @Test func staleTemporariesOfDeadWritersAreRemoved() throws {
        let run = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: run) }
        let store = CheckpointStore(runDirectory: run)
        try FileManager.default.createDirectory(at: store.directory, withIntermediateDirectories: true)
        var buffer = [CChar](repeating: 0, count: 256)
        #expect(gethostname(&buffer, 255) == 0)
        let host = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // A pid that has just exited, pid 1 (alive), and entries from another host, old and new.
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let names = [".tmp-step-000005-\(finished.processIdentifier)@\(host)", ".tmp-step-000006-1@\(host)",
                     ".tmp-step-000007-123@other-node", ".tmp-step-000008-123@other-node", ".tmp-LATEST-\(finished.processIdentifier)@\(host)"]
        for name in names.prefix(4) {
            try FileManager.default.createDirectory(at: store.directory.appendingPathComponent(name), withIntermediateDirectories: false)
        }
        _ = FileManager.default.createFile(atPath: store.directory.appendingPathComponent(names[4]).path, contents: Data("x".utf8))
        let old = Date(timeIntervalSinceNow: -2 * CheckpointStore.foreignTemporaryLifetime)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: store.directory.appendingPathComponent(names[2]).path)
        let result = try TestModel().save(store, step: 9)
        #expect(result.removedTemporaries.sorted() == [names[4], names[0], names[2]].sorted())
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.directory.path).sorted()
                == [names[1], names[3], "LATEST", "step-000009"].sorted())
    }
}
