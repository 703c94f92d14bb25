import Base
import Cluster
import Kernels
import Records
import Testing

/// What the in-process world-size tests share: running a body on every rank of an
/// ``InProcessGroup``, and the comparisons of their results.
enum InProcessRanks {
    /// The world sizes the tests compare: one rank (the reference) and 2, 3, 4 ranks.
    static let worldSizes = [1, 2, 3, 4]

    /// Runs `body` on `size` ranks of an in-process group, each on its own thread, and returns
    /// each rank's value in rank order; the first rank's error is thrown.
    ///
    /// OpenBLAS is shared by the ranks' threads: it gets 1 thread per call, as the tests of
    /// `bgpo train` give each MPI rank (`--threads 1`).
    static func run<T>(size: Int, _ body: @escaping @Sendable (any Communicator) throws -> T) throws -> [T] {
        BLAS.setThreads(1)
        return try InProcessGroup.run(size: size, body).map { try $0.get() }
    }

    /// A copy of `flat`'s elements, read while `flat` is certainly alive (a temporary's buffer
    /// pointer would outlive it).
    static func elements(_ flat: FlatBuffer) -> [Float] {
        withExtendedLifetime(flat) { Array(flat.buffer) }
    }

    /// How many elements of two weight vectors differ in their bits, elements missing from the
    /// shorter one included (a count, so that a failure does not print every weight).
    static func differingElements(_ a: [Float], _ b: [Float]) -> Int {
        zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count + abs(a.count - b.count)
    }

    /// The largest absolute difference between two weight vectors of the same length.
    static func largestDifference(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "weight vectors of \(a.count) and \(b.count) elements")
        return zip(a, b).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
    }

    /// Whether `value` agrees with `reference` to `relative` of the reference plus `absolute`.
    static func agree(_ reference: Double?, _ value: Double?, relative: Double, absolute: Double = 1e-12) -> Bool {
        guard let reference, let value else { return false }
        return abs(reference - value) <= absolute + relative * abs(reference)
    }

    /// `record` without the keys that measure time or memory, which differ between ranks and runs.
    static func deterministic(_ record: MetricsRecord) -> MetricsRecord {
        var record = record
        for entry in record.entries where entry.key.hasPrefix("timing_s/")
            || ["step_time", "tokens_per_s", "max_rss_mb"].contains(entry.key) {
            record[entry.key] = nil
        }
        return record
    }
}
