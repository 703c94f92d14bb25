import Base
import Foundation

/// The Slurm variables of this process's job and step, when Slurm started it.
///
/// Empty variables count as unset.
public struct SlurmEnvironment: Sendable, Equatable {
    /// `SLURM_JOB_ID`: the job, or nil outside Slurm.
    public var jobID: String?
    /// `SLURM_STEP_ID`: the job step, set for tasks started by `srun`.
    public var stepID: String?
    /// `SLURM_NTASKS`: the number of tasks, which must equal the MPI world size.
    public var tasks: Int?
    /// `SLURM_CPUS_PER_TASK`: the CPUs given to each task (only when the job asked with `-c`).
    public var cpusPerTask: Int?
    /// `SLURM_PROCID`: this task's index in the step.
    public var procID: Int?
    /// `SLURM_RESTART_COUNT`: how often the job was requeued, 0 for the first run.
    public var restartCount: Int

    /// Reads the Slurm variables from `environment`.
    ///
    /// - Throws: `ClusterError.invalidEnvironment` when a count is not a non-negative integer (or,
    ///   for `SLURM_NTASKS` and `SLURM_CPUS_PER_TASK`, not positive), or `SLURM_CPUS_PER_TASK`
    ///   exceeds `ThreadLimit.maximum`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func text(_ key: String) -> String? {
            guard let value = environment[key], !value.isEmpty else { return nil }
            return value
        }
        func number(_ key: String, minimum: Int, maximum: Int = Int.max) throws -> Int? {
            guard let value = text(key) else { return nil }
            guard let n = Int(value), n >= minimum, n <= maximum else {
                let range = maximum == Int.max ? "of at least \(minimum)" : "from \(minimum) to \(maximum)"
                throw ClusterError.invalidEnvironment(key: key, value: value, expected: "an integer \(range)")
            }
            return n
        }
        jobID = text("SLURM_JOB_ID")
        stepID = text("SLURM_STEP_ID")
        tasks = try number("SLURM_NTASKS", minimum: 1)
        cpusPerTask = try number("SLURM_CPUS_PER_TASK", minimum: 1, maximum: ThreadLimit.maximum)
        procID = try number("SLURM_PROCID", minimum: 0)
        restartCount = try number("SLURM_RESTART_COUNT", minimum: 0) ?? 0
    }

    /// Whether this process belongs to a Slurm job.
    public var isJob: Bool { jobID != nil }

    /// Refuses an MPI world that does not hold one rank per Slurm task.
    ///
    /// The classic launch mistake, `srun` without MPI wire-up (or a batch script that starts
    /// bgpo without `srun`), gives N independent single-rank jobs that all write as rank 0.
    ///
    /// - Throws: `ClusterError.worldSizeMismatch` (exit code 64) when `SLURM_NTASKS` is set and
    ///   differs from `worldSize`.
    public func checkWorldSize(_ worldSize: Int) throws {
        guard let tasks, tasks != worldSize else { return }
        throw ClusterError.worldSizeMismatch(slurmTasks: tasks, worldSize: worldSize)
    }
}
