import Testing
import Training

@Test func groupNormalisedAdvantagesUseTheUnbiasedStd() {
    let group = GroupAdvantages(rewards: [1, 0, 0, 0], scaleRewards: true)
    // mean 0.25, unbiased variance (0.5625 + 3 * 0.0625) / 3 = 0.25, std 0.5.
    #expect(!group.isZeroStd)
    #expect(abs(group.values[0] - 0.75 / (0.5 + 1e-6)) < 1e-12)
    #expect(abs(group.values[1] + 0.25 / (0.5 + 1e-6)) < 1e-12)
    #expect(abs(group.values.reduce(0, +)) < 1e-12)
}

@Test func meanOnlyAdvantagesSubtractTheMean() {
    let group = GroupAdvantages(rewards: [1, 0.1, 0.1, 0], scaleRewards: false)
    #expect(abs(group.values[0] - 0.7) < 1e-12)
    #expect(abs(group.values[3] + 0.3) < 1e-12)
}

@Test(arguments: [true, false])
func allEqualRewardsGiveExactlyZero(scale: Bool) {
    let group = GroupAdvantages(rewards: [0.1, 0.1, 0.1], scaleRewards: scale)
    #expect(group.isZeroStd)
    #expect(group.values == [0, 0, 0])
}
