/// The communicator of one rank of an ``InProcessGroup``: its collectives meet the other ranks'
/// in memory, with MPI's semantics (see ``InProcessGroup``). Use it from one thread, the rank's own.
public final class InProcessCommunicator: Communicator, Sendable {
    /// This rank's index, in `0..<size`.
    public let rank: Int

    /// The group this rank belongs to.
    public let group: InProcessGroup

    /// The number of ranks of the group.
    public var size: Int { group.size }

    /// The communicator of rank `rank` of `group` (see ``InProcessGroup/communicator(rank:)``).
    init(group: InProcessGroup, rank: Int) {
        self.group = group
        self.rank = rank
    }

    /// Sums in place over all ranks, in rank order.
    public func allReduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) throws {
        try group.perform(CollectiveCall(.sumFloat, count: count, buffer: UnsafeMutableRawPointer(buffer)), rank: rank)
    }

    /// Sums in place over all ranks, in rank order.
    public func allReduceSum(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws {
        try group.perform(CollectiveCall(.sumDouble, count: count, buffer: UnsafeMutableRawPointer(buffer)), rank: rank)
    }

    /// Takes maxima in place over all ranks (NaN where any rank holds NaN).
    public func allReduceMax(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws {
        try group.perform(CollectiveCall(.maxDouble, count: count, buffer: UnsafeMutableRawPointer(buffer)), rank: rank)
    }

    /// Takes maxima in place over all ranks.
    public func allReduceMax(_ buffer: UnsafeMutablePointer<UInt64>, count: Int) throws {
        try group.perform(CollectiveCall(.maxUInt64, count: count, buffer: UnsafeMutableRawPointer(buffer)), rank: rank)
    }

    /// Copies `bytes` bytes from rank `root`'s buffer into every other rank's.
    public func broadcast(_ buffer: UnsafeMutableRawPointer, bytes: Int, root: Int) throws {
        guard (0..<size).contains(root) else { throw ClusterError.invalidRoot(root: root, size: size) }
        try group.perform(CollectiveCall(.broadcast(root: root), count: bytes, buffer: buffer), rank: rank)
    }

    /// Returns once every rank has called it.
    public func barrier() throws {
        try group.perform(CollectiveCall(.barrier), rank: rank)
    }

    /// Ends the group: every rank blocked in or entering a collective throws
    /// ``ClusterError/aborted(rank:code:)``; then ends this rank's thread when
    /// ``InProcessGroup/run(_:)`` started it, else the process with `code`.
    public func abort(code: Int32) -> Never {
        group.abort(rank: rank, code: code)
    }

    /// Leaves the group; idempotent. A later collective of this rank throws
    /// ``ClusterError/collectiveAfterFinalize(rank:)``, one of another rank that needs this one
    /// ``ClusterError/rankLeft(rank:number:reason:)``.
    public func finalize() {
        group.finalize(rank: rank)
    }
}
