import CCPUID
import Foundation

/// The cores this process may run on.
public enum AvailableCores {
    /// The CPUs of this process's affinity mask (`taskset`, a cgroup cpuset, a Slurm or MPI
    /// binding), else the online CPUs. Foundation's `activeProcessorCount` counts every online CPU
    /// of the node whatever the mask, and threads beyond the cores a process has to itself slow
    /// OpenBLAS down many-fold.
    public static var count: Int {
        let inMask = Int(bgpo_affinity_cpu_count())
        return inMask > 0 ? inMask : max(1, ProcessInfo.processInfo.activeProcessorCount)
    }
}
