/// Sums an objective pass reports, reduced over micro-batches and ranks before they become the
/// step's `loss`, `clip_ratio` and `kl`.
public struct ObjectiveStatistics: Sendable, Equatable {
    /// The sum of the per-unit losses (per response for the ELBO objectives, per token for
    /// diffu-GRPO); the loss is this divided by the global unit count.
    public var lossSum: Double = 0
    /// How many terms (samples or tokens) had their gradient cut by a clip.
    public var clippedCount: Double = 0
    /// How many terms went through a clip (0 when the objective clips nothing).
    public var clipCandidates: Double = 0
    /// The sum of the KL estimates: k3 against the reference per token (diffu-GRPO with beta > 0),
    /// `B_old - B_theta` per response (ELBO objectives).
    public var klSum: Double = 0
    /// How many KL estimates ``klSum`` holds.
    public var klCount: Double = 0

    /// Creates empty statistics.
    public init() {}

    /// Adds `other` term by term.
    public mutating func add(_ other: ObjectiveStatistics) {
        lossSum += other.lossSum
        clippedCount += other.clippedCount
        clipCandidates += other.clipCandidates
        klSum += other.klSum
        klCount += other.klCount
    }
}

/// The reference code's per-sample PPO clip of BGPO (`bgpo_clip`), or diffu-GRPO's token clip.
public struct PPOClip: Sendable, Equatable {
    /// epsilon: the ratio is clipped to `[1 - epsilon, 1 + epsilon]`.
    public var epsilon: Double
    /// c: for A < 0 the per-sample loss is capped at `-A * c` (dual clip); nil turns it off.
    public var dualClip: Double?

    /// Creates a clip.
    public init(epsilon: Double, dualClip: Double?) {
        self.epsilon = epsilon
        self.dualClip = dualClip
    }

    /// The clipped surrogate loss of ratio `rho` with advantage `a`, and whether its gradient with
    /// respect to `rho` is zero because a clip is active:
    /// `max(-a rho, -a clip(rho, 1-eps, 1+eps))`, then `min(loss, -a c)` when `a < 0`.
    public func loss(ratio rho: Double, advantage a: Double) -> (value: Double, clipped: Bool) {
        let unclipped = -a * rho
        let bounded = -a * min(max(rho, 1 - epsilon), 1 + epsilon)
        var value = unclipped
        var clipped = false
        if bounded > unclipped {
            value = bounded
            clipped = true
        }
        if a < 0, let c = dualClip, -a * c < value {
            value = -a * c
            clipped = true
        }
        return (value, clipped)
    }
}
