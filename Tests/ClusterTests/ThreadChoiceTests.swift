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
