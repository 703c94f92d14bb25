import Records
import Tasks

/// The sums behind one step's rollout metrics over the groups a rank rolled out; the update's
/// all-reduce (``StepScalars``) sums them over the ranks before ``record(into:rewardNames:)``.
public struct RolloutSums: Sendable, Equatable {
    /// The sum of the rewards.
    public var rewardSum = 0.0
    /// The number of responses.
    public var responses = 0.0
    /// The sum of the groups' reward standard deviations (unbiased; 0 for a group of one).
    public var groupStdSum = 0.0
    /// The number of groups (prompts).
    public var groups = 0.0
    /// The number of groups whose rewards were all equal.
    public var zeroStdGroups = 0.0
    /// The sums of the responses' ``TaskScore/correct`` and ``TaskScore/total``.
    public var correctSum = 0.0, totalSum = 0.0
    /// The number of groups every response of which solved its problem whole (`correct == total`),
    /// and of those none of which did: the two kinds of equal-reward group a task with a solved /
    /// unsolved reward has.
    public var allSolvedGroups = 0.0, noneSolvedGroups = 0.0
    /// The sum of the responses' scored lengths (up to and including the first EOS).
    public var scoredLengthSum = 0.0
    /// Per reward component of the task, in its `rewardNames` order, the sum of its values.
    public var componentSums: [Double]
    /// The ``RolloutDigest`` slots of the step's prompts.
    public var digestSlots: [Double]

    /// Sums with the given reward-component sums and digest slots, the other fields zero.
    public init(componentSums: [Double], digestSlots: [Double]) {
        self.componentSums = componentSums
        self.digestSlots = digestSlots
    }

    /// Adds one prompt's group: its responses' scores, whether its rewards were all equal, and
    /// its responses' scored lengths.
    public mutating func add(scores: [TaskScore], isZeroStd: Bool, scoredLengths: [Int], rewardNames: [String]) {
        let rewards = scores.map(\.reward)
        let n = Double(rewards.count)
        let mean = rewards.reduce(0, +) / n
        let variance = rewards.count > 1 ? rewards.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1) : 0
        rewardSum += rewards.reduce(0, +)
        responses += n
        groupStdSum += variance.squareRoot()
        groups += 1
        zeroStdGroups += isZeroStd ? 1 : 0
        correctSum += scores.reduce(0) { $0 + $1.correct }
        totalSum += scores.reduce(0) { $0 + $1.total }
        let solved = scores.filter { $0.correct == $0.total }.count
        allSolvedGroups += solved == scores.count ? 1 : 0
        noneSolvedGroups += solved == 0 ? 1 : 0
        scoredLengthSum += scoredLengths.reduce(0) { $0 + Double($1) }
        for (c, name) in rewardNames.enumerated() {
            componentSums[c] += scores.reduce(0) { $0 + ($1.components[name] ?? 0) }
        }
    }

    /// Writes the step's rollout metrics (means over responses or groups, the rollout hash) from
    /// the sums over all ranks.
    public func record(into metrics: inout MetricsRecord, rewardNames: [String]) {
        metrics["reward"] = rewardSum / responses
        metrics["reward_std"] = groupStdSum / groups
        for (c, name) in rewardNames.enumerated() {
            metrics["rewards/\(name)/mean"] = componentSums[c] / responses
        }
        metrics["frac_reward_zero_std"] = zeroStdGroups / groups
        metrics["rollout/accuracy"] = totalSum > 0 ? correctSum / totalSum : 0
        metrics["rollout/frac_all_solved"] = allSolvedGroups / groups
        metrics["rollout/frac_none_solved"] = noneSolvedGroups / groups
        metrics["completions/mean_length"] = scoredLengthSum / responses
        metrics["rollout_hash"] = RolloutDigest.combine(digestSlots)
    }
}
