import ArgumentParser
import Base
import Foundation
import Kernels
import RunConfig

/// The BLAS thread count of a single-process command.
struct ThreadOptions: ParsableArguments {
    @Option(help: "OpenBLAS threads (default: every core this process may run on).")
    var threads: Int?

    /// Sets the OpenBLAS thread count and returns it.
    @discardableResult
    func apply() throws -> Int {
        let count = threads ?? min(AvailableCores.count, ThreadLimit.maximum)
        try checkThreadCount(count)
        BLAS.setThreads(count)
        return count
    }
}

/// The `--threads` option of a command that runs on every rank of a job; where the command takes a
/// run configuration, it sets `run.threads`.
struct RankThreadOptions: ParsableArguments {
    @Option(help: ArgumentHelp("BLAS threads per rank (default: SLURM_CPUS_PER_TASK, else 1 under MPI, else the CPUs this process may run on; "
                               + "run.threads in a configuration)."))
    var threads: Int?

    func validate() throws {
        if let threads { try checkThreadCount(threads) }
    }

    /// Sets `run.threads` when `--threads` was given.
    func apply(to config: inout RunConfig) {
        if let threads { config.run.threads = threads }
    }

    /// The option as `bgpo train` takes it, or nothing when it was not given.
    var arguments: [String] { threads.map { ["--threads", String($0)] } ?? [] }
}

/// The `--time-limit` option of a command that runs a training job: sets `run.time_limit`.
struct TimeLimitOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Stop with a checkpoint before this many seconds have passed (run.time_limit).",
                               valueName: "seconds"))
    var timeLimit: Int?

    /// Sets `run.time_limit` when `--time-limit` was given.
    func apply(to config: inout RunConfig) {
        if let timeLimit { config.run.timeLimit = timeLimit }
    }

    /// The option as `bgpo train` takes it, or nothing when it was not given.
    var arguments: [String] { timeLimit.map { ["--time-limit", String($0)] } ?? [] }
}
