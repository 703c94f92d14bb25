/// The scalars of one optimiser update that all ranks sum in one all-reduce (beside the gradient
/// buffer's): the objective's statistics of the update's mini-batch, its unit count, the stop
/// votes and the step's rollout sums.
///
/// ``packed`` and ``init(packed:rewardComponents:digestSlots:)`` are the one place that lays the
/// fields out in a `[Double]`; every field is a sum over the ranks, so the element-wise sum of the
/// ranks' packed vectors unpacks to the field-wise sums.
public struct StepScalars: Sendable, Equatable {
    /// The objective's statistics of the update's mini-batch.
    public var statistics = ObjectiveStatistics()
    /// The count N the mini-batch's loss and gradient are divided by
    /// (``PolicyObjective/units(of:completionLength:)``).
    public var units = 0.0
    /// How many ranks ask to stop (signal or time limit): 0 or 1 on a rank.
    public var stopVotes = 0.0
    /// The step's rollout sums: the same in every update of a step.
    public var rollout: RolloutSums

    /// Creates scalars with the given rollout sums and zero statistics, units and votes.
    public init(statistics: ObjectiveStatistics = ObjectiveStatistics(), units: Double = 0, stopVotes: Double = 0,
         rollout: RolloutSums) {
        self.statistics = statistics
        self.units = units
        self.stopVotes = stopVotes
        self.rollout = rollout
    }

    /// The fields of fixed count, in their packed order; the reward components and the digest
    /// slots follow them.
    private static var fixedFields: [WritableKeyPath<StepScalars, Double>] {
        [\.statistics.lossSum, \.statistics.clippedCount, \.statistics.clipCandidates, \.statistics.klSum,
         \.statistics.klCount, \.units, \.stopVotes, \.rollout.rewardSum, \.rollout.responses, \.rollout.groupStdSum,
         \.rollout.groups, \.rollout.zeroStdGroups, \.rollout.correctSum, \.rollout.totalSum,
         \.rollout.allSolvedGroups, \.rollout.noneSolvedGroups, \.rollout.scoredLengthSum]
    }

    /// The scalars as one vector: the fixed fields, then ``RolloutSums/componentSums``, then
    /// ``RolloutSums/digestSlots``.
    public var packed: [Double] {
        Self.fixedFields.map { self[keyPath: $0] } + rollout.componentSums + rollout.digestSlots
    }

    /// The scalars from a vector laid out as ``packed`` with `rewardComponents` reward components
    /// and `digestSlots` digest slots.
    public init(packed values: [Double], rewardComponents: Int, digestSlots: Int) {
        let fixed = Self.fixedFields
        precondition(values.count == fixed.count + rewardComponents + digestSlots,
                     "StepScalars: \(values.count) values, expected \(fixed.count) + \(rewardComponents) + \(digestSlots)")
        let components = values[fixed.count..<(fixed.count + rewardComponents)]
        self.init(rollout: RolloutSums(componentSums: Array(components),
                                       digestSlots: Array(values[(fixed.count + rewardComponents)...])))
        for (field, value) in zip(fixed, values) {
            self[keyPath: field] = value
        }
    }
}
