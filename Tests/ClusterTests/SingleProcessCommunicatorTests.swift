import Cluster
import Testing

@Test func singleProcessIsRankZeroOfOne() {
    let communicator = SingleProcessCommunicator()
    #expect(communicator.rank == 0)
    #expect(communicator.size == 1)
    #expect(communicator.isRoot)
}

@Test func singleProcessReductionsLeaveValuesUnchanged() throws {
    let communicator = SingleProcessCommunicator()
    var floats: [Float] = [1.5, -2, 3]
    try floats.withUnsafeMutableBufferPointer { try communicator.allReduceSum($0.baseAddress!, count: $0.count) }
    #expect(floats == [1.5, -2, 3])
    var doubles: [Double] = [4, 5]
    try doubles.withUnsafeMutableBufferPointer { try communicator.allReduceMax($0.baseAddress!, count: $0.count) }
    #expect(doubles == [4, 5])
    #expect(try communicator.allReduceSum(scalars: [1, 2.5]) == [1, 2.5])
    #expect(try communicator.allReduceMax(scalars: []) == [])
    #expect(try communicator.allEqual(42))
    try communicator.barrier()
}

@Test func singleProcessBroadcastNeedsRootZero() throws {
    let communicator = SingleProcessCommunicator()
    var values: [Float] = [7, 8]
    try values.withUnsafeMutableBufferPointer { try communicator.broadcast($0.baseAddress!, count: 2, root: 0) }
    #expect(values == [7, 8])
    #expect(throws: ClusterError.invalidRoot(root: 1, size: 1)) {
        try values.withUnsafeMutableBufferPointer { try communicator.broadcast($0.baseAddress!, count: 2, root: 1) }
    }
}

@Test func factoryAvoidsMPIWithoutLauncher() throws {
    let direct = try makeCommunicator(environment: [:])
    #expect(direct is SingleProcessCommunicator)
    // srun without --mpi=pmix does not wire up MPI: a single-process world that the Slurm check refuses.
    let srun = try makeCommunicator(environment: ["SLURM_STEP_ID": "0", "SLURM_NTASKS": "2"])
    #expect(srun is SingleProcessCommunicator)
    #expect(throws: ClusterError.worldSizeMismatch(slurmTasks: 2, worldSize: 1)) {
        try SlurmEnvironment(environment: ["SLURM_STEP_ID": "0", "SLURM_NTASKS": "2"]).checkWorldSize(srun.size)
    }
}
