import Records

/// What one RL step reports.
public struct StepReport: Sendable {
    /// The step's metrics (everything but evaluation and checkpoint timing).
    public var metrics: MetricsRecord
    /// Whether some rank asked to stop (signal or time limit), agreed in the step's all-reduce.
    public var stopRequested: Bool
    /// Each optimiser update of the step, in order (iteration-major, then mini-batch).
    public var updates: [UpdateReport]
}

/// What one optimiser update of an RL step saw, reduced over the ranks.
public struct UpdateReport: Sendable {
    /// The objective's statistics of the update's mini-batch.
    public var statistics: ObjectiveStatistics
    /// The count N the loss and the gradient were divided by (responses, or the diffu-GRPO
    /// `loss_type`'s count).
    public var units: Double
    /// The norm of the gradient after the division by N, before clipping.
    public var gradientNorm: Double
}
