import Cluster
import Testing

@Test(arguments: [
    ([:], Launcher.direct),
    (["OMPI_COMM_WORLD_SIZE": "2", "PMIX_RANK": "1"], .mpirun),
    (["PMIX_RANK": "0", "SLURM_STEP_ID": "0"], .pmix),
    (["PMI_RANK": "3"], .pmi),
    (["SLURM_STEP_ID": "0", "SLURM_NTASKS": "2"], .srunWithoutMPI),
    (["SLURM_JOB_ID": "17", "SLURM_NTASKS": "2"], .direct),
    (["OMPI_COMM_WORLD_SIZE": "", "SLURM_STEP_ID": ""], .direct),
])
func launcherFollowsEnvironment(environment: [String: String], expected: Launcher) {
    #expect(Launcher(environment: environment) == expected)
}

@Test func onlyMPILaunchersStartAnMPIWorld() {
    #expect(Launcher.mpirun.startsMPIWorld)
    #expect(Launcher.pmix.startsMPIWorld)
    #expect(Launcher.pmi.startsMPIWorld)
    #expect(!Launcher.direct.startsMPIWorld)
    #expect(!Launcher.srunWithoutMPI.startsMPIWorld)
}
