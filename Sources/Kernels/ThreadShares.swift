import Dispatch

/// Runs `body(first, end)` for shares `first ..< end` of `count` independent units: all of them on
/// this thread for one thread, else one share per thread (at most one per `minimumShare` units) at
/// the same time. Each share must read and write only what its units own, so the result does not
/// depend on the number of threads.
public func forEachShare(of count: Int, threads: Int, minimumShare: Int = 1,
                         _ body: @Sendable (_ first: Int, _ end: Int) -> Void) {
    let threads = min(threads, count / max(minimumShare, 1))
    guard threads > 1 else { return body(0, count) }
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        body(count * t / threads, count * (t + 1) / threads)
    }
}

/// Runs `body(range)` for shares of the elements `0 ..< count` of element-wise work, each share
/// whole vectors (``FloatVector``) but the last, among `threads` threads (at most one per 16,384
/// elements, below which a thread costs more than it saves).
public func forEachVectorShare(of count: Int, threads: Int, _ body: @Sendable (_ range: Range<Int>) -> Void) {
    let width = FloatVector.scalarCount, vectors = (count + width - 1) / width
    forEachShare(of: vectors, threads: threads, minimumShare: 16_384 / width) { first, end in
        body(first * width ..< min(end * width, count))
    }
}
