import Base

/// Errors of the communicators, the signal handlers and the Slurm environment.
public enum ClusterError: Error, Equatable, CustomStringConvertible, ExitCodeProviding {
    /// An MPI call returned `code`; `message` is MPI's own text for it.
    case mpi(function: String, code: Int32, message: String)
    /// MPI was initialised before (it can be initialised once per process).
    case mpiAlreadyInitialized
    /// MPI cannot give the `MPI_THREAD_FUNNELED` support bgpo needs.
    case mpiThreadSupport(provided: Int32)
    /// A broadcast named a root outside `0..<size`.
    case invalidRoot(root: Int, size: Int)
    /// The ranks of an ``InProcessGroup`` called different collectives (or counts, or roots) as
    /// their collective number `number` (counted from 1); `calls` describes each rank's call seen,
    /// in rank order ("rank 1: broadcast of 8 bytes from root 0").
    case collectiveMismatch(number: Int, calls: [String])
    /// Collective number `number` (counted from 1) of an ``InProcessGroup`` cannot complete:
    /// rank `rank` left the group (`reason`: it finalized, its work returned or threw) without
    /// calling it.
    case rankLeft(rank: Int, number: Int, reason: String)
    /// Rank `rank` called a collective after its own `finalize()`.
    case collectiveAfterFinalize(rank: Int)
    /// Rank `rank` of an ``InProcessGroup`` called `abort(code:)`: the group is over.
    case aborted(rank: Int, code: Int32)
    /// Slurm started `slurmTasks` tasks but the MPI world has `worldSize` ranks.
    case worldSizeMismatch(slurmTasks: Int, worldSize: Int)
    /// An environment variable does not hold what it should.
    case invalidEnvironment(key: String, value: String, expected: String)
    /// A thread count outside 1...`ThreadLimit.maximum` was asked for.
    case invalidThreads(Int)
    /// `sigaction` failed with `errno`.
    case signalInstall(errno: Int32)
    /// A Slurm command failed or printed something unreadable.
    case slurmQuery(command: String, detail: String)

    /// The process exit code: 64 for launch and environment mistakes, 74 for a failed Slurm query,
    /// an abort's own code (when in 1...255), 70 for MPI and other internal failures.
    public var exitCode: Int32 {
        switch self {
        case .worldSizeMismatch, .invalidEnvironment, .invalidThreads: ExitStatus.usage
        case .slurmQuery: ExitStatus.ioError
        case .aborted(_, let code) where (1...255).contains(code): code
        case .mpi, .mpiAlreadyInitialized, .mpiThreadSupport, .invalidRoot, .signalInstall, .collectiveMismatch,
             .rankLeft, .collectiveAfterFinalize, .aborted:
            ExitStatus.software
        }
    }

    /// What went wrong and, where it helps, what to do.
    public var description: String {
        switch self {
        case let .mpi(function, code, message):
            "\(function) failed with MPI error \(code): \(message)"
        case .mpiAlreadyInitialized:
            "MPI is already initialised in this process; create one MPICommunicator per process"
        case let .mpiThreadSupport(provided):
            "MPI provides thread level \(provided), below MPI_THREAD_FUNNELED"
        case let .invalidRoot(root, size):
            "broadcast root \(root) is not a rank of a world of size \(size)"
        case let .collectiveMismatch(number, calls):
            "collective number \(number) differs between the ranks (\(calls.joined(separator: "; "))): every rank "
                + "must call the same collectives in the same order, with the same counts and roots"
        case let .rankLeft(rank, number, reason):
            "collective number \(number) cannot complete: rank \(rank) left the group without calling it (\(reason))"
        case let .collectiveAfterFinalize(rank):
            "rank \(rank) called a collective after its finalize(); no collective may follow it"
        case let .aborted(rank, code):
            "rank \(rank) aborted the group with exit code \(code)"
        case let .worldSizeMismatch(slurmTasks, worldSize) where worldSize == 1:
            "SLURM_NTASKS=\(slurmTasks) but this process is alone in its MPI world: every task started "
                + "as an independent rank 0. Launch the job step with `srun --mpi=pmix bgpo ...` "
                + "(or `mpirun -np \(slurmTasks) bgpo ...` inside the allocation)"
        case let .worldSizeMismatch(slurmTasks, worldSize):
            "SLURM_NTASKS=\(slurmTasks) but the MPI world has \(worldSize) ranks. Launch the job step with "
                + "`srun --mpi=pmix bgpo ...` so that every Slurm task is one rank"
        case let .invalidEnvironment(key, value, expected):
            "environment variable \(key)=\"\(value)\" is not \(expected)"
        case let .invalidThreads(threads):
            "thread count must be between 1 and \(ThreadLimit.maximum), got \(threads)"
        case let .signalInstall(errno):
            "installing the stop signal handlers failed (errno \(errno))"
        case let .slurmQuery(command, detail):
            "`\(command)` failed: \(detail)"
        }
    }
}
