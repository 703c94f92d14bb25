import ArgumentParser
import Base
import Foundation
import Kernels

/// The BLAS thread count of a single-process command.
struct ThreadOptions: ParsableArguments {
    @Option(help: "OpenBLAS threads (default: every core).")
    var threads: Int?

    /// Sets the OpenBLAS thread count and returns it.
    @discardableResult
    func apply() throws -> Int {
        let count = threads ?? min(ProcessInfo.processInfo.activeProcessorCount, ThreadLimit.maximum)
        try checkThreadCount(count)
        BLAS.setThreads(count)
        return count
    }
}

/// The `--threads` option of a command that runs on every rank of a job.
struct RankThreadOptions: ParsableArguments {
    @Option(help: "BLAS threads per rank (default: SLURM_CPUS_PER_TASK, else 1 under MPI, else all cores).")
    var threads: Int?

    func validate() throws {
        if let threads { try checkThreadCount(threads) }
    }
}
