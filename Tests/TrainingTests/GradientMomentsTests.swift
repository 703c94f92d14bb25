import Base
import Testing
import Training

/// The per-parameter moments of a gradient-quality study against the textbook formulas.
@Suite struct GradientMomentsTests {
    @Test func momentsMatchTheDirectFormulas() {
        let gradients: [[Float]] = [[1, -2, 0.5], [3, -2, 1.5], [2, 0, -1], [0.5, 4, 2]]
        var moments = GradientMoments(parameters: 3)
        for g in gradients {
            let buffer = FlatBuffer(count: 3)
            for i in 0..<3 { buffer.pointer[i] = g[i] }
            moments.add(buffer)
        }
        let n = Double(gradients.count)
        let mean = (0..<3).map { i in gradients.reduce(0) { $0 + Double($1[i]) } / n }
        let variance = (0..<3).map { i in gradients.reduce(0) { $0 + (Double($1[i]) - mean[i]) * (Double($1[i]) - mean[i]) } / (n - 1) }
        for i in 0..<3 { #expect(abs(moments.mean[i] - mean[i]) < 1e-12) }
        #expect(abs(moments.totalVariance - variance.reduce(0, +)) < 1e-12)
        #expect(abs(moments.squaredMeanNorm - mean.reduce(0) { $0 + $1 * $1 }) < 1e-12)

        // std_i / |theta_i| over the parameters with theta != 0 (the second is skipped): the median of two.
        let theta = FlatBuffer(count: 3)
        theta.pointer[0] = 2; theta.pointer[1] = 0; theta.pointer[2] = -0.5
        let ratios = [variance[0].squareRoot() / 2, variance[2].squareRoot() / 0.5]
        #expect(abs(moments.medianRelativeStd(theta: theta) - (ratios[0] + ratios[1]) / 2) < 1e-12)

        var other = GradientMoments(parameters: 3)
        other.add(FlatBuffer(count: 3))
        #expect(abs(moments.squaredDistance(to: other) - moments.squaredMeanNorm) < 1e-12)
    }
}
