/// Where a run writes, how many threads it uses, and how long it may take.
public struct RunSettings: Codable, Equatable, Sendable {
    /// Run directory (metrics.jsonl, checkpoints/, the resolved config). Default "runs/bgpo".
    public var outputDir = "runs/bgpo"
    /// BLAS threads per rank; 0 (default) = automatic: `SLURM_CPUS_PER_TASK` when set, else 1
    /// under MPI, else all cores. Changes float rounding, not the algorithm.
    public var threads = 0
    /// Wall-clock budget, in seconds, after which the run checkpoints and exits 75; 0 (default) = none.
    public var timeLimit = 0

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case outputDir = "output_dir"
        case threads
        case timeLimit = "time_limit"
    }
}
