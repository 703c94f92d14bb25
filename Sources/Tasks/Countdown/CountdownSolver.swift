/// Finds a short expression for a 3-number Countdown problem, for SFT targets and for generation.
public enum CountdownSolver {
    /// The shortest expression over `numbers` (each used once, `+ - * /`, parentheses only where
    /// needed) that the countdown reward judges correct, or nil when there is none.
    ///
    /// Among expressions of equal length it prefers those whose every intermediate value is a
    /// non-negative integer, then the given order of the numbers. Only 3-number problems with
    /// numbers of magnitude at most 10^6 are solved (so that exact fractions cannot overflow).
    public static func solve(numbers: [Int], target: Int) -> String? {
        guard numbers.count == 3, numbers.allSatisfy({ $0.magnitude <= 1_000_000 }) else { return nil }
        var candidates: [(text: String, nice: Bool, order: Int)] = []
        for (a, b, c) in permutations(numbers) {
            for op1 in Operator.allCases {
                for op2 in Operator.allCases {
                    let (x, y, z) = (Rational(a), Rational(b), Rational(c))
                    if let left = evaluate(x, y, z, op1, op2, groupsLeft: true), left.value == Rational(target) {
                        let text = op1.precedence < op2.precedence ? "(\(a)\(op1.symbol)\(b))" : "\(a)\(op1.symbol)\(b)"
                        candidates.append((text + op2.symbol + "\(c)", left.inner.isNatural && left.value.isNatural, candidates.count))
                    }
                    if let right = evaluate(x, y, z, op1, op2, groupsLeft: false), right.value == Rational(target) {
                        let bare = op2.precedence > op1.precedence || (op2.precedence == op1.precedence && op1.isAssociative)
                        let text = bare ? "\(b)\(op2.symbol)\(c)" : "(\(b)\(op2.symbol)\(c))"
                        candidates.append(("\(a)\(op1.symbol)" + text, right.inner.isNatural && right.value.isNatural, candidates.count))
                    }
                }
            }
        }
        candidates.sort { ($0.text.count, $0.nice ? 0 : 1, $0.order) < ($1.text.count, $1.nice ? 0 : 1, $1.order) }
        return candidates.first { CountdownTask.reward(completion: "<answer>\($0.text)</answer>",
                                                       numbers: numbers, target: target) == 1.0 }?.text
    }

    /// The exact value of `(a o1 b) o2 c` (`groupsLeft`) or `a o1 (b o2 c)` when it is an integer,
    /// nil otherwise (a fraction, or a division by zero).
    ///
    /// - Parameter operators: indices into `+ - * /`, each in `0..<4`.
    static func value(numbers: [Int], operators: (Int, Int), groupsLeft: Bool) -> Int? {
        precondition(numbers.count == 3, "CountdownSolver.value: three numbers")
        let (a, b, c) = (Rational(numbers[0]), Rational(numbers[1]), Rational(numbers[2]))
        guard let value = evaluate(a, b, c, Operator.allCases[operators.0], Operator.allCases[operators.1],
                                   groupsLeft: groupsLeft)?.value, value.denominator == 1 else { return nil }
        return value.numerator
    }

    /// `(a op1 b) op2 c` (`groupsLeft`) or `a op1 (b op2 c)`: the parenthesised part's value and the
    /// whole's, or nil on a division by zero.
    private static func evaluate(_ a: Rational, _ b: Rational, _ c: Rational, _ op1: Operator, _ op2: Operator,
                                 groupsLeft: Bool) -> (inner: Rational, value: Rational)? {
        if groupsLeft {
            guard let inner = op1.apply(a, b), let value = op2.apply(inner, c) else { return nil }
            return (inner, value)
        }
        guard let inner = op2.apply(b, c), let value = op1.apply(a, inner) else { return nil }
        return (inner, value)
    }

    private static func permutations(_ n: [Int]) -> [(Int, Int, Int)] {
        [(n[0], n[1], n[2]), (n[0], n[2], n[1]), (n[1], n[0], n[2]),
         (n[1], n[2], n[0]), (n[2], n[0], n[1]), (n[2], n[1], n[0])]
    }

    private enum Operator: CaseIterable {
        case add, subtract, multiply, divide

        var symbol: String {
            switch self {
            case .add: "+"
            case .subtract: "-"
            case .multiply: "*"
            case .divide: "/"
            }
        }

        var precedence: Int { self == .add || self == .subtract ? 1 : 2 }

        /// Whether `a op (b op' c)` may drop its parentheses for an `op'` of the same precedence.
        var isAssociative: Bool { self == .add || self == .multiply }

        func apply(_ x: Rational, _ y: Rational) -> Rational? {
            switch self {
            case .add: x + y
            case .subtract: x - y
            case .multiply: x * y
            case .divide: x / y
            }
        }
    }

    /// An exact fraction of small integers, for choosing candidates; the reward re-checks the winner.
    private struct Rational: Equatable {
        let numerator: Int
        let denominator: Int

        init(_ n: Int, _ d: Int = 1) {
            let g = Rational.gcd(abs(n), abs(d))
            let s = d < 0 ? -1 : 1
            numerator = s * n / max(g, 1)
            denominator = s * d / max(g, 1)
        }

        var isNatural: Bool { denominator == 1 && numerator >= 0 }

        static func + (x: Rational, y: Rational) -> Rational? {
            Rational(x.numerator * y.denominator + y.numerator * x.denominator, x.denominator * y.denominator)
        }

        static func - (x: Rational, y: Rational) -> Rational? {
            Rational(x.numerator * y.denominator - y.numerator * x.denominator, x.denominator * y.denominator)
        }

        static func * (x: Rational, y: Rational) -> Rational? {
            Rational(x.numerator * y.numerator, x.denominator * y.denominator)
        }

        static func / (x: Rational, y: Rational) -> Rational? {
            y.numerator == 0 ? nil : Rational(x.numerator * y.denominator, x.denominator * y.numerator)
        }

        private static func gcd(_ a: Int, _ b: Int) -> Int {
            b == 0 ? a : gcd(b, a % b)
        }
    }
}
