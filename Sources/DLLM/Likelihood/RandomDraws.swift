import Base

extension CounterRandom {
    /// A uniform integer in `0..<n` (n > 0): the high word of `next() * n` (Lemire's multiply-shift
    /// without rejection; its bias, at most n / 2^64, is far below anything measurable).
    @inlinable
    public mutating func nextIndex(below n: Int) -> Int {
        precondition(n > 0, "nextIndex(below:) needs n > 0")
        return Int(next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// `count` distinct indices of `0..<n`, uniform without replacement, ascending.
    ///
    /// Draw order: a partial Fisher-Yates shuffle of `0..<n`; step i swaps slot i with slot
    /// `i + nextIndex(below: n - i)`; the first `count` slots, sorted, are the result.
    public mutating func nextSubset(count: Int, of n: Int) -> [Int] {
        precondition(count >= 0 && count <= n, "nextSubset: count \(count) not in 0...\(n)")
        var slots = Array(0..<n)
        for i in 0..<count {
            slots.swapAt(i, i + nextIndex(below: n - i))
        }
        return slots[0..<count].sorted()
    }
}
