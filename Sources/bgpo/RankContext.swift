import ArgumentParser
import Base
import Cluster
import Foundation
import Kernels

/// What a command that runs on every rank of a job starts from: the Slurm allocation, the
/// communicator and the BLAS threads of this rank.
struct RankContext {
    /// The process environment, read before MPI initialises.
    let environment: [String: String]
    /// The Slurm variables of the job step (empty outside Slurm).
    let slurm: SlurmEnvironment
    /// The ranks of the job: MPI under a launcher, a single process otherwise.
    let communicator: any Communicator
    /// The BLAS threads of this rank and where the number came from.
    let threads: ThreadChoice

    /// Runs `body` on this process's rank: reads the Slurm variables, starts MPI under mpirun or
    /// srun, checks the world size against the allocation, sets the BLAS threads, and finalises
    /// MPI when `body` returns or throws.
    ///
    /// - Parameter requestedThreads: BLAS threads per rank; `nil` chooses from
    ///   `SLURM_CPUS_PER_TASK`, else one per rank under MPI, else every core.
    static func run<Result>(requestedThreads: Int?, _ body: (RankContext) throws -> Result) throws -> Result {
        let (environment, slurm, communicator) = try connect()
        defer { communicator.finalize() }
        try slurm.checkWorldSize(communicator.size)
        let threads = try setThreads(requested: requestedThreads, slurm: slurm, worldSize: communicator.size)
        return try body(RankContext(environment: environment, slurm: slurm, communicator: communicator, threads: threads))
    }

    /// The start of every rank: the environment (read before MPI initialises), the Slurm
    /// variables, and the communicator (MPI under a launcher or when `forceMPI`, else a single
    /// process). Nothing is checked yet; the caller finalises the communicator.
    static func connect(forceMPI: Bool = false, maxCountPerCall: Int = Int(Int32.max)) throws
        -> (environment: [String: String], slurm: SlurmEnvironment, communicator: any Communicator) {
        let environment = ProcessInfo.processInfo.environment
        let slurm = try SlurmEnvironment(environment: environment)
        let communicator = try makeCommunicator(environment: environment, forceMPI: forceMPI,
                                                maxCountPerCall: maxCountPerCall)
        return (environment, slurm, communicator)
    }

    /// Chooses this rank's BLAS threads (``Cluster/ThreadChoice``) and sets them; warns on standard
    /// error when they are more than the CPUs this process may run on.
    static func setThreads(requested: Int?, slurm: SlurmEnvironment, worldSize: Int) throws -> ThreadChoice {
        let cores = AvailableCores.count
        let choice = try ThreadChoice(requested: requested, slurm: slurm, worldSize: worldSize, availableCores: cores)
        BLAS.setThreads(choice.threads)
        if choice.threads > cores {
            StandardStream.error.writeLog("bgpo: warning: \(choice.threads) BLAS threads (\(choice.source.rawValue)) but this "
                                          + "process may run on \(cores) CPU(s): OpenBLAS's threads then wait for one another, "
                                          + "many times slower; use at most --threads \(cores)\n")
        }
        return choice
    }

    /// Prints `line` on rank 0 only, unbuffered, so that a log redirected to a file is current
    /// when a job is killed.
    func say(_ line: String) {
        if communicator.isRoot { printLine(line) }
    }

    /// How the job runs: `2 rank(s) (mpirun), 1 BLAS thread(s) per rank (one per rank), CPU Intel(R)
    /// Xeon(R) Processor (AVX-512), OpenBLAS core SkylakeX (chosen by bgpo: ...)`.
    var summary: String {
        "\(communicator.size) rank(s) (\(Launcher(environment: environment).rawValue)), "
            + "\(threads.threads) BLAS thread(s) per rank (\(threads.source.rawValue)), \(BLASCore.current.summary)"
    }
}
