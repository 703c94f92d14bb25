#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The communicator of a run with one process and no MPI: rank 0 of 1, every collective a no-op.
///
/// It never calls MPI, so a plain laptop run neither needs a working MPI installation nor pays
/// for MPI's singleton start-up.
public final class SingleProcessCommunicator: Communicator {
    /// Always 0.
    public let rank = 0

    /// Always 1.
    public let size = 1

    /// Creates the communicator of a single process.
    public init() {}

    /// Leaves `buffer` unchanged: the sum over one rank.
    public func allReduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {}

    /// Leaves `buffer` unchanged: the sum over one rank.
    public func allReduceSum(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws {}

    /// Leaves `buffer` unchanged: the maximum over one rank.
    public func allReduceMax(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws {}

    /// Leaves `buffer` unchanged: the maximum over one rank.
    public func allReduceMax(_ buffer: UnsafeMutablePointer<UInt64>, count: Int) throws {}

    /// Leaves `buffer` unchanged; `root` must be 0.
    public func broadcast(_ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int) throws {
        guard root == 0 else { throw ClusterError.invalidRoot(root: root, size: size) }
    }

    /// Returns at once.
    public func barrier() throws {}

    /// Exits the process with `code`.
    public func abort(code: Int32) -> Never {
        exit(code)
    }

    /// Does nothing.
    public func finalize() {}
}
