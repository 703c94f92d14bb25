import Base
import Cluster
import Testing

@Test func threadOptionWinsOverEverything() throws {
    let slurm = try SlurmEnvironment(environment: ["SLURM_CPUS_PER_TASK": "8"])
    let choice = try ThreadChoice(requested: 3, slurm: slurm, worldSize: 4, availableCores: 64)
    #expect(choice.threads == 3)
    #expect(choice.source == .option)
}

@Test func slurmCPUsPerTaskComesNext() throws {
    let slurm = try SlurmEnvironment(environment: ["SLURM_CPUS_PER_TASK": "8"])
    let choice = try ThreadChoice(requested: nil, slurm: slurm, worldSize: 4, availableCores: 64)
    #expect(choice.threads == 8)
    #expect(choice.source == .slurmCPUsPerTask)
}

@Test func severalRanksGetOneThreadEach() throws {
    let choice = try ThreadChoice(requested: nil, slurm: SlurmEnvironment(environment: [:]), worldSize: 2,
                                  availableCores: 64)
    #expect(choice.threads == 1)
    #expect(choice.source == .multipleRanks)
}

@Test func aSingleProcessUsesAllCores() throws {
    let choice = try ThreadChoice(requested: nil, slurm: SlurmEnvironment(environment: [:]), worldSize: 1,
                                  availableCores: 12)
    #expect(choice.threads == 12)
    #expect(choice.source == .allCores)
}

@Test func threadCountBelowOneIsRefused() throws {
    #expect(throws: ClusterError.invalidThreads(0)) {
        try ThreadChoice(requested: 0, slurm: SlurmEnvironment(environment: [:]), worldSize: 1, availableCores: 4)
    }
}

@Test func threadCountAboveTheMaximumIsRefusedNamingIt() throws {
    for requested in [ThreadLimit.maximum + 1, 3_000_000_000, Int.max] {
        let error = try #require(throws: ClusterError.self) {
            try ThreadChoice(requested: requested, slurm: SlurmEnvironment(environment: [:]), worldSize: 1, availableCores: 4)
        }
        #expect(error == .invalidThreads(requested) && error.exitCode == 64)
        #expect(error.description.contains("between 1 and \(ThreadLimit.maximum)"), "\(error)")
    }
    let most = try ThreadChoice(requested: ThreadLimit.maximum, slurm: SlurmEnvironment(environment: [:]), worldSize: 1,
                                availableCores: 4)
    #expect(most.threads == ThreadLimit.maximum)
}

@Test func allCoresOfAHugeMachineStopAtTheMaximum() throws {
    let choice = try ThreadChoice(requested: nil, slurm: SlurmEnvironment(environment: [:]), worldSize: 1,
                                  availableCores: 100_000)
    #expect(choice.threads == ThreadLimit.maximum)
}
