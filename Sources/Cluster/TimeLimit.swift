import Foundation

/// The wall-clock deadline of a run and the rule for stopping before it.
///
/// At each step boundary the run either stops now (and writes a checkpoint) or runs one more step,
/// after which it must still be able to write a checkpoint. So it stops when
///
///     remaining <= safetyFactor * (stepSeconds + checkpointSeconds) + fixedMarginSeconds
///
/// with `stepSeconds` and `checkpointSeconds` the longest step and checkpoint observed so far (an
/// estimate before the first checkpoint). The factor (default 1.5) absorbs the variation of step
/// times (response lengths differ between batches) and of shared-storage writes; the fixed margin
/// (default 30 s) covers `MPI_Finalize`, process exit and Slurm's epilog.
public struct TimeLimit: Sendable, Equatable {
    /// Where the deadline came from.
    public enum Source: String, Sendable, CaseIterable {
        /// No deadline: the run is never stopped by the clock.
        case none
        /// The `--time-limit` option, counted from the start of the run.
        case option = "--time-limit"
        /// The end time Slurm gave the job.
        case slurmJobEnd = "Slurm job end time"
    }

    /// The moment the run must be over, or nil for none.
    public var deadline: Date?
    /// Which rule set `deadline`.
    public var source: Source
    /// The multiple of one step plus one checkpoint kept free before the deadline.
    public var safetyFactor: Double
    /// Seconds kept free before the deadline in addition.
    public var fixedMarginSeconds: Double
    /// Why the Slurm end time was not used though the run is a Slurm job (on the root rank only).
    public var warning: String?

    /// Creates a time limit.
    public init(deadline: Date?, source: Source, safetyFactor: Double = 1.5, fixedMarginSeconds: Double = 30,
                warning: String? = nil) {
        self.deadline = deadline
        self.source = deadline == nil ? .none : source
        self.safetyFactor = safetyFactor
        self.fixedMarginSeconds = fixedMarginSeconds
        self.warning = warning
    }

    /// The time limit every rank agrees on: the earlier of `now + timeLimitSeconds` and Slurm's
    /// end time of the job, decided on rank 0 and broadcast.
    ///
    /// Only rank 0 asks Slurm (one query per job, not one per rank). A failing query leaves the
    /// Slurm end time out and explains why in `warning`.
    ///
    /// - Parameters:
    ///   - timeLimitSeconds: the `--time-limit` option, if given.
    ///   - slurm: the Slurm variables; the end time is asked for only when `slurm.isJob`.
    ///   - communicator: the ranks that must agree.
    ///   - now: the start of the run.
    ///   - jobEndTime: how to ask Slurm; defaults to `SlurmEnvironment.queryJobEndTime`.
    public static func resolve(timeLimitSeconds: Double?, slurm: SlurmEnvironment,
                               communicator: any Communicator, now: Date = Date(),
                               jobEndTime: ((SlurmEnvironment) throws -> Date?)? = nil) throws -> TimeLimit {
        // [deadline in seconds since 1970 or NaN, index of the source in Source.allCases]
        var decision: [Double] = [.nan, 0]
        var warning: String?
        if communicator.isRoot {
            var candidates: [(Date, Source)] = []
            if let timeLimitSeconds {
                candidates.append((now.addingTimeInterval(timeLimitSeconds), .option))
            }
            if slurm.isJob {
                do {
                    let query = jobEndTime ?? { try $0.queryJobEndTime() }
                    if let end = try query(slurm) { candidates.append((end, .slurmJobEnd)) }
                } catch {
                    warning = "not using the Slurm job end time: \(error)"
                }
            }
            if let earliest = candidates.min(by: { $0.0 < $1.0 }) {
                decision = [earliest.0.timeIntervalSince1970, Double(Source.allCases.firstIndex(of: earliest.1)!)]
            }
        }
        try decision.withUnsafeMutableBytes { bytes in
            try communicator.broadcast(bytes.baseAddress!, bytes: bytes.count, root: 0)
        }
        let deadline = decision[0].isNaN ? nil : Date(timeIntervalSince1970: decision[0])
        let source = Source.allCases[Int(decision[1])]
        return TimeLimit(deadline: deadline, source: source, warning: warning)
    }

    /// Seconds left until the deadline (negative once past it), or nil without a deadline.
    public func remainingSeconds(now: Date = Date()) -> Double? {
        deadline.map { $0.timeIntervalSince(now) }
    }

    /// The seconds to keep free before the deadline: `safetyFactor * (step + checkpoint) + fixed`.
    public func marginSeconds(stepSeconds: Double, checkpointSeconds: Double) -> Double {
        safetyFactor * (stepSeconds + checkpointSeconds) + fixedMarginSeconds
    }

    /// Whether the run must stop at this step boundary rather than run one more step.
    public func shouldStop(stepSeconds: Double, checkpointSeconds: Double, now: Date = Date()) -> Bool {
        guard let remaining = remainingSeconds(now: now) else { return false }
        return remaining <= marginSeconds(stepSeconds: stepSeconds, checkpointSeconds: checkpointSeconds)
    }
}
