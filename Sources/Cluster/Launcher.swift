import Foundation

/// How this process was started, as far as its environment tells.
public enum Launcher: String, Sendable, Equatable {
    /// Started directly, by a shell or a batch script: no launcher variables at all.
    case direct
    /// Started by Open MPI's `mpirun` (`OMPI_COMM_WORLD_SIZE` is set).
    case mpirun
    /// Started by a PMIx launcher such as `srun --mpi=pmix` (`PMIX_RANK` is set).
    case pmix
    /// Started by a PMI-1/2 launcher such as `srun --mpi=pmi2` or MPICH's Hydra (`PMI_RANK` is set).
    case pmi
    /// Started by `srun` without any MPI wire-up (`SLURM_STEP_ID` but none of the above): every
    /// task would be a rank 0 of its own, which `SlurmEnvironment.checkWorldSize` refuses when the
    /// step has more than one task.
    case srunWithoutMPI = "srun-without-mpi"

    /// Reads the launcher from the environment variables it sets.
    public init(environment: [String: String]) {
        func has(_ key: String) -> Bool { !(environment[key] ?? "").isEmpty }
        if has("OMPI_COMM_WORLD_SIZE") {
            self = .mpirun
        } else if has("PMIX_RANK") {
            self = .pmix
        } else if has("PMI_RANK") || has("PMI_SIZE") {
            self = .pmi
        } else if has("SLURM_STEP_ID") {
            self = .srunWithoutMPI
        } else {
            self = .direct
        }
    }

    /// Whether this launcher wires processes into one MPI world, so that MPI must be initialised.
    public var startsMPIWorld: Bool {
        switch self {
        case .mpirun, .pmix, .pmi: true
        case .direct, .srunWithoutMPI: false
        }
    }
}

/// The communicator for this process: an `MPICommunicator` when an MPI launcher started it (or
/// when `forceMPI` is set), otherwise a `SingleProcessCommunicator`.
///
/// A process started directly (a laptop run, or `srun` without `--mpi=pmix`) never initialises MPI:
/// MPI's singleton start-up would give the same one-rank world, only slower and only where MPI
/// works. Under `srun` without MPI wire-up the world then has one rank, and
/// `SlurmEnvironment.checkWorldSize` refuses to go on when Slurm started more than one task.
/// `forceMPI` runs the MPI singleton path on purpose, to diagnose an MPI installation.
///
/// - Parameters:
///   - environment: the process environment, read before MPI initialises.
///   - forceMPI: initialise MPI even without a launcher.
///   - maxCountPerCall: see `MPICommunicator.init(maxCountPerCall:)`.
public func makeCommunicator(environment: [String: String] = ProcessInfo.processInfo.environment,
                             forceMPI: Bool = false,
                             maxCountPerCall: Int = Int(Int32.max)) throws -> any Communicator {
    if forceMPI || Launcher(environment: environment).startsMPIWorld {
        return try MPICommunicator(maxCountPerCall: maxCountPerCall)
    }
    return SingleProcessCommunicator()
}
