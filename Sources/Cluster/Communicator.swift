import Base

/// A fixed group of processes (ranks) that reduce and broadcast buffers together.
///
/// Every collective (all-reduce, broadcast, barrier) must be called by every rank, in the same
/// order and with the same counts. Call them from the thread that created the communicator: the MPI
/// implementation is initialised with `MPI_THREAD_FUNNELED`.
public protocol Communicator: AnyObject {
    /// This process's index, in `0..<size`.
    var rank: Int { get }

    /// The number of ranks.
    var size: Int { get }

    /// Replaces `buffer[0..<count]` on every rank by its element-wise sum over all ranks.
    func allReduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws

    /// Replaces `buffer[0..<count]` on every rank by its element-wise sum over all ranks.
    func allReduceSum(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws

    /// Replaces `buffer[0..<count]` on every rank by its element-wise maximum over all ranks.
    func allReduceMax(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws

    /// Replaces `buffer[0..<count]` on every rank by its element-wise maximum over all ranks.
    func allReduceMax(_ buffer: UnsafeMutablePointer<UInt64>, count: Int) throws

    /// Copies `bytes` bytes at `buffer` on rank `root` into `buffer` on every other rank.
    func broadcast(_ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int) throws

    /// Returns once every rank has called it.
    func barrier() throws

    /// Ends every rank of the job with exit status `code`, without waiting for the others.
    ///
    /// Use it when the ranks cannot agree to stop together (an error on one rank only); when they
    /// can, call `finalize()` on every rank and exit normally instead.
    func abort(code: Int32) -> Never

    /// Shuts the communicator down (`MPI_Finalize`). Idempotent; no collective may follow.
    func finalize()
}

extension Communicator {
    /// Whether this is rank 0, the rank that writes records and checkpoints.
    public var isRoot: Bool { rank == 0 }

    /// The element-wise sums of `scalars` over all ranks.
    public func allReduceSum(scalars: [Double]) throws -> [Double] {
        var values = scalars
        try values.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            try allReduceSum(base, count: buffer.count)
        }
        return values
    }

    /// The field-wise sums of `sums` over all ranks.
    public func allReduceSum<S: FieldwiseSums>(_ sums: S) throws -> S {
        S(packed: try allReduceSum(scalars: sums.packed))
    }

    /// The element-wise maxima of `scalars` over all ranks.
    public func allReduceMax(scalars: [Double]) throws -> [Double] {
        var values = scalars
        try values.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            try allReduceMax(base, count: buffer.count)
        }
        return values
    }

    /// Copies `buffer[0..<count]` on rank `root` into `buffer` on every other rank.
    public func broadcast(_ buffer: UnsafeMutablePointer<Float>, count: Int, root: Int) throws {
        try broadcast(UnsafeMutableRawPointer(buffer), bytes: count * MemoryLayout<Float>.stride, root: root)
    }

    /// Whether every rank passed the same `value` (for example a hash of the configuration or of
    /// the weights).
    ///
    /// One all-reduce of `[value, ~value]` with MAX gives the largest value and the complement of
    /// the smallest; they are equal exactly when all values are.
    public func allEqual(_ value: UInt64) throws -> Bool {
        var pair: [UInt64] = [value, ~value]
        try pair.withUnsafeMutableBufferPointer { try allReduceMax($0.baseAddress!, count: 2) }
        return pair[0] == ~pair[1]
    }
}
