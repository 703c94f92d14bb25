import Records

/// pass@k of a set of problems decoded several times: the chance that at least one of k samples
/// solves a problem, estimated without bias from n ≥ k samples per problem (Chen et al.'s
/// `1 - C(n - c, k) / C(n, k)`, c of the n samples solving it) and averaged over the problems; its
/// standard error takes the problems as the independent units.
///
/// A sample solves a problem when it is wholly correct (`correct == total > 0`): for countdown and
/// gsm8k the problem's reward 1, for sudoku every empty cell right.
public struct PassAtK: Sendable {
    /// Samples per problem (n).
    public let samples: Int
    /// Per problem, how many samples solved it (c).
    public let solved: [Int]

    /// pass@k of problems solved `solved[i]` times out of `samples` each.
    public init(samples: Int, solved: [Int]) {
        precondition(samples >= 1 && solved.allSatisfy { $0 >= 0 && $0 <= samples }, "PassAtK: counts outside 0...\(samples)")
        self.samples = samples
        self.solved = solved
    }

    /// Counts the solving samples of `evaluations`, each a decode of the same problems in the same order.
    public init(evaluations: [TaskEvaluation]) {
        precondition(!evaluations.isEmpty && evaluations.allSatisfy { $0.completions.count == evaluations[0].completions.count },
                     "PassAtK: evaluations of the same problems")
        self.init(samples: evaluations.count, solved: evaluations[0].completions.indices.map { i in
            evaluations.count(where: { evaluation in
                let completion = evaluation.completions[i]
                return completion.total > 0 && completion.correct == completion.total
            })
        })
    }

    /// pass@k (1 ≤ k ≤ n) with its standard error over the problems.
    public func estimate(k: Int) -> AccuracyEstimate {
        precondition(k >= 1 && k <= samples, "PassAtK: k = \(k) outside 1...\(samples)")
        let values = solved.map { c in 1 - Self.ratioOfChoices(failing: samples - c, samples: samples, k: k) }
        let n = Double(values.count)
        guard values.count > 1 else { return AccuracyEstimate(accuracy: values.first ?? 0, standardError: 0, problems: values.count) }
        let mean = values.reduce(0, +) / n
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        return AccuracyEstimate(accuracy: mean, standardError: (variance / n).squareRoot(), problems: values.count)
    }

    /// `C(failing, k) / C(samples, k)`: the chance that k samples drawn without replacement from
    /// `samples`, `failing` of which fail, all fail; as a product, without large binomials.
    static func ratioOfChoices(failing: Int, samples: Int, k: Int) -> Double {
        guard failing >= k else { return 0 }
        var ratio = 1.0
        for i in 0..<k { ratio *= Double(failing - i) / Double(samples - i) }
        return ratio
    }
}
