import Base

extension CounterRandom {
    /// The stream for attempt `attempt` at problem `index` of a task's generator.
    ///
    /// `tag` separates tasks (and a task's synthetic test split from its training problems), so the
    /// streams never overlap; `attempt` counts rejected draws, so generation stays a pure function
    /// of (seed, index).
    init(problemSeed seed: UInt64, tag: UInt64, index: UInt64, attempt: UInt64) {
        self.init(seed: seed, purpose: .problemGeneration, tag, index, attempt)
    }

    /// A uniform integer in `0..<n` (multiply-high; the bias is below n / 2^64).
    mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        return Int(UInt64(n).multipliedFullWidth(by: next()).high)
    }

    /// A uniform integer in `range`.
    mutating func draw(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.count)
    }

    /// `items` in a uniformly random order (Fisher-Yates).
    mutating func shuffled<T>(_ items: [T]) -> [T] {
        var items = items
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(i, below(i + 1))
        }
        return items
    }

    /// A uniformly chosen element of a non-empty array.
    mutating func pick<T>(_ items: [T]) -> T {
        items[below(items.count)]
    }
}

/// Generator tags: which task (and which split) a problem stream belongs to.
enum ProblemTag {
    static let countdown: UInt64 = 1
    static let sudoku: UInt64 = 2
    static let math: UInt64 = 3
    static let code: UInt64 = 4
    /// The synthetic math test split (drawn from a fixed seed).
    static let mathTest: UInt64 = 103
    /// The countdown held-out set (drawn from ``HeldOutSplit``'s fixed seed).
    static let countdownHeldOut: UInt64 = 201
    /// The sudoku held-out set (drawn from ``HeldOutSplit``'s fixed seed).
    static let sudokuHeldOut: UInt64 = 202
}
