import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A run stopped by SIGUSR1 and resumed with the same command line ends bit-identical to an
/// uninterrupted one: the same model and optimizer files and the same metrics lines (but for the
/// time and memory measurements), at one rank and at two, and with LoRA adapters over a bfloat16
/// base.
@Suite struct ExactResumeTests {
    private let steps = 12

    @Test(arguments: [(1, false), (2, false), (1, true)])
    func aSignalledAndResumedRunEqualsAnUninterruptedOne(ranks: Int, lora: Bool) throws {
        let base = try warmStartedBaseModel()
        let whole = try temporaryDirectory("bgpo-whole"), parts = try temporaryDirectory("bgpo-parts")
        defer { try? FileManager.default.removeItem(at: whole); try? FileManager.default.removeItem(at: parts) }
        let launch = ranks > 1 ? ranks : nil

        let uninterrupted = try runBGPO(tinyRLArguments(whole, base: base, steps: steps, lora: lora), ranks: launch,
                                        environment: rlRunEnvironment)
        #expect(uninterrupted.status == 0, "\(uninterrupted.stderr)")

        // SIGUSR1 once step 1 is recorded (to mpirun, which forwards it to every rank): the run
        // finishes the step in progress, checkpoints it and exits 75.
        let arguments = tinyRLArguments(parts, base: base, steps: steps, lora: lora)
        let run = try BackgroundBGPO(arguments, ranks: launch, environment: rlRunEnvironment)
        #expect(waitUntil(seconds: 120, interval: 0.005) { recordedSteps(parts).contains(1) || !run.isRunning })
        run.signal(SIGUSR1)
        let stopped = try run.finish()
        #expect(stopped.status == 75, "\(stopped.stderr)")
        let k = try #require(try latestStep(parts), "no checkpoint after the stop: \(stopped.stdout)")
        #expect(k >= 1 && k < steps)
        #expect(stopped.stdout.contains("stopping at step \(k) of \(steps) (signal SIGUSR1)"), "\(stopped.stdout)")
        #expect(recordedSteps(parts) == Array(0...k))

        let resumed = try runBGPO(arguments, ranks: launch, environment: rlRunEnvironment)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("resuming from \(checkpointDirectory(parts, step: k).path) at step \(k)"),
                "\(resumed.stdout)")

        #expect(try checkpointFiles(whole, step: steps) == (try checkpointFiles(parts, step: steps)),
                "model and optimizer files differ")
        let a = try deterministicMetrics(whole), b = try deterministicMetrics(parts)
        #expect(a.map { $0["step"] } == (0...steps).map(Double.init))
        #expect(a == b)
        #expect(a.dropFirst().contains { ($0["grad_norm"] ?? 0) > 0 }, "the steps have gradients")
        if lora {
            #expect(resumed.stdout.contains("training LoRA adapters (rank 4"), "\(resumed.stdout)")
        }
    }
}
