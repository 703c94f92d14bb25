import Records
import Tasks
import Testing
import Training

/// Scalars with a different value in every field: 17 fixed fields, two reward components, three
/// digest slots.
private func distinctScalars(offset: Double) -> StepScalars {
    var statistics = ObjectiveStatistics()
    (statistics.lossSum, statistics.clippedCount, statistics.clipCandidates) = (offset + 1, offset + 2, offset + 3)
    (statistics.klSum, statistics.klCount) = (offset + 4, offset + 5)
    var rollout = RolloutSums(componentSums: [offset + 18, offset + 19], digestSlots: [offset + 20, offset + 21, offset + 22])
    (rollout.rewardSum, rollout.responses, rollout.groupStdSum) = (offset + 8, offset + 9, offset + 10)
    (rollout.groups, rollout.zeroStdGroups, rollout.scoredLengthSum) = (offset + 11, offset + 12, offset + 13)
    (rollout.correctSum, rollout.totalSum) = (offset + 14, offset + 15)
    (rollout.allSolvedGroups, rollout.noneSolvedGroups) = (offset + 16, offset + 17)
    return StepScalars(statistics: statistics, units: offset + 6, stopVotes: offset + 7, rollout: rollout)
}

@Test func stepScalarsRoundTripThroughTheirPackedVector() {
    let scalars = distinctScalars(offset: 0)
    let packed = scalars.packed
    #expect(packed.count == 17 + 2 + 3)
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
    #expect(summed.rollout.correctSum == 128 && summed.rollout.noneSolvedGroups == 134)
    #expect(summed.rollout.componentSums == [136, 138] && summed.rollout.digestSlots == [140, 142, 144])
}

@Test func rolloutSumsGiveTheStepsRolloutMetrics() {
    let names = ["a", "b"]
    func score(_ reward: Double, correct: Double = 0, total: Double = 1) -> TaskScore {
        TaskScore(reward: reward, components: ["a": reward, "b": 2 * reward], correct: correct, total: total)
    }
    var sums = RolloutSums(componentSums: [0, 0], digestSlots: [0, 0])
    // Group 1: rewards 1, 2, 3 (unbiased std 1), one of three solved; group 2: rewards 5, 5 (std 0),
    // both solved (4 of 4 cells, 2 of 2); group 3: nothing solved (3 of 4 cells right).
    sums.add(scores: [score(1), score(2), score(3, correct: 1)], isZeroStd: false, scoredLengths: [4, 5, 6], rewardNames: names)
    sums.add(scores: [score(5, correct: 4, total: 4), score(5, correct: 2, total: 2)], isZeroStd: true,
             scoredLengths: [2, 3], rewardNames: names)
    sums.add(scores: [score(0, correct: 3, total: 4)], isZeroStd: true, scoredLengths: [0], rewardNames: names)
    var metrics = MetricsRecord(step: 1)
    sums.record(into: &metrics, rewardNames: names)
    #expect(metrics["reward"] == 16.0 / 6)
    #expect(metrics["reward_std"] == 1.0 / 3)
    #expect(metrics["rewards/a/mean"] == 16.0 / 6 && metrics["rewards/b/mean"] == 32.0 / 6)
    #expect(metrics["frac_reward_zero_std"] == 2.0 / 3)
    #expect(metrics["completions/mean_length"] == 20.0 / 6)
    #expect(metrics["rollout/accuracy"] == 10.0 / 13, "correct over total: (1 + 4 + 2 + 3) / (3 + 4 + 2 + 4)")
    #expect(metrics["rollout/frac_all_solved"] == 1.0 / 3 && metrics["rollout/frac_none_solved"] == 1.0 / 3)
    #expect(metrics["rollout_hash"] != nil)
}
