/// The largest number of compute threads bgpo uses per process.
///
/// Thread options, `run.threads` and `SLURM_CPUS_PER_TASK` are checked against it before any
/// thread pool (OpenBLAS's) is sized.
public enum ThreadLimit {
    /// 4096 threads.
    public static let maximum = 4096
}
