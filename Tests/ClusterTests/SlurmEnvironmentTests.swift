import Base
import Cluster
import Foundation
import Testing

@Test func readsSlurmVariables() throws {
    let slurm = try SlurmEnvironment(environment: [
        "SLURM_JOB_ID": "4711", "SLURM_STEP_ID": "0", "SLURM_NTASKS": "4", "SLURM_CPUS_PER_TASK": "8",
        "SLURM_PROCID": "3", "SLURM_RESTART_COUNT": "2",
    ])
    #expect(slurm.isJob)
    #expect(slurm.jobID == "4711")
    #expect(slurm.stepID == "0")
    #expect(slurm.tasks == 4)
    #expect(slurm.cpusPerTask == 8)
    #expect(slurm.procID == 3)
    #expect(slurm.restartCount == 2)
}

@Test func emptyOrMissingVariablesAreUnset() throws {
    let slurm = try SlurmEnvironment(environment: ["SLURM_JOB_ID": "", "SLURM_NTASKS": ""])
    #expect(!slurm.isJob)
    #expect(slurm.tasks == nil)
    #expect(slurm.cpusPerTask == nil)
    #expect(slurm.restartCount == 0)
    try slurm.checkWorldSize(3)
}

@Test func malformedCountIsAUsageError() throws {
    let error = try #require(throws: ClusterError.self) {
        try SlurmEnvironment(environment: ["SLURM_NTASKS": "two"])
    }
    #expect(error == .invalidEnvironment(key: "SLURM_NTASKS", value: "two", expected: "an integer of at least 1"))
    #expect(error.exitCode == ExitStatus.usage)
    #expect(error.description.contains("SLURM_NTASKS"))
    #expect(throws: ClusterError.self) { try SlurmEnvironment(environment: ["SLURM_CPUS_PER_TASK": "0"]) }
}

@Test func worldSizeMustMatchSlurmTasks() throws {
    let slurm = try SlurmEnvironment(environment: ["SLURM_JOB_ID": "1", "SLURM_NTASKS": "4"])
    try slurm.checkWorldSize(4)
    let alone = try #require(throws: ClusterError.self) { try slurm.checkWorldSize(1) }
    #expect(alone.exitCode == ExitStatus.usage)
    #expect(alone.description.contains("srun --mpi=pmix"))
    #expect(alone.description.contains("independent rank 0"))
    let fewer = try #require(throws: ClusterError.self) { try slurm.checkWorldSize(2) }
    #expect(fewer == .worldSizeMismatch(slurmTasks: 4, worldSize: 2))
    #expect(fewer.description.contains("srun --mpi=pmix"))
}

@Test func parsesSlurmEndTimes() throws {
    let utc = try #require(TimeZone(identifier: "UTC"))
    let end = try SlurmEnvironment.parseEndTime("2025-01-31T23:59:00", timeZone: utc)
    #expect(end == Date(timeIntervalSince1970: 1_738_367_940))
    #expect(try SlurmEnvironment.parseEndTime("Unknown") == nil)
    #expect(try SlurmEnvironment.parseEndTime("N/A") == nil)
    #expect(try SlurmEnvironment.parseEndTime("NONE") == nil)
    #expect(throws: ClusterError.self) { try SlurmEnvironment.parseEndTime("tomorrow") }
}

@Test func endTimeQueryNeedsAJob() throws {
    let slurm = try SlurmEnvironment(environment: [:])
    #expect(throws: ClusterError.self) { try slurm.queryJobEndTime() }
}

@Test func cpusPerTaskAboveTheThreadMaximumIsAUsageError() throws {
    let error = try #require(throws: ClusterError.self) {
        try SlurmEnvironment(environment: ["SLURM_CPUS_PER_TASK": "3000000000"])
    }
    #expect(error == .invalidEnvironment(key: "SLURM_CPUS_PER_TASK", value: "3000000000",
                                         expected: "an integer from 1 to \(ThreadLimit.maximum)"))
    #expect(error.exitCode == ExitStatus.usage)
    #expect(try SlurmEnvironment(environment: ["SLURM_CPUS_PER_TASK": "\(ThreadLimit.maximum)"]).cpusPerTask == ThreadLimit.maximum)
}
