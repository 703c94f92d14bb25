/// One rank's call of a collective in an ``InProcessGroup``: the operation, its element count (bytes
/// for a broadcast) and the rank's buffer.
///
/// Two ranks' calls belong together when their operations and counts are equal (a broadcast's
/// root included); the buffers are each rank's own.
struct CollectiveCall {
    /// What a collective does with the ranks' buffers.
    enum Operation: Equatable {
        /// Element-wise sum of `Float`s.
        case sumFloat
        /// Element-wise sum of `Double`s.
        case sumDouble
        /// Element-wise maximum of `Double`s.
        case maxDouble
        /// Element-wise maximum of `UInt64`s.
        case maxUInt64
        /// A copy of rank `root`'s bytes to every other rank.
        case broadcast(root: Int)
        /// No data: only the rendezvous.
        case barrier
    }

    /// The operation.
    var operation: Operation
    /// Elements of the reductions, bytes of a broadcast, 0 for a barrier.
    var count: Int
    /// The rank's buffer (nil for a barrier); it must not overlap another rank's.
    var buffer: UnsafeMutableRawPointer?

    /// A call of `operation` on `count` elements (or bytes) at `buffer`.
    init(_ operation: Operation, count: Int = 0, buffer: UnsafeMutableRawPointer? = nil) {
        precondition(count >= 0, "CollectiveCall: negative count \(count)")
        self.operation = operation
        self.count = count
        self.buffer = buffer
    }

    /// Whether `other`, another rank's call, is the same collective.
    func matches(_ other: CollectiveCall) -> Bool {
        operation == other.operation && count == other.count
    }

    /// The call as a mismatch error names it: "allReduceSum of 3 Float", "broadcast of 8 bytes
    /// from root 0", "barrier".
    var summary: String {
        switch operation {
        case .sumFloat: "allReduceSum of \(count) Float"
        case .sumDouble: "allReduceSum of \(count) Double"
        case .maxDouble: "allReduceMax of \(count) Double"
        case .maxUInt64: "allReduceMax of \(count) UInt64"
        case .broadcast(let root): "broadcast of \(count) bytes from root \(root)"
        case .barrier: "barrier"
        }
    }

    /// Carries out one collective whose matching calls, one per rank in rank order, are `calls`.
    ///
    /// Reductions fold the ranks' buffers in rank order into rank 0's, `((x0 + x1) + x2) + ...`
    /// (a fixed order: the same result at every call, whatever the threads' timing), then copy
    /// rank 0's result to every other rank, so that all ranks hold the same bits. The maximum of
    /// `Double`s is NaN where any rank holds NaN.
    static func perform(_ calls: [CollectiveCall]) {
        guard let first = calls.first else { return }
        switch first.operation {
        case .sumFloat: fold(calls, as: Float.self, +)
        case .sumDouble: fold(calls, as: Double.self, +)
        case .maxDouble: fold(calls, as: Double.self) { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }
        case .maxUInt64: fold(calls, as: UInt64.self, Swift.max)
        case .broadcast(let root): copy(from: calls[root], to: calls, bytes: first.count)
        case .barrier: break
        }
    }

    /// Folds every rank's `T` elements into rank 0's buffer in rank order with `combine`, then
    /// copies the result to the other ranks.
    private static func fold<T>(_ calls: [CollectiveCall], as type: T.Type, _ combine: (T, T) -> T) {
        let count = calls[0].count
        guard count > 0, let base = calls[0].buffer else { return }
        let target = base.assumingMemoryBound(to: T.self)
        for call in calls.dropFirst() {
            guard let buffer = call.buffer else { continue }
            let source = buffer.assumingMemoryBound(to: T.self)
            for i in 0..<count {
                target[i] = combine(target[i], source[i])
            }
        }
        copy(from: calls[0], to: calls, bytes: count * MemoryLayout<T>.stride)
    }

    /// Copies `bytes` bytes of `source`'s buffer into every other call's buffer.
    private static func copy(from source: CollectiveCall, to calls: [CollectiveCall], bytes: Int) {
        guard bytes > 0, let from = source.buffer else { return }
        for call in calls {
            guard let to = call.buffer, to != from else { continue }
            to.copyMemory(from: UnsafeRawPointer(from), byteCount: bytes)
        }
    }
}
