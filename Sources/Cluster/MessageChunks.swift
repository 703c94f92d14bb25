/// The consecutive ranges that split `0..<count` into pieces of at most `limit` elements.
///
/// MPI counts are `Int32`: a buffer of more than `Int32.max` elements goes through MPI in several
/// calls, one per range.
public struct MessageChunks: Sequence, IteratorProtocol, Sendable {
    private let count: Int
    private let limit: Int
    private var start = 0

    /// Splits `0..<count` into ranges of `limit` elements (the last one may be shorter).
    public init(count: Int, limit: Int) {
        precondition(count >= 0, "negative element count \(count)")
        precondition(limit > 0, "chunk limit must be positive, got \(limit)")
        self.count = count
        self.limit = limit
    }

    /// The next range, or nil after the last.
    public mutating func next() -> Range<Int>? {
        guard start < count else { return nil }
        let end = start + Swift.min(limit, count - start)
        defer { start = end }
        return start..<end
    }
}
