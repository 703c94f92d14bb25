/// Group-relative advantages of the responses to one prompt (docs/algorithm.md §4).
public struct GroupAdvantages: Sendable, Equatable {
    /// One advantage per response, in the group's order.
    public var values: [Double]
    /// Whether every reward of the group was equal; such a group has all advantages 0 and
    /// contributes nothing to the gradient (counted in `frac_reward_zero_std`).
    public var isZeroStd: Bool

    /// Computes the advantages of one group of rewards.
    ///
    /// - Parameters:
    ///   - rewards: the rewards of the group's responses (at least one).
    ///   - scaleRewards: `true` for `(r - mean) / (std + 1e-6)` with the unbiased standard
    ///     deviation (the paper's default), `false` for `r - mean` (d1).
    public init(rewards: [Double], scaleRewards: Bool) {
        precondition(!rewards.isEmpty, "a group has at least one response")
        let first = rewards[0]
        if rewards.allSatisfy({ $0 == first }) {
            // Exactly zero, whatever rounding `r - mean` would leave behind.
            values = Array(repeating: 0, count: rewards.count)
            isZeroStd = true
            return
        }
        let n = Double(rewards.count)
        let mean = rewards.reduce(0, +) / n
        isZeroStd = false
        guard scaleRewards else {
            values = rewards.map { $0 - mean }
            return
        }
        // Unequal rewards imply at least two responses, so n - 1 > 0.
        let variance = rewards.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        let scale = variance.squareRoot() + 1e-6
        values = rewards.map { ($0 - mean) / scale }
    }
}
