import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A rank killed with SIGKILL in the middle of a two-rank run takes the whole job down within
/// 30 s (no rank hangs in an all-reduce), and the same command then resumes and completes.
@Suite struct RankFailureTests {
    private let steps = 12

    @Test(arguments: [0, 1])
    func aKilledRankEndsTheJobAndARerunResumes(victim: Int) throws {
        let base = try warmStartedBaseModel()
        let run = try temporaryDirectory("bgpo-rank-dies")
        defer { try? FileManager.default.removeItem(at: run) }
        let arguments = tinyRLArguments(run, base: base, steps: steps, saveSteps: 1)
        let job = try BackgroundBGPO(arguments, ranks: 2, environment: rlRunEnvironment)
        #expect(waitUntil(seconds: 120, interval: 0.005) { recordedSteps(run).contains(2) || !job.isRunning })
        let ranks = job.rankPIDs
        #expect(Set(ranks.keys) == [0, 1], "mpirun's children: \(job.children)")
        let pid = try #require(ranks[victim])

        let clock = ContinuousClock()
        let killed = clock.now
        #expect(kill(pid, SIGKILL) == 0)
        let ended = job.wait(seconds: 30)
        let elapsed = clock.now - killed
        #expect(ended, "the job still runs 30 s after rank \(victim) was killed")
        let result = try job.finish()
        #expect(result.status != 0 && result.status != 75)
        print("rank \(victim) killed at step \(recordedSteps(run).last ?? -1): job ended after \(elapsed), status \(result.status)")

        let rerun = try runBGPO(arguments, ranks: 2, environment: rlRunEnvironment)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stdout.contains("resuming from"), "\(rerun.stdout)")
        #expect(recordedSteps(run) == Array(0...steps))
    }
}
