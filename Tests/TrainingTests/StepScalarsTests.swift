import Records
import Tasks
import Testing
import Training

/// Scalars with a different value in every field: 13 fixed fields, two reward components, three
/// digest slots.
private func distinctScalars(offset: Double) -> StepScalars {
    var statistics = ObjectiveStatistics()
    (statistics.lossSum, statistics.clippedCount, statistics.clipCandidates) = (offset + 1, offset + 2, offset + 3)
    (statistics.klSum, statistics.klCount) = (offset + 4, offset + 5)
    var rollout = RolloutSums(componentSums: [offset + 14, offset + 15], digestSlots: [offset + 16, offset + 17, offset + 18])
    (rollout.rewardSum, rollout.responses, rollout.groupStdSum) = (offset + 8, offset + 9, offset + 10)
    (rollout.groups, rollout.zeroStdGroups, rollout.scoredLengthSum) = (offset + 11, offset + 12, offset + 13)
    return StepScalars(statistics: statistics, units: offset + 6, stopVotes: offset + 7, rollout: rollout)
}

@Test func stepScalarsRoundTripThroughTheirPackedVector() {
    let scalars = distinctScalars(offset: 0)
    let packed = scalars.packed
    #expect(packed.count == 13 + 2 + 3)
    #expect(Set(packed).count == packed.count, "every field is packed once")
    #expect(StepScalars(packed: packed, rewardComponents: 2, digestSlots: 3) == scalars)
}

@Test func theSumOfPackedScalarsUnpacksToTheFieldWiseSums() {
    // What the all-reduce does: two ranks' packed vectors summed element by element.
    let (a, b) = (distinctScalars(offset: 0), distinctScalars(offset: 100))
    let summed = StepScalars(packed: zip(a.packed, b.packed).map { $0 + $1 }, rewardComponents: 2, digestSlots: 3)
    var statistics = a.statistics
    statistics.add(b.statistics)
    #expect(summed.statistics == statistics)
    #expect(summed.units == a.units + b.units && summed.stopVotes == 114)
    #expect(summed.rollout.rewardSum == 116 && summed.rollout.scoredLengthSum == 126)
    #expect(summed.rollout.componentSums == [128, 130] && summed.rollout.digestSlots == [132, 134, 136])
}

@Test func rolloutSumsGiveTheStepsRolloutMetrics() {
    let names = ["a", "b"]
    func score(_ reward: Double) -> TaskScore {
        TaskScore(reward: reward, components: ["a": reward, "b": 2 * reward], correct: 0, total: 1)
    }
    var sums = RolloutSums(componentSums: [0, 0], digestSlots: [0, 0])
    // Group 1: rewards 1, 2, 3 (unbiased std 1); group 2: rewards 5, 5 (std 0).
    sums.add(scores: [score(1), score(2), score(3)], isZeroStd: false, scoredLengths: [4, 5, 6], rewardNames: names)
    sums.add(scores: [score(5), score(5)], isZeroStd: true, scoredLengths: [2, 3], rewardNames: names)
    var metrics = MetricsRecord(step: 1)
    sums.record(into: &metrics, rewardNames: names)
    #expect(metrics["reward"] == 16.0 / 5)
    #expect(metrics["reward_std"] == 0.5)
    #expect(metrics["rewards/a/mean"] == 16.0 / 5 && metrics["rewards/b/mean"] == 32.0 / 5)
    #expect(metrics["frac_reward_zero_std"] == 0.5)
    #expect(metrics["completions/mean_length"] == 4)
    #expect(metrics["rollout_hash"] != nil)
}
