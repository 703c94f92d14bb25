import CMPI
/// Placeholder
public func mpiVersionPlaceholder() -> Int32 { var a: Int32 = 0; var b: Int32 = 0; MPI_Get_version(&a, &b); return a }
