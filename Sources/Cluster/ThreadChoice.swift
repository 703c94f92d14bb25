import Base

/// How many BLAS threads each rank uses, and why.
///
/// The first that applies: `--threads` when given; else `SLURM_CPUS_PER_TASK` (what Slurm bound
/// to the task); else 1 when the world has several ranks (ranks x threads must not exceed the
/// cores, and an unknown launcher may place all ranks on one node); else every available core
/// (a single process on a laptop or a whole node).
public struct ThreadChoice: Sendable, Equatable {
    /// Where the thread count came from.
    public enum Source: String, Sendable {
        /// The `--threads` option.
        case option = "--threads"
        /// The `SLURM_CPUS_PER_TASK` variable.
        case slurmCPUsPerTask = "SLURM_CPUS_PER_TASK"
        /// One thread per rank because the MPI world has several ranks.
        case multipleRanks = "one per rank"
        /// Every available core of a single process.
        case allCores = "all cores"
    }

    /// The number of BLAS threads.
    public var threads: Int
    /// Which rule chose `threads`.
    public var source: Source

    /// Chooses the thread count.
    ///
    /// - Parameters:
    ///   - requested: the `--threads` value, if given.
    ///   - slurm: the Slurm variables.
    ///   - worldSize: the number of ranks.
    ///   - availableCores: the cores this process may run on.
    /// - Throws: `ClusterError.invalidThreads` when `requested` is outside 1...``ThreadLimit/maximum``.
    public init(requested: Int?, slurm: SlurmEnvironment, worldSize: Int, availableCores: Int) throws {
        if let requested {
            guard (1...ThreadLimit.maximum).contains(requested) else { throw ClusterError.invalidThreads(requested) }
            (threads, source) = (requested, .option)
        } else if let cpus = slurm.cpusPerTask {
            (threads, source) = (cpus, .slurmCPUsPerTask)
        } else if worldSize > 1 {
            (threads, source) = (1, .multipleRanks)
        } else {
            (threads, source) = (min(max(1, availableCores), ThreadLimit.maximum), .allCores)
        }
    }
}
