import Foundation

/// Student's t distribution: its distribution function and quantiles, for confidence intervals
/// over a handful of seeds.
///
/// The distribution function is the regularized incomplete beta function,
/// `P(T <= t) = 1 - I_x(ν/2, 1/2) / 2` with `x = ν / (ν + t²)` for t >= 0, evaluated by its
/// continued fraction (modified Lentz); the quantile inverts it by bisection to full double
/// precision. Degrees of freedom may be fractional (Welch's test gives such).
public enum StudentT {
    /// `P(T <= t)` for `degreesOfFreedom` > 0.
    public static func cdf(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(nu > 0, "StudentT: degrees of freedom must be positive, got \(nu)")
        if t == 0 { return 0.5 }
        let tail = 0.5 * regularizedIncompleteBeta(nu / (nu + t * t), a: nu / 2, b: 0.5)
        return t > 0 ? 1 - tail : tail
    }

    /// The `p` quantile (0 < p < 1) for `degreesOfFreedom` > 0.
    public static func quantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(p > 0 && p < 1, "StudentT: probability must be in (0, 1), got \(p)")
        if p == 0.5 { return 0 }
        if p < 0.5 { return -quantile(1 - p, degreesOfFreedom: nu) }
        var low = 0.0, high = 1.0
        while cdf(high, degreesOfFreedom: nu) < p { high *= 2 }
        for _ in 0..<200 {
            let middle = 0.5 * (low + high)
            if middle == low || middle == high { break }
            if cdf(middle, degreesOfFreedom: nu) < p { low = middle } else { high = middle }
        }
        return 0.5 * (low + high)
    }

    /// The half-width multiplier of a two-sided `level` interval: the `(1 + level) / 2` quantile.
    public static func criticalValue(level: Double, degreesOfFreedom nu: Double) -> Double {
        quantile((1 + level) / 2, degreesOfFreedom: nu)
    }

    /// `I_x(a, b)`, the regularized incomplete beta function, for 0 <= x <= 1 and a, b > 0.
    static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        // The continued fraction converges fast for x < (a + 1) / (a + b + 2); otherwise use symmetry.
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * continuedFraction(x, a: a, b: b) / a
        }
        return 1 - exp(logFront) * continuedFraction(1 - x, a: b, b: a) / b
    }

    /// The continued fraction of the incomplete beta function (modified Lentz's method).
    private static func continuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var result = d
        for m in 1...10_000 {
            let m = Double(m)
            // Even step.
            var numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            result *= d * c
            // Odd step.
            numerator = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            result *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return result
    }
}
