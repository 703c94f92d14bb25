import Foundation

/// `size` ranks in one process, each with its own ``InProcessCommunicator`` and meant to run on its
/// own thread, that pass their collectives' data through memory with MPI's semantics.
///
/// Every rank must call the same collectives in the same order, with the same counts and roots.
/// A collective returns on a rank once every rank has called it, and every rank then holds the
/// same result: reductions fold the ranks' buffers in rank order 0, 1, ..., size-1 (a fixed
/// reduction order, so a `Float` sum has the same bits on every rank and at every run). It lets
/// tests run the trainers at several world sizes in one process, without MPI.
///
/// Rendezvous: one mutex and condition variable (`NSCondition`) guard the group; a rank waits on
/// it, never spinning. The collectives are numbered in call order per rank; each rank's call
/// number n waits until the group's collective n is open, records its call, and the last rank to
/// arrive checks the calls and moves the data of all ranks while the others wait. The group
/// opens collective n+1 once every rank has left collective n.
///
/// Failures end the group instead of hanging it: from then on every rank blocked in a collective,
/// or entering one later, throws a ``ClusterError``:
/// - calls that differ (operation, count or root) throw ``ClusterError/collectiveMismatch(number:calls:)``;
/// - a collective that a rank can no longer join, because it finalized or its work returned or
///   threw, throws ``ClusterError/rankLeft(rank:number:reason:)``;
/// - ``InProcessCommunicator/abort(code:)`` throws ``ClusterError/aborted(rank:code:)``.
///
/// `abort(code:)` returns `Never`, so it cannot hand the abort back to its caller. It first marks
/// the group aborted and wakes every rank (their collectives throw), then, on a thread that
/// ``run(_:)`` started, ends that thread with Foundation's `Thread.exit()`; `run` counts the thread
/// as done and reports `.failure(ClusterError.aborted)` for its rank. Ending the thread, rather than
/// parking it on a wait that never returns, lets `run` return and frees the thread's stack; the
/// cost is that the frames it unwinds run no `defer` and release nothing (a leak until the process
/// ends, acceptable in tests), so a rank must not abort while holding a lock that another rank
/// needs. On any other thread `abort` ends the process with the code, as `MPI_Abort` ends the job.
public final class InProcessGroup: @unchecked Sendable {
    /// The number of ranks.
    public let size: Int

    /// How a rank left the group.
    private enum Departure {
        case finalized
        case returned
        case threw(String)
        case aborted(Int32)

        /// The reason a ``ClusterError/rankLeft(rank:number:reason:)`` gives.
        var reason: String {
            switch self {
            case .finalized: "it finalized"
            case .returned: "its work returned"
            case .threw(let error): "its work threw: \(error)"
            case .aborted(let code): "it aborted with exit code \(code)"
            }
        }
    }

    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    /// The index (from 0) of the collective being gathered.
    private var open = 0
    /// The calls of the open collective, by rank.
    private var calls: [CollectiveCall?]
    /// Ranks that called the open collective.
    private var arrived = 0
    /// Whether the open collective's data has moved.
    private var completed = false
    /// Ranks that have returned from the open, completed collective.
    private var departed = 0
    /// Collectives each rank has called.
    private var callsMade: [Int]
    /// How each rank left the group, if it did.
    private var departures: [Departure?]
    /// What ended the group, thrown by every collective from then on.
    private var failure: ClusterError?
    /// The first abort: its rank and code.
    private var abortRecord: (rank: Int, code: Int32)?
    /// The threads ``run(_:)`` started, by rank.
    private var threads: [Thread?]
    /// Threads of ``run(_:)`` that have ended (returned, thrown or aborted).
    private var threadsDone = 0
    /// Whether ``run(_:)`` was called (a group runs once).
    private var running = false

    /// Creates a group of `size` ranks (at least 1).
    public init(size: Int) {
        precondition(size >= 1, "InProcessGroup: at least one rank, got \(size)")
        self.size = size
        calls = Array(repeating: nil, count: size)
        callsMade = Array(repeating: 0, count: size)
        departures = Array(repeating: nil, count: size)
        threads = Array(repeating: nil, count: size)
    }

    /// The communicator of rank `rank`; several instances of one rank are the same endpoint.
    public func communicator(rank: Int) -> InProcessCommunicator {
        precondition((0..<size).contains(rank), "InProcessGroup: rank \(rank) is not in 0..<\(size)")
        return InProcessCommunicator(group: self, rank: rank)
    }

    /// The exit code of the first `abort(code:)`, if a rank aborted.
    public var abortCode: Int32? {
        condition.lock()
        defer { condition.unlock() }
        return abortRecord?.code
    }

    /// Ranks blocked in the open collective, waiting for the others (for tests that need to
    /// know that a rank waits).
    public var waitingRanks: Int {
        condition.lock()
        defer { condition.unlock() }
        return completed ? 0 : arrived
    }

    // MARK: - Collectives

    /// Runs `call` as rank `rank`'s next collective: waits for every rank's call, then moves the data.
    func perform(_ call: CollectiveCall, rank: Int) throws {
        condition.lock()
        defer { condition.unlock() }
        if departures[rank] != nil { throw ClusterError.collectiveAfterFinalize(rank: rank) }
        let index = callsMade[rank]
        callsMade[rank] += 1
        while failure == nil && open != index {
            condition.wait()
        }
        try checkFailure()
        if let gone = departures.firstIndex(where: { $0 != nil }), let departure = departures[gone] {
            try fail(.rankLeft(rank: gone, number: index + 1, reason: departure.reason))
        }
        let earlier = calls.lazy.compactMap { $0 }.first
        calls[rank] = call
        arrived += 1
        if let earlier, !earlier.matches(call) {
            let seen = calls.enumerated().compactMap { r, call in call.map { "rank \(r): \($0.summary)" } }
            try fail(.collectiveMismatch(number: index + 1, calls: seen))
        }
        if arrived == size {
            CollectiveCall.perform(calls.compactMap { $0 })
            completed = true
            condition.broadcast()
        } else {
            while !completed && failure == nil {
                condition.wait()
            }
            if !completed { try checkFailure() }
        }
        departed += 1
        if departed == size {
            open += 1
            calls = Array(repeating: nil, count: size)
            arrived = 0
            departed = 0
            completed = false
            condition.broadcast()
        }
    }

    /// Throws the failure that ended the group, if any (with the lock held).
    private func checkFailure() throws {
        if let failure { throw failure }
    }

    /// Ends the group with `error` (unless an earlier failure did), wakes every rank and throws
    /// the group's failure (with the lock held).
    private func fail(_ error: ClusterError) throws -> Never {
        if failure == nil { failure = error }
        condition.broadcast()
        throw failure ?? error
    }

    // MARK: - Leaving

    /// Records that rank `rank` left the group (first departure only); a collective that it had
    /// not joined can then never complete, which fails the group at once.
    private func leave(_ rank: Int, _ departure: Departure) {
        guard departures[rank] == nil else { return }
        departures[rank] = departure
        if arrived > 0 && !completed && calls[rank] == nil && failure == nil {
            failure = .rankLeft(rank: rank, number: open + 1, reason: departure.reason)
        }
        condition.broadcast()
    }

    /// `finalize()` of rank `rank`: leaves the group; idempotent.
    func finalize(rank: Int) {
        condition.lock()
        defer { condition.unlock() }
        leave(rank, .finalized)
    }

    /// `abort(code:)` of rank `rank`: ends the group with ``ClusterError/aborted(rank:code:)``,
    /// wakes every rank, then ends the calling thread if ``run(_:)`` started it, else the process.
    func abort(rank: Int, code: Int32) -> Never {
        condition.lock()
        let record = abortRecord ?? (rank, code)
        abortRecord = record
        failure = .aborted(rank: record.rank, code: record.code)
        leave(rank, .aborted(code))
        let runnerThread = threads.contains { $0 === Thread.current }
        if runnerThread { threadsDone += 1 }
        condition.broadcast()
        condition.unlock()
        if runnerThread { Thread.exit() }
        exit(code)
    }

    // MARK: - Running the ranks

    /// Runs `body` once per rank, each on its own thread with that rank's communicator, waits
    /// for every thread to end and returns the ranks' results in rank order. Call it once per group.
    ///
    /// A rank whose `body` returns or throws leaves the group: the others then fail (with
    /// ``ClusterError/rankLeft(rank:number:reason:)``) in any collective it did not join. A
    /// rank that aborted gets `.failure(ClusterError.aborted(rank:code:))`.
    public func run<T>(_ body: @escaping @Sendable (any Communicator) throws -> T) -> [Result<T, any Error>] {
        let results = RankResults<T>(size: size)
        condition.lock()
        precondition(!running, "InProcessGroup.run: a group runs once")
        running = true
        for rank in 0..<size {
            let communicator = communicator(rank: rank)
            threads[rank] = Thread { [self] in
                let result = Result { try body(communicator) }
                condition.lock()
                defer { condition.unlock() }
                results.values[rank] = result
                switch result {
                case .success: leave(rank, .returned)
                case .failure(let error): leave(rank, .threw("\(error)"))
                }
                threadsDone += 1
                condition.broadcast()
            }
        }
        let rankThreads = threads
        condition.unlock()
        for thread in rankThreads { thread?.start() }

        condition.lock()
        defer { condition.unlock() }
        while threadsDone < size {
            condition.wait()
        }
        // The threads' closures hold the group: drop them, or the group would never be freed.
        threads = Array(repeating: nil, count: size)
        return results.values.map { value in
            if let value { return value }
            // Only an abort ends a thread of this run without a result.
            guard let record = abortRecord else { preconditionFailure("InProcessGroup.run: a rank ended without a result") }
            return .failure(ClusterError.aborted(rank: record.rank, code: record.code))
        }
    }

    /// ``run(_:)`` on a new group of `size` ranks.
    public static func run<T>(size: Int, _ body: @escaping @Sendable (any Communicator) throws -> T)
        -> [Result<T, any Error>] {
        InProcessGroup(size: size).run(body)
    }
}

/// The results of ``InProcessGroup/run(_:)``'s threads, by rank; guarded by the group's lock.
private final class RankResults<T>: @unchecked Sendable {
    var values: [Result<T, any Error>?]

    init(size: Int) {
        values = Array(repeating: nil, count: size)
    }
}
