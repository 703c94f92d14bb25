import Base
import Cluster
import Testing

@Test func errorsMapToExitCodes() {
    #expect(ClusterError.worldSizeMismatch(slurmTasks: 2, worldSize: 1).exitCode == ExitStatus.usage)
    #expect(ClusterError.invalidThreads(0).exitCode == ExitStatus.usage)
    #expect(ClusterError.mpi(function: "MPI_Allreduce", code: 5, message: "x").exitCode == ExitStatus.software)
    #expect(ClusterError.slurmQuery(command: "squeue", detail: "x").exitCode == ExitStatus.ioError)
}

@Test func mpiErrorNamesTheCall() {
    let error = ClusterError.mpi(function: "MPI_Allreduce", code: 5, message: "MPI_ERR_COUNT: invalid count argument")
    #expect(error.description == "MPI_Allreduce failed with MPI error 5: MPI_ERR_COUNT: invalid count argument")
}
