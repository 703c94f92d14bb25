import Base
import Foundation
import Records
import Testing

/// Student t quantiles, seed summaries, group differences and accuracy standard errors against
/// numbers computed once with SciPy 1.17 (`scipy.stats.t.ppf(0.975, df)`, `t.cdf`, numpy's
/// `std(ddof=1)`), written here.
struct StudyStatisticsTests {
    @Test(arguments: [(1.0, 12.706204736174694), (2.0, 4.302652729749462), (4.0, 2.7764451051977934),
                      (9.0, 2.262157162798205), (30.0, 2.0422724563012378), (3.5, 2.9400886379827282)])
    func tQuantilesMatchSciPy(_ df: Double, _ expected: Double) {
        let q = StudentT.quantile(0.975, degreesOfFreedom: df)
        #expect(abs(q - expected) <= 1e-10 * expected, "df \(df): \(q) vs \(expected)")
        #expect(abs(StudentT.quantile(0.025, degreesOfFreedom: df) + expected) <= 1e-10 * expected)
        #expect(abs(StudentT.cdf(q, degreesOfFreedom: df) - 0.975) < 1e-13)
    }

    @Test func tDistributionFunctionMatchesSciPy() {
        // scipy.stats.t.cdf(1.5, 7)
        #expect(abs(StudentT.cdf(1.5, degreesOfFreedom: 7) - 0.911350756505015) < 1e-13)
        #expect(abs(StudentT.cdf(-1.5, degreesOfFreedom: 7) - (1 - 0.911350756505015)) < 1e-13)
        #expect(StudentT.cdf(0, degreesOfFreedom: 3) == 0.5)
    }

    @Test func seedSummaryIsTheTInterval() {
        let summary = SeedSummary(values: [1, 2, 3, 4, 5])
        #expect(summary.mean == 3)
        #expect(abs(summary.standardDeviation - 2.5.squareRoot()) < 1e-15)
        // 2.7764451051977934 * std([1..5], ddof=1) / sqrt(5)
        #expect(abs(summary.halfWidth! - 1.9632431614775572) < 1e-12)
        #expect(SeedSummary(values: [0.4]).halfWidth == nil)
    }

    @Test func pairedDifferenceUsesTheSeedPairs() {
        let d = GroupDifference(a: [0: 1, 1: 2, 2: 3], b: [0: 2, 1: 4, 2: 3])
        #expect(d.method == .paired && d.pairs == 3 && d.degreesOfFreedom == 2)
        #expect(d.difference == 1)
        // 4.302652729749462 * std([1, 2, 0], ddof=1) / sqrt(3)
        #expect(abs(d.halfWidth! - 2.4841377117503303) < 1e-12)
    }

    @Test func welchDifferenceForDifferentSeeds() {
        let d = GroupDifference(a: [0: 1, 1: 2, 2: 3], b: [3: 2, 4: 4, 5: 6, 6: 8])
        #expect(d.method == .welch)
        #expect(d.difference == 3)
        // Welch–Satterthwaite df and t.ppf(0.975, df) * sqrt(va + vb) with numpy
        #expect(abs(d.degreesOfFreedom! - 4.075471698113207) < 1e-12)
        #expect(abs(d.halfWidth! - 3.897975451083129) < 1e-10)
    }

    @Test func accuracyStandardErrorIsBinomialForRightOrWrongProblems() {
        let scores = (0..<200).map { (correct: $0 % 4 == 0 ? 1.0 : 0.0, total: 1.0) }
        let estimate = AccuracyEstimate(sums: AccuracySums(scores: scores))
        #expect(estimate.accuracy == 0.25 && estimate.problems == 200)
        #expect(abs(estimate.standardError - (0.25 * 0.75 / 200).squareRoot()) < 1e-15)
        #expect(estimate.summary == "0.2500 ± 0.0306 (SE, n = 200)")
    }

    @Test func accuracyStandardErrorTakesProblemsAsUnits() {
        // Three puzzles, (correct, total) = (8, 8), (0, 8), (4, 4): p = 12 / 20 = 0.6,
        // residuals c - p t = 3.2, -4.8, 1.6, SE = sqrt(10.24 + 23.04 + 2.56) / 20.
        let estimate = AccuracyEstimate(sums: AccuracySums(scores: [(correct: 8, total: 8), (correct: 0, total: 8),
                                                                    (correct: 4, total: 4)]))
        #expect(abs(estimate.accuracy - 0.6) < 1e-15)
        #expect(abs(estimate.standardError - 35.84.squareRoot() / 20) < 1e-14)
        // The sums add up over ranks.
        let split = AccuracySums(packed: zip(AccuracySums(scores: [(correct: 8.0, total: 8.0)]).packed,
                                             AccuracySums(scores: [(correct: 0.0, total: 8.0), (correct: 4.0, total: 4.0)]).packed)
                                         .map { $0 + $1 })
        #expect(AccuracyEstimate(sums: split) == estimate)
    }
}
