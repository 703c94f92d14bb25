import Checkpoint
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `kill -9` of the writing rank while it writes a checkpoint, and damaged checkpoints: `--resume
/// auto` continues from the newest checkpoint that verifies, never from a temporary directory,
/// and the finished run equals an uninterrupted one.
@Suite(.serialized) struct CrashSafetyTests {
    private let steps = 12
    /// The kill comes during the first checkpoint from this step on that the test sees being
    /// written (under load it may miss the short-lived temporary of one step).
    private let firstKilledStep = 3

    /// The newest checkpoint of `run` that verifies, checked file by file here (not by bgpo).
    private func newestCompleteStep(_ run: URL) throws -> Int? {
        try CheckpointStore(runDirectory: run).list().reversed().first { (try? $0.verify()) != nil }?.step
    }

    /// The step of a temporary checkpoint directory being written (`.tmp-step-NNNNNN-<pid>@<host>`).
    private func temporaryStep(_ name: String) -> Int? {
        let prefix = ".tmp-step-"
        guard name.hasPrefix(prefix) else { return nil }
        return Int(name.dropFirst(prefix.count).prefix { $0.isNumber })
    }

    /// The entries of `run`'s checkpoints directory.
    private func entries(_ run: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("checkpoints").path)) ?? []).sorted()
    }

    /// One rank: kills at six points. Two ranks: kills of rank 0 (the writer) at three points;
    /// mpirun then ends rank 1.
    @Test(arguments: [(1, [0, 0.25, 0.5, 0.75, 1, 2]), (2, [0, 0.5, 1])])
    func killedWhileCheckpointingResumesFromTheNewestCompleteCheckpoint(ranks: Int, fractions: [Double]) throws {
        let base = try warmStartedBaseModel()
        let launch = ranks > 1 ? ranks : nil
        let reference = try temporaryDirectory("bgpo-crash-reference")
        defer { try? FileManager.default.removeItem(at: reference) }
        let whole = try runBGPO(tinyRLArguments(reference, base: base, steps: steps, saveSteps: 1), ranks: launch,
                                environment: rlRunEnvironment)
        #expect(whole.status == 0, "\(whole.stderr)")
        let referenceFiles = try checkpointFiles(reference, step: steps)
        let referenceMetrics = try deterministicMetrics(reference)

        // The kill comes at `fraction` times the reference run's median checkpoint write after
        // the temporary directory of a checkpoint appears: inside the model file, the optimizer
        // file, the manifest, between rename and LATEST, or after the checkpoint. (The median,
        // because one write slowed by a loaded machine would move every kill past the write.)
        let writes = try metricsValues(reference, "timing_s/checkpoint").sorted()
        let writeSeconds = try #require(writes.isEmpty ? nil : writes[writes.count / 2])
        var outcomes: [String] = []
        for fraction in fractions {
            let delay = Int(fraction * writeSeconds * 1e6)
            let run = try temporaryDirectory("bgpo-crash")
            defer { try? FileManager.default.removeItem(at: run) }
            let arguments = tinyRLArguments(run, base: base, steps: steps, saveSteps: 1)
            let process = try BackgroundBGPO(arguments, ranks: launch, environment: rlRunEnvironment)
            var killedStep = 0
            let seen = waitUntil(seconds: 120, interval: 0.0001) {
                killedStep = entries(run).compactMap(temporaryStep).filter { $0 >= firstKilledStep }.first ?? 0
                return killedStep > 0 || !process.isRunning
            }
            #expect(seen && process.isRunning, "delay \(delay) µs: no checkpoint from step \(firstKilledStep) on was seen being written")
            usleep(useconds_t(delay))
            let writer = ranks > 1 ? try #require(process.rankPIDs[0], "rank 0 of \(process.children)") : process.pid
            #expect(kill(writer, SIGKILL) == 0)
            let killed = try process.finish()
            #expect(killed.status != 0 && killed.status != 75, "delay \(delay) µs: exit \(killed.status)")

            let left = entries(run)
            let expected = try newestCompleteStep(run)
            outcomes.append("\(delay) µs into step \(killedStep)'s: resume from \(expected.map(String.init) ?? "none"), left \(left)")
            let resumed = try runBGPO(arguments, ranks: launch, environment: rlRunEnvironment)
            #expect(resumed.status == 0, "delay \(delay) µs: \(resumed.stderr)")
            let expectedStep = try #require(expected, "delay \(delay) µs: no complete checkpoint (steps before \(killedStep) were written)")
            // The checkpoint before the interrupted one is always kept. No upper bound: on a fast
            // machine the run may publish further checkpoints within the longer delays.
            #expect(expectedStep >= killedStep - 1, "delay \(delay) µs, left \(left)")
            #expect(resumed.stdout.contains("resuming from \(checkpointDirectory(run, step: expectedStep).path) at step \(expectedStep)"),
                    "delay \(delay) µs, left \(left): \(resumed.stdout)")
            #expect(!resumed.stdout.contains("resuming from \(run.path)/checkpoints/.tmp"))
            // The dead writer's temporary directory is removed by the next save.
            #expect(!entries(run).contains { $0.hasPrefix(".tmp") }, "delay \(delay) µs: \(entries(run))")

            #expect(try checkpointFiles(run, step: steps) == referenceFiles, "delay \(delay) µs: final checkpoint differs")
            #expect(try deterministicMetrics(run) == referenceMetrics, "delay \(delay) µs: metrics differ")
        }
        print("crash safety, \(ranks) rank(s), checkpoint write \(Int(writeSeconds * 1e6)) µs: " + outcomes.joined(separator: "; "))
    }

    @Test func aDamagedNewestCheckpointIsSkippedByAutoAndRefusedByName() throws {
        let base = try warmStartedBaseModel()
        let run = try temporaryDirectory("bgpo-damaged")
        defer { try? FileManager.default.removeItem(at: run) }
        let arguments = tinyRLArguments(run, base: base, steps: 3, saveSteps: 1)
        let first = try runBGPO(arguments, environment: rlRunEnvironment)
        #expect(first.status == 0, "\(first.stderr)")

        let newest = checkpointDirectory(run, step: 3)
        let model = newest.appendingPathComponent(CheckpointDirectory.modelFile)
        var data = try Data(contentsOf: model)
        data[data.count / 2] ^= 0x20
        try data.write(to: model)

        let named = try runBGPO(arguments + ["--resume", newest.path], environment: rlRunEnvironment)
        #expect(named.status == 74, "\(named.stderr)")
        #expect(named.stderr.contains(model.path), "\(named.stderr)")

        let auto = try runBGPO(arguments, environment: rlRunEnvironment)
        #expect(auto.status == 0, "\(auto.stderr)")
        #expect(auto.stdout.contains("resume: skipping step-000003: \(model.path)"), "\(auto.stdout)")
        #expect(auto.stdout.contains("resuming from \(checkpointDirectory(run, step: 2).path) at step 2"), "\(auto.stdout)")
        #expect(recordedSteps(run) == [0, 1, 2, 3])
        #expect(try CheckpointStore(runDirectory: run).verify("step-000003").isVerified)
    }
}
