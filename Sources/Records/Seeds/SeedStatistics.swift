import Foundation

/// The mean of a metric over seeds with its two-sided confidence interval (Student's t with
/// n − 1 degrees of freedom), and the values it came from.
public struct SeedSummary: Sendable, Equatable {
    /// The values, one per seed, in the order given.
    public var values: [Double]
    /// The mean of ``values``.
    public var mean: Double
    /// The sample standard deviation (n − 1 in the denominator); 0 for one value.
    public var standardDeviation: Double
    /// Half the width of the confidence interval: `t_{(1+level)/2, n-1} · sd / sqrt(n)`; nil for
    /// fewer than two values.
    public var halfWidth: Double?
    /// The interval's level, e.g. 0.95.
    public var level: Double

    /// The summary of `values` (at least one) at confidence `level`.
    public init(values: [Double], level: Double = 0.95) {
        precondition(!values.isEmpty, "SeedSummary: no values")
        self.values = values
        self.level = level
        let n = Double(values.count)
        mean = values.reduce(0, +) / n
        let mean = mean
        let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        standardDeviation = values.count > 1 ? (squares / (n - 1)).squareRoot() : 0
        halfWidth = values.count > 1
            ? StudentT.criticalValue(level: level, degreesOfFreedom: n - 1) * standardDeviation / n.squareRoot()
            : nil
    }

    /// The number of values.
    public var count: Int { values.count }
}

/// The difference of two groups' means (b − a) with its confidence interval.
///
/// When both groups hold the same seeds the comparison is paired by seed (the t interval of the
/// per-seed differences, n − 1 degrees of freedom), which removes what the seeds share (for
/// example the prompts a seed draws); otherwise it is Welch's interval for two independent samples
/// (Welch–Satterthwaite degrees of freedom).
public struct GroupDifference: Sendable, Equatable {
    /// How the interval was formed.
    public enum Method: String, Sendable {
        /// Paired by seed.
        case paired
        /// Welch's unequal-variance interval.
        case welch
    }

    /// `mean(b) − mean(a)`.
    public var difference: Double
    /// Half the width of the interval; nil when there are too few values.
    public var halfWidth: Double?
    /// The degrees of freedom of the t quantile; nil when there are too few values.
    public var degreesOfFreedom: Double?
    /// Paired or Welch.
    public var method: Method
    /// The number of seed pairs (paired), or 0 (Welch).
    public var pairs: Int
    /// The interval's level.
    public var level: Double

    /// The difference b − a of values keyed by seed; paired when the two seed sets are equal.
    public init(a: [Int: Double], b: [Int: Double], level: Double = 0.95) {
        precondition(!a.isEmpty && !b.isEmpty, "GroupDifference: a group without values")
        self.level = level
        if Set(a.keys) == Set(b.keys) {
            let differences = a.keys.sorted().map { b[$0]! - a[$0]! }
            let summary = SeedSummary(values: differences, level: level)
            method = .paired
            pairs = differences.count
            difference = summary.mean
            halfWidth = summary.halfWidth
            degreesOfFreedom = differences.count > 1 ? Double(differences.count - 1) : nil
            return
        }
        let sa = SeedSummary(values: a.keys.sorted().map { a[$0]! }, level: level)
        let sb = SeedSummary(values: b.keys.sorted().map { b[$0]! }, level: level)
        method = .welch
        pairs = 0
        difference = sb.mean - sa.mean
        guard sa.count > 1, sb.count > 1 else {
            halfWidth = nil
            degreesOfFreedom = nil
            return
        }
        let va = sa.standardDeviation * sa.standardDeviation / Double(sa.count)
        let vb = sb.standardDeviation * sb.standardDeviation / Double(sb.count)
        let se = (va + vb).squareRoot()
        guard se > 0 else {
            halfWidth = 0
            degreesOfFreedom = Double(sa.count + sb.count - 2)
            return
        }
        let df = (va + vb) * (va + vb) / (va * va / Double(sa.count - 1) + vb * vb / Double(sb.count - 1))
        degreesOfFreedom = df
        halfWidth = StudentT.criticalValue(level: level, degreesOfFreedom: df) * se
    }
}
