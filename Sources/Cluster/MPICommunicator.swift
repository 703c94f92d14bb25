import CMPI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The communicator of `MPI_COMM_WORLD`.
///
/// Creating it calls `MPI_Init_thread` with `MPI_THREAD_FUNNELED` and switches the world to
/// `MPI_ERRORS_RETURN`, so a failing call throws `ClusterError.mpi` instead of killing the process
/// (Open MPI still aborts by itself on some failures, such as a dead peer). `finalize()`, or the
/// release of the last reference, calls `MPI_Finalize`. MPI can be initialised once per process,
/// so there is at most one instance per process.
public final class MPICommunicator: Communicator {
    /// This process's rank in `MPI_COMM_WORLD`.
    public let rank: Int

    /// The number of ranks in `MPI_COMM_WORLD`.
    public let size: Int

    /// The largest element count passed to one MPI call; longer buffers go in several calls.
    public let maxCountPerCall: Int

    private let world: MPI_Comm
    private var finalized = false

    /// Initialises MPI and describes `MPI_COMM_WORLD`.
    ///
    /// - Parameter maxCountPerCall: the longest piece of a buffer handed to one MPI call, at most
    ///   `Int32.max` (MPI counts are `Int32`); smaller values only serve to test the splitting.
    public init(maxCountPerCall: Int = Int(Int32.max)) throws {
        precondition((1...Int(Int32.max)).contains(maxCountPerCall),
                     "maxCountPerCall must be in 1...Int32.max, got \(maxCountPerCall)")
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        guard initialized == 0 else { throw ClusterError.mpiAlreadyInitialized }
        var provided: Int32 = 0
        let status = MPI_Init_thread(nil, nil, bgpo_mpi_thread_funneled(), &provided)
        guard status == bgpo_mpi_success() else {
            throw ClusterError.mpi(function: "MPI_Init_thread", code: status, message: Self.errorString(status))
        }
        world = bgpo_mpi_comm_world()
        self.maxCountPerCall = maxCountPerCall
        var rank: Int32 = 0
        var size: Int32 = 0
        MPI_Comm_set_errhandler(world, bgpo_mpi_errors_return())
        MPI_Comm_rank(world, &rank)
        MPI_Comm_size(world, &size)
        self.rank = Int(rank)
        self.size = Int(size)
        guard provided >= bgpo_mpi_thread_funneled() else {
            finalize()
            throw ClusterError.mpiThreadSupport(provided: provided)
        }
    }

    deinit {
        finalize()
    }

    /// Sums in place over all ranks with `MPI_Allreduce(MPI_IN_PLACE, ..., MPI_FLOAT, MPI_SUM)`.
    public func allReduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
        try allReduce(UnsafeMutableRawPointer(buffer), count: count, stride: MemoryLayout<Float>.stride,
                      type: bgpo_mpi_float(), operation: bgpo_mpi_sum())
    }

    /// Sums in place over all ranks with `MPI_Allreduce(MPI_IN_PLACE, ..., MPI_DOUBLE, MPI_SUM)`.
    public func allReduceSum(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws {
        try allReduce(UnsafeMutableRawPointer(buffer), count: count, stride: MemoryLayout<Double>.stride,
                      type: bgpo_mpi_double(), operation: bgpo_mpi_sum())
    }

    /// Takes maxima in place over all ranks with `MPI_Allreduce(..., MPI_DOUBLE, MPI_MAX)`.
    public func allReduceMax(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws {
        try allReduce(UnsafeMutableRawPointer(buffer), count: count, stride: MemoryLayout<Double>.stride,
                      type: bgpo_mpi_double(), operation: bgpo_mpi_max())
    }

    /// Takes maxima in place over all ranks with `MPI_Allreduce(..., MPI_UINT64_T, MPI_MAX)`.
    public func allReduceMax(_ buffer: UnsafeMutablePointer<UInt64>, count: Int) throws {
        try allReduce(UnsafeMutableRawPointer(buffer), count: count, stride: MemoryLayout<UInt64>.stride,
                      type: bgpo_mpi_uint64(), operation: bgpo_mpi_max())
    }

    /// Broadcasts bytes from `root` with `MPI_Bcast(..., MPI_BYTE, root)`.
    public func broadcast(_ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int) throws {
        guard (0..<size).contains(root) else { throw ClusterError.invalidRoot(root: root, size: size) }
        for chunk in MessageChunks(count: bytes, limit: maxCountPerCall) {
            try check(MPI_Bcast(buffer + chunk.lowerBound, Int32(chunk.count), bgpo_mpi_byte(), Int32(root), world),
                      "MPI_Bcast")
        }
    }

    /// Waits for every rank with `MPI_Barrier`.
    public func barrier() throws {
        try check(MPI_Barrier(world), "MPI_Barrier")
    }

    /// Ends the whole job with `MPI_Abort(MPI_COMM_WORLD, code)`; the launcher kills the other ranks.
    public func abort(code: Int32) -> Never {
        if !finalized { MPI_Abort(world, code) }
        exit(code)
    }

    /// Calls `MPI_Finalize` once.
    public func finalize() {
        guard !finalized else { return }
        finalized = true
        MPI_Finalize()
    }

    private func allReduce(_ buffer: UnsafeMutableRawPointer, count: Int, stride: Int,
                           type: MPI_Datatype, operation: MPI_Op) throws {
        let inPlace = UnsafeRawPointer(bgpo_mpi_in_place())
        for chunk in MessageChunks(count: count, limit: maxCountPerCall) {
            try check(MPI_Allreduce(inPlace, buffer + chunk.lowerBound * stride, Int32(chunk.count),
                                    type, operation, world), "MPI_Allreduce")
        }
    }

    private func check(_ status: Int32, _ function: String) throws {
        guard status != bgpo_mpi_success() else { return }
        throw ClusterError.mpi(function: function, code: status, message: Self.errorString(status))
    }

    private static func errorString(_ code: Int32) -> String {
        var text = [CChar](repeating: 0, count: Int(bgpo_mpi_max_error_string()) + 1)
        var length: Int32 = 0
        guard MPI_Error_string(code, &text, &length) == bgpo_mpi_success() else { return "unknown error" }
        return String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
