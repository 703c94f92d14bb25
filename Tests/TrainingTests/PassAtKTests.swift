import Testing
import Training

/// pass@k against values worked out by hand from the unbiased estimator `1 - C(n-c, k)/C(n, k)`.
@Suite struct PassAtKTests {
    @Test func theEstimatorMatchesHandComputedValues() {
        // n = 4 samples; problems solved 0, 1, 2 and 4 times.
        let pass = PassAtK(samples: 4, solved: [0, 1, 2, 4])
        // pass@1 is the mean share of solving samples; pass@4 the share of problems solved at all.
        #expect(abs(pass.estimate(k: 1).accuracy - (0 + 0.25 + 0.5 + 1) / 4) < 1e-12)
        #expect(abs(pass.estimate(k: 4).accuracy - 0.75) < 1e-12)
        // pass@2: 0, 1 - C(3,2)/C(4,2) = 1/2, 1 - C(2,2)/C(4,2) = 5/6, 1.
        let two = [0, 0.5, 5.0 / 6, 1]
        #expect(abs(pass.estimate(k: 2).accuracy - two.reduce(0, +) / 4) < 1e-12)
        // Its standard error: the sample standard deviation of the per-problem values over sqrt(n).
        let mean = two.reduce(0, +) / 4
        let sd = (two.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 3).squareRoot()
        #expect(abs(pass.estimate(k: 2).standardError - sd / 2) < 1e-12)
        #expect(pass.estimate(k: 2).problems == 4)
    }
}
