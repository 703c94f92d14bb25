import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `bgpo cluster check` as a single process and as two MPI ranks under `mpirun`.
@Suite(.serialized) struct ClusterCLITests {
    /// Blanks the Slurm variables of a test run that itself runs inside a Slurm job (an empty
    /// variable counts as unset), and bounds every mpirun to 60 s in case a rank hangs.
    let environment = ["SLURM_JOB_ID": "", "SLURM_STEP_ID": "", "SLURM_NTASKS": "", "SLURM_CPUS_PER_TASK": "",
                       "SLURM_PROCID": "", "MPIEXEC_TIMEOUT": "60"]

    @Test func twoRanksSumCorrectly() throws {
        let result = try runBGPO(["cluster", "check", "--bytes", "1M", "--repeats", "2"], ranks: 2,
                                 environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try jsonLines(result.stdout)
        let ranks = lines.filter { $0["event"] as? String == "rank" }
        #expect(Set(ranks.compactMap { $0["rank"] as? Int }) == [0, 1])
        #expect(ranks.allSatisfy { $0["size"] as? Int == 2 && $0["communicator"] as? String == "mpi" })
        #expect(ranks.allSatisfy { $0["threads"] as? Int == 1 })
        let verify = try #require(lines.first { $0["event"] as? String == "verify" })
        #expect(verify["ok"] as? Bool == true)
        #expect(verify["float_sum"] as? Double == 3)
        let timing = try #require(lines.first { $0["event"] as? String == "allreduce" })
        #expect(timing["bytes"] as? Int == 1 << 20)
    }

    /// Without --threads, a single process takes the CPUs of its affinity mask, not every CPU of
    /// the machine: under `taskset -c 0`, one thread; `--threads 2` there is kept, with a warning.
    @Test func theDefaultThreadsAreTheCPUsThisProcessMayRunOn() throws {
        func rankLine(pinnedTo cpus: String?, threads: [String] = []) throws -> [String: Any] {
            let process = bgpoProcess(["cluster", "check", "--bytes", "4K", "--repeats", "1"] + threads, ranks: nil,
                                      environment: environment, directory: nil)
            if let cpus {
                process.arguments = ["-c", cpus, process.executableURL!.path] + (process.arguments ?? [])
                process.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
            }
            let output = try runToEnd(process)
            let stderr = String(decoding: output.stderr, as: UTF8.self)
            #expect(output.status == 0, "\(stderr)")
            // More threads than CPUs are warned about, and only then.
            #expect(stderr.contains("but this process may run on 1 CPU(s)") == (cpus == "0" && !threads.isEmpty), "\(stderr)")
            return try #require(try jsonLines(String(decoding: output.stdout, as: UTF8.self)).first { $0["event"] as? String == "rank" })
        }
        let pinned = try rankLine(pinnedTo: "0")
        #expect(pinned["threads"] as? Int == 1 && pinned["threads_source"] as? String == "all cores", "\(pinned)")
        #expect(try rankLine(pinnedTo: "0", threads: ["--threads", "2"])["threads"] as? Int == 2)
        let nproc = Process()
        nproc.executableURL = URL(fileURLWithPath: "/usr/bin/nproc")
        let cpus = Int(String(decoding: try runToEnd(nproc).stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(try rankLine(pinnedTo: nil)["threads"] as? Int == cpus)
    }

    @Test func buffersSplitIntoSeveralMPICallsSumCorrectly() throws {
        let result = try runBGPO(["cluster", "check", "--bytes", "4000", "--repeats", "1",
                                  "--max-count-per-call", "1000"], ranks: 2, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let verify = try #require(try jsonLines(result.stdout).first { $0["event"] as? String == "verify" })
        #expect(verify["ok"] as? Bool == true)
    }

    @Test func singleProcessRunsWithoutMPI() throws {
        let result = try runBGPO(["cluster", "check", "--bytes", "64K", "--repeats", "1", "--threads", "1"],
                                 environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try jsonLines(result.stdout)
        let rank = try #require(lines.first)
        #expect(rank["size"] as? Int == 1)
        #expect(rank["launcher"] as? String == "direct")
        #expect(rank["communicator"] as? String == "single-process")
        #expect(rank["threads_source"] as? String == "--threads")
        #expect(lines.contains { $0["event"] as? String == "verify" && $0["ok"] as? Bool == true })
    }

    @Test func mpiSingletonWorks() throws {
        let result = try runBGPO(["cluster", "check", "--mpi", "--bytes", "4K", "--repeats", "1"],
                                 environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let rank = try #require(try jsonLines(result.stdout).first)
        #expect(rank["communicator"] as? String == "mpi")
        #expect(rank["size"] as? Int == 1)
    }

    @Test func slurmTaskCountMustMatchTheWorld() throws {
        var environment = environment
        environment["SLURM_NTASKS"] = "4"
        let result = try runBGPO(["cluster", "check", "--bytes", "4K"], ranks: 2, environment: environment)
        #expect(result.status == 64)
        #expect(result.stderr.contains("SLURM_NTASKS=4"))
        #expect(result.stderr.contains("srun --mpi=pmix"))
        #expect(!result.stdout.contains("\"verify\""))
    }

    @Test func signalToMpirunStopsBothRanksWith75() throws {
        let directory = try temporaryDirectory("bgpo-cluster-signal")
        defer { try? FileManager.default.removeItem(at: directory) }
        let ready = directory.appendingPathComponent("ready")
        let run = BackgroundRun {
            try runBGPO(["cluster", "check", "--bytes", "4K", "--repeats", "1", "--wait-for-signal",
                         "--time-limit", "120", "--ready-file", ready.path], ranks: 2, environment: environment)
        }
        #expect(waitUntil(seconds: 60) { FileManager.default.fileExists(atPath: ready.path) || run.isFinished })
        let launcher = try #require(processID(withArgument: ready.path, named: "mpirun"))
        #expect(kill(launcher, SIGUSR1) == 0)
        let result = try run.result()
        #expect(result.status == 75, "\(result.stderr)")
        let stop = try #require(try jsonLines(result.stdout).first { $0["event"] as? String == "stop" })
        #expect(stop["reason"] as? String == "SIGUSR1")
    }

    @Test func aRankThatDiesEndsTheJob() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let result = try runBGPO(["cluster", "check", "--bytes", "4K", "--repeats", "1", "--fail-rank", "1"],
                                 ranks: 2, environment: environment)
        let elapsed = clock.now - start
        #expect(result.status != 0)
        #expect(result.stderr.contains("rank 1 exits with status 1"))
        // The requirement itself: mpirun must take the surviving rank down within 30 s (it takes about
        // a second); MPIEXEC_TIMEOUT would end a hang after 60 s.
        #expect(elapsed < .seconds(30))
    }
}


/// The process whose command name is `name` and one of whose arguments is `argument` (Linux /proc).
private func processID(withArgument argument: String, named name: String) -> pid_t? {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    for entry in entries {
        guard let pid = pid_t(entry),
              let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
        let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        if let first = arguments.first, URL(fileURLWithPath: first).lastPathComponent == name,
           arguments.contains(argument) {
            return pid
        }
    }
    return nil
}

/// Runs a blocking `runBGPO` call on its own thread, so that the test can signal the process meanwhile.
///
/// The thread unblocks the stop signals first: a child inherits the signal mask of the thread that
/// spawns it, and the test runner's threads block them (mpirun would then never see SIGUSR1).
private final class BackgroundRun: @unchecked Sendable {
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var outcome: Result<ProcessResult, any Error>?

    init(_ body: @escaping @Sendable () throws -> ProcessResult) {
        Thread.detachNewThread { [self] in
            var signals = sigset_t()
            sigemptyset(&signals)
            for signal in [SIGUSR1, SIGUSR2, SIGTERM] { sigaddset(&signals, signal) }
            pthread_sigmask(SIG_UNBLOCK, &signals, nil)
            let outcome = Result { try body() }
            lock.withLock { self.outcome = outcome }
            done.signal()
        }
    }

    /// Whether the run has ended.
    var isFinished: Bool { lock.withLock { outcome != nil } }

    /// Waits for the run to end and returns its result.
    func result() throws -> ProcessResult {
        done.wait()
        return try lock.withLock { outcome! }.get()
    }
}
