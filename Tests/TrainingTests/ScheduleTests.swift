import Testing
import Training

@Test func warmUpThenCosineDecay() {
    let schedule = LearningRateSchedule(peak: 1e-3, warmupUpdates: 4, totalUpdates: 12, shape: .cosine)
    #expect(schedule.rate(update: 1) == 2.5e-4)
    #expect(schedule.rate(update: 4) == 1e-3)
    #expect(abs(schedule.rate(update: 8) - 5e-4) < 1e-12)
    #expect(abs(schedule.rate(update: 12)) < 1e-15)
    let constant = LearningRateSchedule(peak: 1e-3, warmupUpdates: 0, totalUpdates: 12, shape: .constant)
    #expect(constant.rate(update: 1) == 1e-3 && constant.rate(update: 12) == 1e-3)
}

@Test func promptsAreShardedByGlobalIndex() {
    let ranks = (0..<3).map { PromptSchedule(promptsPerStep: 8, worldSize: 3, rank: $0) }
    #expect(ranks[0].localPositions == [0, 3, 6])
    #expect(ranks[2].localPositions == [2, 5])
    #expect(Set(ranks.flatMap(\.localPositions)) == Set(0..<8))
    #expect(ranks[1].problemIndex(step: 3, position: 4) == 20)
    #expect(ranks[1].promptsConsumed(afterStep: 3) == 24)
}
