import Base
import Foundation

/// An accuracy with its standard error and the number of problems it was measured on.
///
/// The accuracy is the ratio `p = sum(c_i) / sum(t_i)` of correct parts `c_i` to totals `t_i` over
/// n problems. Its standard error takes the problems as the independent units (the delta method
/// for a ratio estimator): `sqrt(sum((c_i - p t_i)^2)) / sum(t_i)`. When every problem counts one
/// and is right or wrong (countdown, gsm8k) this is the binomial standard error
/// `sqrt(p (1 - p) / n)`; for sudoku, where a problem's empty cells are scored together, it
/// accounts for cells of one puzzle being right or wrong together.
public struct AccuracyEstimate: Sendable, Equatable {
    /// `sum(correct) / sum(total)`, 0 when the total is 0.
    public var accuracy: Double
    /// The standard error of ``accuracy`` (0 when the total is 0).
    public var standardError: Double
    /// The number of problems.
    public var problems: Int

    /// An estimate from its parts.
    public init(accuracy: Double, standardError: Double, problems: Int) {
        self.accuracy = accuracy
        self.standardError = standardError
        self.problems = problems
    }

    /// The estimate from the per-problem sums (which add up over ranks).
    public init(sums: AccuracySums) {
        problems = Int(sums.problems.rounded())
        guard sums.total > 0 else {
            accuracy = 0
            standardError = 0
            return
        }
        let p = sums.correct / sums.total
        // sum((c - p t)^2) expanded; rounding can leave a tiny negative value.
        let squares = sums.correctSquared - 2 * p * sums.correctTimesTotal + p * p * sums.totalSquared
        accuracy = p
        standardError = squares > 0 ? squares.squareRoot() / sums.total : 0
    }

    /// The estimate a metrics record holds (`eval/accuracy`, `eval/accuracy_se`, `eval/problems`),
    /// or nil without `eval/accuracy`; records written before the standard error was logged give
    /// NaN for it and 0 problems.
    public init?(record: MetricsRecord) {
        guard let accuracy = record["eval/accuracy"] else { return nil }
        self.init(accuracy: accuracy, standardError: record["eval/accuracy_se"] ?? .nan,
                  problems: Int(exactly: (record["eval/problems"] ?? 0).rounded()) ?? 0)
    }

    /// `0.1234 ± 0.0103 (SE, n = 1024)`: the accuracy, its standard error and the number of problems.
    public var summary: String {
        String(format: "%.4f ± %.4f (SE, n = %d)", accuracy, standardError, problems)
    }
}

/// The sums over problems that an ``AccuracyEstimate`` needs; they add up over ranks.
public struct AccuracySums: FieldwiseSums, Sendable, Equatable {
    /// The number of problems.
    public var problems = 0.0
    /// `sum(c_i)`.
    public var correct = 0.0
    /// `sum(t_i)`.
    public var total = 0.0
    /// `sum(c_i^2)`.
    public var correctSquared = 0.0
    /// `sum(c_i t_i)`.
    public var correctTimesTotal = 0.0
    /// `sum(t_i^2)`.
    public var totalSquared = 0.0

    /// Empty sums.
    public init() {}

    /// The sums over `scores`, each a problem's (correct, total).
    public init<S: Sequence>(scores: S) where S.Element == (correct: Double, total: Double) {
        for (c, t) in scores {
            problems += 1
            correct += c
            total += t
            correctSquared += c * c
            correctTimesTotal += c * t
            totalSquared += t * t
        }
    }

    public static var summedFields: [WritableKeyPath<AccuracySums, Double>] {
        [\.problems, \.correct, \.total, \.correctSquared, \.correctTimesTotal, \.totalSquared]
    }
}
