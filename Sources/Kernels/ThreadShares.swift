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
