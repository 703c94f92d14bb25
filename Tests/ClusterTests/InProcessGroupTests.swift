import Base
import Cluster
import Foundation
import Testing

/// The collectives of ``InProcessGroup`` at 1 to 4 ranks: MPI's semantics (every rank gets the
/// same result), a fixed rank-order reduction, and failures (mismatched calls, a rank that left,
/// an abort) that end every rank's wait with an error instead of a hang.
@Suite struct InProcessGroupTests {
    /// Every rank's value, or the first rank's error.
    private func values<T>(_ results: [Result<T, any Error>]) throws -> [T] {
        try results.map { try $0.get() }
    }

    /// The `ClusterError` each rank threw (nil for a rank that returned or threw something else).
    private func clusterErrors<T>(_ results: [Result<T, any Error>]) -> [ClusterError?] {
        results.map { result in
            guard case .failure(let error) = result else { return nil }
            return error as? ClusterError
        }
    }

    @Test(arguments: 1...4)
    func ranksAreNumberedInOrder(size: Int) throws {
        let seen = try values(InProcessGroup.run(size: size) { communicator in
            [communicator.rank, communicator.size, communicator.isRoot ? 1 : 0]
        })
        #expect(seen == (0..<size).map { [$0, size, $0 == 0 ? 1 : 0] })
    }

    /// Rank r's `Float` terms: magnitudes 1e8 and 1 mixed, so that the order of the additions
    /// changes the rounded sums (for 3 and 4 ranks; two terms add the same either way).
    private static func floatTerms(rank: Int) -> [Float] {
        let columns: [[Float]] = [[1, 1e8, -1e8, 0.5], [1e8, 3, 1, -1e8], [0.1, 0.2, 0.3, 0.4], [-2, 1e-3, 1e7, 5]]
        return (0..<1000).map { i in columns[i % columns.count][rank] * Float(1 + i / columns.count) }
    }

    @Test(arguments: 1...4)
    func floatSumsFollowRankOrderAndAreEqualOnEveryRank(size: Int) throws {
        let sums = try values(InProcessGroup.run(size: size) { communicator in
            var terms = Self.floatTerms(rank: communicator.rank)
            try terms.withUnsafeMutableBufferPointer { try communicator.allReduceSum($0.baseAddress!, count: $0.count) }
            return terms
        })
        // ((x0 + x1) + x2) + x3, element by element, in Float.
        let expected = (1..<size).reduce(Self.floatTerms(rank: 0)) { partial, rank in
            zip(partial, Self.floatTerms(rank: rank)).map { $0 + $1 }
        }
        for (rank, sum) in sums.enumerated() {
            let differing = zip(sum, expected).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(sum.count == expected.count && differing == 0, "rank \(rank) of \(size): \(differing) sums differ")
        }
        if size >= 3 {
            // The check means something: the reverse order rounds differently.
            let reversed = (0..<size).reversed().dropFirst().reduce(Self.floatTerms(rank: size - 1)) { partial, rank in
                zip(partial, Self.floatTerms(rank: rank)).map { $0 + $1 }
            }
            #expect(reversed != expected)
        }
    }

    @Test(arguments: 1...4)
    func doubleSumsAndMaximaAreEqualOnEveryRank(size: Int) throws {
        let last = Double(size - 1)
        let results = try values(InProcessGroup.run(size: size) { communicator in
            let r = Double(communicator.rank)
            var sums = [r, 0.25 * r, -1]
            try sums.withUnsafeMutableBufferPointer { try communicator.allReduceSum($0.baseAddress!, count: $0.count) }
            let scalarSums = try communicator.allReduceSum(scalars: [r * r])
            var maxima = [r, -r, communicator.rank == size - 1 ? .nan : 7]
            try maxima.withUnsafeMutableBufferPointer { try communicator.allReduceMax($0.baseAddress!, count: $0.count) }
            let scalarMaxima = try communicator.allReduceMax(scalars: [-r])
            var words: [UInt64] = [UInt64(communicator.rank) << 40, UInt64.max - UInt64(communicator.rank), 5]
            try words.withUnsafeMutableBufferPointer { try communicator.allReduceMax($0.baseAddress!, count: $0.count) }
            let empty = try communicator.allReduceSum(scalars: [])
            return (sums + scalarSums, maxima + scalarMaxima, words, empty)
        })
        let triangle = Double(size * (size - 1) / 2)
        let squares = Double((size - 1) * size * (2 * size - 1) / 6)
        for (rank, result) in results.enumerated() {
            #expect(result.0 == [triangle, 0.25 * triangle, -Double(size), squares], "rank \(rank) of \(size)")
            #expect(result.1[0] == last && result.1[1] == 0 && result.1[3] == 0, "rank \(rank) of \(size)")
            #expect(result.1[2].isNaN, "a NaN on any rank is the maximum's")
            #expect(result.2 == [UInt64(size - 1) << 40, UInt64.max, 5], "rank \(rank) of \(size)")
            #expect(result.3.isEmpty)
        }
    }

    @Test(arguments: 1...4)
    func allEqualAgreesOnEveryRank(size: Int) throws {
        let answers = try values(InProcessGroup.run(size: size) { communicator in
            let same = try communicator.allEqual(0xDEAD_BEEF)
            let oneDiffers = try communicator.allEqual(communicator.rank == size - 1 ? 43 : 42)
            let extremes = try communicator.allEqual(communicator.rank == 0 ? 0 : UInt64.max)
            return [same, oneDiffers, extremes]
        })
        #expect(answers == Array(repeating: [true, size == 1, size == 1], count: size))
    }

    @Test(arguments: 1...4)
    func broadcastCopiesEachRootsBufferToEveryRank(size: Int) throws {
        let received = try values(InProcessGroup.run(size: size) { communicator in
            try (0..<size).map { root in
                var floats = (0..<5).map { Float(communicator.rank * 10 + $0) }
                try floats.withUnsafeMutableBufferPointer { try communicator.broadcast($0.baseAddress!, count: 5, root: root) }
                var bytes = (0..<7).map { UInt8(communicator.rank * 16 + $0) }
                try bytes.withUnsafeMutableBytes { try communicator.broadcast($0.baseAddress!, bytes: 7, root: root) }
                return (floats, bytes)
            }
        })
        for (rank, perRoot) in received.enumerated() {
            for (root, (floats, bytes)) in perRoot.enumerated() {
                #expect(floats == (0..<5).map { Float(root * 10 + $0) }, "rank \(rank) of \(size), root \(root)")
                #expect(bytes == (0..<7).map { UInt8(root * 16 + $0) }, "rank \(rank) of \(size), root \(root)")
            }
        }
    }

    @Test(arguments: 1...4)
    func aRootOutsideTheGroupIsRefusedOnEveryRank(size: Int) {
        let errors = clusterErrors(InProcessGroup.run(size: size) { communicator in
            var value: Float = 1
            try communicator.broadcast(&value, count: 1, root: size)
        })
        #expect(errors == Array(repeating: .invalidRoot(root: size, size: size), count: size))
    }

    /// Every rank's "arrive" of a barrier precedes every rank's "leave" of it; the last rank
    /// arrives late, so that a barrier that does not wait lets the others leave first.
    @Test(arguments: 1...4)
    func aBarrierReturnsOnlyOnceEveryRankHasCalledIt(size: Int) throws {
        let log = EventLog()
        let rounds = 3
        _ = try values(InProcessGroup.run(size: size) { communicator in
            for round in 0..<rounds {
                if communicator.rank == size - 1 { Thread.sleep(forTimeInterval: 0.02) }
                log.append("arrive \(round)")
                try communicator.barrier()
                log.append("leave \(round)")
            }
        })
        let events = log.events
        #expect(events.count == 2 * rounds * size)
        for round in 0..<rounds {
            let arrivals = events.indices.filter { events[$0] == "arrive \(round)" }
            let departures = events.indices.filter { events[$0] == "leave \(round)" }
            #expect(arrivals.count == size && departures.count == size)
            #expect(arrivals.max()! < departures.min()!, "round \(round) at \(size) ranks: \(events)")
        }
    }

    // MARK: - Failures

    /// One collective per rank: the last rank's differs from the others'.
    struct Mismatch: CustomTestStringConvertible, Sendable {
        var name: String
        /// The others' call, the last rank's call.
        var calls: @Sendable (any Communicator, Bool) throws -> Void
        var testDescription: String { name }
    }

    static let mismatches = [
        Mismatch(name: "counts") { communicator, last in
            var values = [Float](repeating: 1, count: 4)
            try values.withUnsafeMutableBufferPointer { try communicator.allReduceSum($0.baseAddress!, count: last ? 3 : 4) }
        },
        Mismatch(name: "all-reduce and broadcast") { communicator, last in
            var values = [Float](repeating: 1, count: 2)
            try values.withUnsafeMutableBufferPointer { buffer in
                if last {
                    try communicator.broadcast(buffer.baseAddress!, count: 2, root: 0)
                } else {
                    try communicator.allReduceSum(buffer.baseAddress!, count: 2)
                }
            }
        },
        Mismatch(name: "roots") { communicator, last in
            var value: Float = 1
            try communicator.broadcast(&value, count: 1, root: last ? 1 : 0)
        },
        Mismatch(name: "sum and max") { communicator, last in
            _ = last ? try communicator.allReduceMax(scalars: [1]) : try communicator.allReduceSum(scalars: [1])
        },
        Mismatch(name: "barrier and an empty all-reduce") { communicator, last in
            if last { _ = try communicator.allReduceSum(scalars: []) } else { try communicator.barrier() }
        },
        Mismatch(name: "element types") { communicator, last in
            if last {
                var word: UInt64 = 1
                try communicator.allReduceMax(&word, count: 1)
            } else {
                _ = try communicator.allReduceMax(scalars: [1])
            }
        },
    ]

    @Test(arguments: mismatches, 2...4)
    func mismatchedCollectivesFailOnEveryRank(_ mismatch: Mismatch, size: Int) throws {
        let errors = clusterErrors(bounded(InProcessGroup(size: size)) { communicator in
            try communicator.barrier()
            try mismatch.calls(communicator, communicator.rank == size - 1)
        })
        let first = try #require(errors[0])
        #expect(errors == Array(repeating: first, count: size), "every rank throws the same error")
        guard case .collectiveMismatch(let number, let calls) = first else {
            Issue.record("expected a mismatch, got \(first)")
            return
        }
        #expect(number == 2)
        #expect(calls.count >= 2 && calls.contains { $0.hasPrefix("rank \(size - 1): ") })
        #expect(first.exitCode == ExitStatus.software)
    }

    @Test func aMismatchNamesBothCalls() {
        let errors = clusterErrors(bounded(InProcessGroup(size: 2)) { communicator in
            var values = [Float](repeating: 1, count: 4)
            try values.withUnsafeMutableBufferPointer { buffer in
                if communicator.rank == 0 {
                    try communicator.allReduceSum(buffer.baseAddress!, count: 4)
                } else {
                    try communicator.broadcast(UnsafeMutableRawPointer(buffer.baseAddress!), bytes: 16, root: 1)
                }
            }
        })
        let expected = ClusterError.collectiveMismatch(number: 1, calls: ["rank 0: allReduceSum of 4 Float",
                                                                          "rank 1: broadcast of 16 bytes from root 1"])
        #expect(errors == [expected, expected])
        #expect(expected.description == "collective number 1 differs between the ranks (rank 0: allReduceSum of 4 Float; "
            + "rank 1: broadcast of 16 bytes from root 1): every rank must call the same collectives in the same order, "
            + "with the same counts and roots")
    }

    @Test(arguments: 2...4)
    func aCollectiveOfARankThatReturnedFails(size: Int) {
        let results = bounded(InProcessGroup(size: size)) { communicator in
            try communicator.barrier()
            if communicator.rank == 0 { try communicator.barrier() }
        }
        // Whichever of the other ranks is seen gone first is named.
        let named = (1..<size).map { ClusterError.rankLeft(rank: $0, number: 2, reason: "its work returned") }
        #expect(clusterErrors(results)[0].map(named.contains) == true, "\(results[0])")
        for result in results.dropFirst() {
            #expect((try? result.get()) != nil, "the other ranks finished their one barrier")
        }
    }

    @Test(arguments: 2...4)
    func aRankThatThrowsEndsTheOthersWait(size: Int) {
        struct Failed: Error {}
        let results = bounded(InProcessGroup(size: size)) { communicator in
            if communicator.rank == size - 1 { throw Failed() }
            try communicator.barrier()
        }
        #expect(results.last.map { if case .failure(let error) = $0 { error is Failed } else { false } } == true)
        for error in clusterErrors(results).dropLast() {
            #expect(error == .rankLeft(rank: size - 1, number: 1, reason: "its work threw: Failed()"))
        }
    }

    @Test func finalizeIsIdempotentAndEndsTheRanksCollectives() {
        let errors = clusterErrors(bounded(InProcessGroup(size: 2)) { communicator in
            if communicator.rank == 1 {
                communicator.finalize()
                communicator.finalize()
            }
            try communicator.barrier()
        })
        #expect(errors == [.rankLeft(rank: 1, number: 1, reason: "it finalized"), .collectiveAfterFinalize(rank: 1)])
    }

    @Test func finalizeAfterTheLastCollectiveIsNormal() throws {
        let sums = try values(bounded(InProcessGroup(size: 3)) { communicator in
            let sum = try communicator.allReduceSum(scalars: [1])
            communicator.finalize()
            return sum
        })
        #expect(sums == [[3], [3], [3]])
    }

    /// The last rank aborts once the others wait in a barrier: all of them wake with the abort.
    @Test(arguments: 1...4)
    func abortWakesTheRanksBlockedInACollective(size: Int) {
        let group = InProcessGroup(size: size)
        let results = bounded(group) { communicator in
            if communicator.rank == size - 1 {
                waitUntil { group.waitingRanks == size - 1 }
                communicator.abort(code: 75)
            }
            try communicator.barrier()
        }
        #expect(clusterErrors(results) == Array(repeating: .aborted(rank: size - 1, code: 75), count: size))
        #expect(group.abortCode == 75)
    }

    /// Rank 1 calls its collective only after rank 2 aborted; rank 0 was already waiting.
    @Test func abortFailsTheCollectivesCalledAfterIt() {
        let group = InProcessGroup(size: 3)
        let results = bounded(group) { communicator in
            switch communicator.rank {
            case 2:
                waitUntil { group.waitingRanks == 1 }
                communicator.abort(code: 70)
            case 1:
                waitUntil { group.abortCode != nil }
                _ = try communicator.allReduceSum(scalars: [1])
            default:
                _ = try communicator.allReduceSum(scalars: [1])
            }
        }
        #expect(clusterErrors(results) == Array(repeating: .aborted(rank: 2, code: 70), count: 3))
    }

    @Test func abortErrorsCarryTheCode() {
        #expect(ClusterError.aborted(rank: 1, code: 75).exitCode == 75)
        #expect(ClusterError.aborted(rank: 1, code: 0).exitCode == ExitStatus.software)
        #expect(ClusterError.aborted(rank: 1, code: 75).description == "rank 1 aborted the group with exit code 75")
        #expect(ClusterError.rankLeft(rank: 2, number: 5, reason: "it finalized").exitCode == ExitStatus.software)
        #expect(ClusterError.collectiveAfterFinalize(rank: 0).exitCode == ExitStatus.software)
    }
}

/// A run of `group` that hung.
private struct Hung: Error {}

/// The results of `group.run(body)`, waited for at most a minute from another thread (the runs
/// take milliseconds): a group whose ranks hang fails the test instead of blocking the test run.
private func bounded<T>(_ group: InProcessGroup, _ body: @escaping @Sendable (any Communicator) throws -> T)
    -> [Result<T, any Error>] {
    let done = DispatchSemaphore(value: 0)
    let box = ResultsBox<T>()
    Thread {
        box.results = group.run(body)
        done.signal()
    }.start()
    guard done.wait(timeout: .now() + 60) == .success else {
        Issue.record("the group hangs: a rank still waits after 60 s")
        return Array(repeating: .failure(Hung()), count: group.size)
    }
    return box.results
}

/// The results of a run, written by its thread before it signals, read after.
private final class ResultsBox<T>: @unchecked Sendable {
    var results: [Result<T, any Error>] = []
}

/// Sleeps in 1 ms steps until `condition` holds: a test's way to order ranks, never a timing bound.
private func waitUntil(_ condition: () -> Bool) {
    while !condition() {
        Thread.sleep(forTimeInterval: 0.001)
    }
}

/// Events appended by several threads, in the order they happened.
private final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []

    /// Appends `event`.
    func append(_ event: String) {
        lock.lock()
        defer { lock.unlock() }
        list.append(event)
    }

    /// The events so far.
    var events: [String] {
        lock.lock()
        defer { lock.unlock() }
        return list
    }
}
