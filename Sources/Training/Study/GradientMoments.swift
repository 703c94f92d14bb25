import Base

/// Per-parameter running mean and variance of repeated gradients (Welford's update, in Double),
/// and the summaries a gradient-quality study reports.
public struct GradientMoments {
    /// Gradients added so far.
    public private(set) var count = 0
    /// Per parameter: the mean of the gradients added.
    public private(set) var mean: [Double]
    /// Per parameter: the sum of squared deviations from the mean.
    private var squaredDeviations: [Double]

    /// Moments of gradients of `parameters` elements.
    public init(parameters: Int) {
        mean = [Double](repeating: 0, count: parameters)
        squaredDeviations = mean
    }

    /// Adds one gradient (`[parameters]`).
    public mutating func add(_ gradient: FlatBuffer) {
        precondition(gradient.count == mean.count, "GradientMoments.add: gradient of the wrong size")
        count += 1
        let n = Double(count), g = gradient.pointer
        for i in mean.indices {
            let delta = Double(g[i]) - mean[i]
            mean[i] += delta / n
            squaredDeviations[i] += delta * (Double(g[i]) - mean[i])
        }
    }

    /// Sum over parameters of the unbiased per-parameter variance (the trace of the gradient's
    /// covariance); needs two gradients or more.
    public var totalVariance: Double {
        precondition(count >= 2, "GradientMoments.totalVariance: needs two gradients")
        return squaredDeviations.reduce(0, +) / Double(count - 1)
    }

    /// The median over parameters with `theta[i] != 0` of `std_i / |theta_i|`: the per-parameter
    /// standard deviation normalised by the parameter's magnitude.
    public func medianRelativeStd(theta: FlatBuffer) -> Double {
        precondition(count >= 2 && theta.count == mean.count, "GradientMoments.medianRelativeStd: two gradients of theta's size")
        var ratios: [Double] = []
        ratios.reserveCapacity(mean.count)
        for i in mean.indices where theta.pointer[i] != 0 {
            ratios.append((squaredDeviations[i] / Double(count - 1)).squareRoot() / Double(abs(theta.pointer[i])))
        }
        guard !ratios.isEmpty else { return .nan }
        ratios.sort()
        return ratios.count % 2 == 1 ? ratios[ratios.count / 2] : (ratios[ratios.count / 2 - 1] + ratios[ratios.count / 2]) / 2
    }

    /// Squared Euclidean distance between this mean and `other`'s.
    public func squaredDistance(to other: GradientMoments) -> Double {
        precondition(other.mean.count == mean.count, "GradientMoments.squaredDistance: sizes differ")
        var sum = 0.0
        for i in mean.indices { sum += (mean[i] - other.mean[i]) * (mean[i] - other.mean[i]) }
        return sum
    }

    /// Squared Euclidean norm of the mean.
    public var squaredMeanNorm: Double { mean.reduce(0) { $0 + $1 * $1 } }
}
