import ArgumentParser
import Base
import Cluster
import Foundation
import Kernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `bgpo cluster`: diagnostics of the parallel set-up.
struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Diagnose the parallel set-up: MPI, Slurm, BLAS threads, stop signals.",
        subcommands: [ClusterCheckCommand.self]
    )
}

/// `bgpo cluster check`: start the communicator the way a training run does and exercise it.
struct ClusterCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Start like a training run, verify and time the all-reduce, report each rank.",
        discussion: """
            Every rank prints one JSON line describing itself; rank 0 then prints one JSON line with the \
            verification and one per timed all-reduce size. Exit codes: 0 all checks passed, 64 the \
            launch does not match Slurm (SLURM_NTASKS differs from the MPI world size) or a bad option, \
            70 a wrong sum or an MPI failure, 75 stopped by a signal or the time limit \
            (--wait-for-signal).
            """
    )

    @OptionGroup var threads: RankThreadOptions

    @Option(name: .customLong("bytes"),
            help: "Size of a timed all-reduce, e.g. 1M, 16M, 64M (binary units); repeat for several sizes.")
    var byteCounts: [ByteCount] = [ByteCount(bytes: 16 << 20)]

    @Option(help: "Timed repetitions of each all-reduce size (after one warm-up).")
    var repeats: Int = 5

    @Flag(help: "Initialise MPI even when no launcher started this process (MPI singleton).")
    var mpi = false

    @Option(help: "Largest element count per MPI call; small values exercise the splitting of huge buffers.")
    var maxCountPerCall = Int(Int32.max)

    @Flag(help: "After the checks, wait until a stop signal (SIGUSR1, SIGUSR2, SIGTERM) or the time limit, agreed across ranks; then exit 75.")
    var waitForSignal = false

    @Option(help: "Seconds from start after which --wait-for-signal stops (besides Slurm's job end time).")
    var timeLimit: Double?

    @Option(help: "With --wait-for-signal: rank 0 creates this file once every rank waits for a signal.")
    var readyFile: String?

    @Option(help: "After the checks, this rank exits with status 1 without finalising MPI; the others wait in a barrier.")
    var failRank: Int?

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        guard (1...Int(Int32.max)).contains(maxCountPerCall) else {
            throw ValidationError("--max-count-per-call must be in 1...\(Int32.max)")
        }
        if let timeLimit, !(timeLimit > 0) { throw ValidationError("--time-limit must be positive") }
        if readyFile != nil, !waitForSignal { throw ValidationError("--ready-file needs --wait-for-signal") }
    }

    func run() throws {
        let environment: [String: String]
        let communicator: any Communicator
        let slurm: SlurmEnvironment
        do {
            if waitForSignal { try StopSignal.install() }
            (environment, slurm, communicator) = try RankContext.connect(forceMPI: mpi, maxCountPerCall: maxCountPerCall)
        } catch {
            throw ExitCode(report(error, rank: nil))
        }
        let launcher = Launcher(environment: environment)
        do {
            try check(communicator, slurm: slurm, launcher: launcher, environment: environment)
            communicator.finalize()
        } catch let stop as AgreedExit {
            communicator.finalize()
            throw ExitCode(stop.code)
        } catch {
            let code = report(error, rank: communicator.rank)
            // An error on some ranks only: the others may wait in a collective, so end them all.
            if communicator.size > 1 { communicator.abort(code: code) }
            communicator.finalize()
            throw ExitCode(code)
        }
    }

    private func check(_ communicator: any Communicator, slurm: SlurmEnvironment, launcher: Launcher,
                       environment: [String: String]) throws {
        let choice = try RankContext.setThreads(requested: threads.threads, slurm: slurm, worldSize: communicator.size)
        try printJSON(RankReport(communicator: communicator, launcher: launcher, threads: choice,
                                 slurm: slurm, environment: environment))

        try agree(communicator) {
            try slurm.checkWorldSize(communicator.size)
            if let failRank, !(0..<communicator.size).contains(failRank) {
                throw ValidationError("--fail-rank \(failRank) is not a rank of a world of size \(communicator.size)")
            }
        }

        let verification = try verify(communicator)
        try agree(communicator) {
            if let failure = verification.failures.first { throw CheckFailure(message: failure) }
        }
        if communicator.isRoot { try printJSON(verification) }

        for byteCount in byteCounts {
            let timing = try timeAllReduce(communicator, bytes: byteCount.bytes)
            if communicator.isRoot { try printJSON(timing) }
        }

        if let failRank {
            try communicator.barrier()
            if communicator.rank == failRank {
                StandardStream.error.writeLog("bgpo: rank \(failRank) exits with status 1 on purpose\n")
                Foundation.exit(1)
            }
            try communicator.barrier()
        }

        if waitForSignal { try waitForStop(communicator, slurm: slurm) }
    }

    /// Runs `body` on every rank and agrees on its outcome: when it threw on any rank, every rank
    /// leaves with the largest exit code (the ranks whose `body` threw say why).
    private func agree(_ communicator: any Communicator, _ body: () throws -> Void) throws {
        var local: Int32 = 0
        do { try body() } catch { local = report(error, rank: communicator.rank) }
        let agreed = Int32(try communicator.allReduceMax(scalars: [Double(local)])[0])
        if agreed != 0 { throw AgreedExit(code: agreed) }
    }

    /// All-reduces known values and checks every result.
    private func verify(_ communicator: any Communicator) throws -> Verification {
        let size = communicator.size
        let rank = communicator.rank
        var failures: [String] = []

        // 4 Mi floats holding rank + 1 sum to size * (size + 1) / 2 everywhere (exact in Float).
        let count = 4 << 20
        let floats = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { floats.deallocate() }
        floats.initialize(repeating: Float(rank + 1), count: count)
        try communicator.allReduceSum(floats, count: count)
        let expected = Float(size * (size + 1) / 2)
        if let bad = (0..<count).first(where: { floats[$0] != expected }) {
            failures.append("float all-reduce: element \(bad) is \(floats[bad]), expected \(expected)")
        }

        let sums = try communicator.allReduceSum(scalars: [Double(rank + 1), 0.5])
        if sums != [Double(size * (size + 1) / 2), 0.5 * Double(size)] {
            failures.append("double all-reduce: got \(sums)")
        }
        let maxima = try communicator.allReduceMax(scalars: [Double(rank), -Double(rank)])
        if maxima != [Double(size - 1), 0] {
            failures.append("max all-reduce: got \(maxima)")
        }

        // The root's pattern must arrive unchanged everywhere.
        var pattern = [Float](repeating: 0, count: 1000)
        if communicator.isRoot { for i in pattern.indices { pattern[i] = Float(i) * 0.5 + 7 } }
        try pattern.withUnsafeMutableBufferPointer { try communicator.broadcast($0.baseAddress!, count: $0.count, root: 0) }
        if let bad = pattern.indices.first(where: { pattern[$0] != Float($0) * 0.5 + 7 }) {
            failures.append("broadcast: element \(bad) is \(pattern[bad])")
        }

        if try !communicator.allEqual(0x9E37_79B9_7F4A_7C15) {
            failures.append("allEqual: equal values reported different")
        }
        if try communicator.allEqual(UInt64(rank)) != (size == 1) {
            failures.append("allEqual: different ranks reported equal")
        }
        return Verification(ok: failures.isEmpty, ranks: size, floatElements: count, floatSum: expected,
                            failures: failures)
    }

    /// Times an in-place float all-reduce of `bytes` bytes; each repetition counts as long as
    /// its slowest rank took.
    private func timeAllReduce(_ communicator: any Communicator, bytes: Int) throws -> Timing {
        let count = max(1, bytes / MemoryLayout<Float>.stride)
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 1, count: count)
        let clock = ContinuousClock()
        var seconds: [Double] = []
        for repetition in 0...repeats {
            try communicator.barrier()
            let start = clock.now
            try communicator.allReduceSum(buffer, count: count)
            let elapsed = clock.now - start
            if repetition > 0 {
                seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
            }
        }
        seconds = try communicator.allReduceMax(scalars: seconds).sorted()
        let bytesMoved = count * MemoryLayout<Float>.stride
        return Timing(bytes: bytesMoved, ranks: communicator.size, repeats: repeats,
                      secondsMin: seconds[0], secondsMedian: seconds[seconds.count / 2],
                      gigabytesPerSecond: Double(bytesMoved) / seconds[0] / 1e9)
    }

    /// Polls for a stop signal or the time limit, agreed across ranks, and leaves with 75.
    private func waitForStop(_ communicator: any Communicator, slurm: SlurmEnvironment) throws {
        let pollSeconds = 0.1
        let limit = try TimeLimit.resolve(timeLimitSeconds: timeLimit, slurm: slurm, communicator: communicator)
        if let warning = limit.warning {
            StandardStream.error.writeLog("bgpo: \(warning)\n")
        }
        try communicator.barrier()
        if communicator.isRoot {
            try printJSON(WaitReport(deadline: limit.deadline.map { ISO8601DateFormatter().string(from: $0) },
                                     deadlineSource: limit.source.rawValue,
                                     marginSeconds: limit.deadline == nil ? nil
                                         : limit.marginSeconds(stepSeconds: pollSeconds, checkpointSeconds: 0)))
            if let readyFile {
                try Data("\(getpid())\n".utf8).write(to: URL(fileURLWithPath: readyFile), options: .atomic)
            }
        }
        while true {
            let local = [Double(StopSignal.received ?? 0),
                         limit.shouldStop(stepSeconds: pollSeconds, checkpointSeconds: 0) ? 1 : 0]
            let agreed = try communicator.allReduceMax(scalars: local)
            if agreed[0] != 0 || agreed[1] != 0 {
                if communicator.isRoot {
                    let reason = agreed[0] != 0 ? StopSignal.name(of: Int32(agreed[0])) : "time limit"
                    try printJSON(StopReport(reason: reason))
                }
                throw AgreedExit(code: ExitStatus.tempFail)
            }
            Thread.sleep(forTimeInterval: pollSeconds)
        }
    }

    /// Prints `error` to standard error and returns its exit code (70 when it names none).
    private func report(_ error: any Error, rank: Int?) -> Int32 {
        let prefix = rank.map { "bgpo: rank \($0): " } ?? "bgpo: "
        StandardStream.error.writeLog("\(prefix)\(error)\n")
        switch error {
        case let error as ExitCodeProviding: return error.exitCode
        case is ValidationError: return ExitStatus.usage
        default: return ExitStatus.software
        }
    }
}

/// Every rank agreed to leave with `code`.
private struct AgreedExit: Error {
    var code: Int32
}

/// A collective returned a wrong result.
private struct CheckFailure: Error, CustomStringConvertible, ExitCodeProviding {
    var message: String
    var description: String { "cluster check failed: \(message)" }
    var exitCode: Int32 { ExitStatus.software }
}

/// A byte count written as an integer with an optional binary suffix: 4096, 64K, 16M, 1G.
struct ByteCount: ExpressibleByArgument {
    var bytes: Int

    init(bytes: Int) {
        self.bytes = bytes
    }

    init?(argument: String) {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        var digits = argument.uppercased()
        if digits.hasSuffix("IB") { digits.removeLast(2) } else if digits.hasSuffix("B") { digits.removeLast() }
        var scale = 1
        if let last = digits.last, let unit = units[last] {
            scale = unit
            digits.removeLast()
        }
        guard let value = Int(digits), value > 0 else { return nil }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: scale)
        guard !overflow else { return nil }
        self.bytes = bytes
    }
}

/// One rank's description of itself.
private struct RankReport: Encodable {
    var event = "rank"
    var rank: Int
    var size: Int
    var host: String
    var pid: Int32
    var launcher: String
    var communicator: String
    var threads: Int
    var threadsSource: String
    var blasCore: String
    /// `detected` (OpenBLAS's own choice), `corrected` (bgpo's, see blasCoreDetected) or `user`.
    var blasCoreOrigin: String
    /// What OpenBLAS detected when bgpo corrected it.
    var blasCoreDetected: String?
    /// Whether the core's kernels use less of the CPU than it runs.
    var blasCoreBelowCPU: Bool
    var openblasCoretype: String?
    var cpuModel: String
    var cpuFeatures: String
    /// Which ``Kernels/KernelPath`` attention's forward and SwiGLU run: `avx512` (bgpo's kernels)
    /// or `portable`.
    var kernelPath: String
    /// This core's measured F32 FMA peak, GFLOPS.
    var fmaPeakGflops: Double?
    /// Its bfloat16 dot-product rate over the FMA peak (nil without AVX512_BF16): above 1,
    /// `rollout.compute_dtype = "bf16"` speeds rollouts up here; below 1 it slows them down.
    var bf16DotRatio: Double?
    var slurm: SlurmReport

    struct SlurmReport: Encodable {
        var jobID: String?
        var stepID: String?
        var ntasks: Int?
        var cpusPerTask: Int?
        var procID: Int?
        var restartCount: Int
    }

    init(communicator: any Communicator, launcher: Launcher, threads choice: ThreadChoice,
         slurm: SlurmEnvironment, environment: [String: String]) {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        rank = communicator.rank
        size = communicator.size
        host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        pid = getpid()
        self.launcher = launcher.rawValue
        self.communicator = communicator is MPICommunicator ? "mpi" : "single-process"
        threads = choice.threads
        threadsSource = choice.source.rawValue
        let core = BLASCore.current
        blasCore = core.name
        switch core.origin {
        case .detected: blasCoreOrigin = "detected"
        case .corrected(let detected):
            blasCoreOrigin = "corrected"
            blasCoreDetected = detected
        case .user: blasCoreOrigin = "user"
        }
        blasCoreBelowCPU = core.isBelowTheCPU
        openblasCoretype = environment["OPENBLAS_CORETYPE"]
        cpuModel = core.cpu.model
        cpuFeatures = core.cpu.features
        kernelPath = KernelPath.best.description
        let peak = FMAPeak.measure()
        fmaPeakGflops = peak?.gflopsPerCore
        bf16DotRatio = peak?.bf16DotRatio
        self.slurm = SlurmReport(jobID: slurm.jobID, stepID: slurm.stepID, ntasks: slurm.tasks,
                                 cpusPerTask: slurm.cpusPerTask, procID: slurm.procID,
                                 restartCount: slurm.restartCount)
    }
}

/// Rank 0's summary of the verified collectives.
private struct Verification: Encodable {
    var event = "verify"
    var ok: Bool
    var ranks: Int
    var floatElements: Int
    var floatSum: Float
    var failures: [String]
}

/// Rank 0's timing of one all-reduce size.
private struct Timing: Encodable {
    var event = "allreduce"
    var bytes: Int
    var ranks: Int
    var repeats: Int
    var secondsMin: Double
    var secondsMedian: Double
    var gigabytesPerSecond: Double
}

/// Rank 0's note that it now waits for a stop signal.
private struct WaitReport: Encodable {
    var event = "waiting"
    var deadline: String?
    var deadlineSource: String
    var marginSeconds: Double?
}

/// Rank 0's note of why the wait ended.
private struct StopReport: Encodable {
    var event = "stop"
    var reason: String
}

/// Writes `value` as one JSON line to standard output with a single write, so that the lines of
/// several ranks never interleave.
private func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    var data = try encoder.encode(value)
    data.append(0x0A)
    try StandardStream.output.write(String(decoding: data, as: UTF8.self))
}
