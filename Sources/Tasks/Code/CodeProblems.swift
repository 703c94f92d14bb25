import Base

/// The code task's problems: a built-in test split and parametric training families.
enum CodeProblems {
    /// A problem: prompt (signature and docstring), entry point, tests and a reference program.
    struct Problem {
        var prompt: String
        var entryPoint: String
        var tests: [String]
        var solution: String
    }

    /// Ten classic small functions, the code task's test split.
    static let testSplit: [Problem] = [
        make("reverse_string", "s", "return s reversed.", body: "return s[::-1]",
             tests: ["reverse_string('abc') == 'cba'", "reverse_string('') == ''", "reverse_string('ab ba!') == '!ab ba'"]),
        make("factorial", "n", "return n! for n >= 0.",
             body: "result = 1\nfor i in range(2, n + 1):\n    result *= i\nreturn result",
             tests: ["factorial(0) == 1", "factorial(1) == 1", "factorial(5) == 120", "factorial(10) == 3628800"]),
        make("fibonacci", "n", "return the n-th fibonacci number, fibonacci(0) == 0.",
             body: "a, b = 0, 1\nfor _ in range(n):\n    a, b = b, a + b\nreturn a",
             tests: ["fibonacci(0) == 0", "fibonacci(1) == 1", "fibonacci(10) == 55", "fibonacci(30) == 832040"]),
        make("is_palindrome", "s", "return True if s reads the same backwards.", body: "return s == s[::-1]",
             tests: ["is_palindrome('racecar') is True", "is_palindrome('ab') is False", "is_palindrome('') is True"]),
        make("count_vowels", "s", "return the number of vowels (aeiou) in s.", body: "return sum(c in 'aeiou' for c in s)",
             tests: ["count_vowels('hello') == 2", "count_vowels('xyz') == 0", "count_vowels('aeiouaa') == 7"]),
        make("max_of_list", "xs", "return the largest element of a non-empty list.",
             body: "best = xs[0]\nfor x in xs:\n    if x > best:\n        best = x\nreturn best",
             tests: ["max_of_list([3, 1, 2]) == 3", "max_of_list([-5, -2]) == -2", "max_of_list([7]) == 7"]),
        make("sum_of_digits", "n", "return the sum of the decimal digits of n >= 0.", body: "return sum(int(d) for d in str(n))",
             tests: ["sum_of_digits(0) == 0", "sum_of_digits(123) == 6", "sum_of_digits(9999) == 36"]),
        make("gcd", "a, b", "return the greatest common divisor of a, b >= 0.",
             body: "while b:\n    a, b = b, a % b\nreturn a",
             tests: ["gcd(12, 18) == 6", "gcd(7, 5) == 1", "gcd(0, 9) == 9", "gcd(100, 75) == 25"]),
        make("is_prime", "n", "return True if n is a prime number.",
             body: "if n < 2:\n    return False\nd = 2\nwhile d * d <= n:\n    if n % d == 0:\n        return False\n    d += 1\nreturn True",
             tests: ["is_prime(2) is True", "is_prime(1) is False", "is_prime(97) is True", "is_prime(91) is False"]),
        make("second_largest", "xs", "return the second largest distinct value of xs.", body: "return sorted(set(xs))[-2]",
             tests: ["second_largest([1, 3, 2]) == 2", "second_largest([5, 5, 4]) == 4", "second_largest([-1, -7, 0]) == -1"]),
    ]

    /// A problem from one of eight parametric families (`add_7`, `clamp_2_9`, ...); every entry point
    /// carries its parameters, so none is a test-split function.
    static func draw(_ random: inout CounterRandom) -> Problem {
        switch random.below(8) {
        case 0:
            let k = random.draw(1...20)
            return family("add_\(k)", "x", "return x plus \(k).", body: "return x + \(k)", random: &random) { "\($0 + k)" }
        case 1:
            let k = random.draw(2...12)
            return family("times_\(k)", "x", "return x times \(k).", body: "return x * \(k)", random: &random) { "\($0 * k)" }
        case 2:
            let k = random.draw(2...9)
            return family("is_multiple_of_\(k)", "n", "return True if n is divisible by \(k).", body: "return n % \(k) == 0",
                          random: &random, input: { $0.draw(0...60) }) { $0 % k == 0 ? "True" : "False" }
        case 3:
            let lo = random.draw(-5...5), hi = lo + random.draw(1...10)
            return family("clamp_\(lo < 0 ? "m\(-lo)" : "\(lo)")_\(hi < 0 ? "m\(-hi)" : "\(hi)")", "x",
                          "return x limited to the range \(lo) to \(hi).", body: "return min(max(x, \(lo)), \(hi))",
                          random: &random) { "\(min(max($0, lo), hi))" }
        case 4:
            let k = random.draw(2...4)
            return family("power_\(k)", "x", "return x to the power \(k).", body: "return x ** \(k)",
                          random: &random, input: { $0.draw(-9...9) }) { x in "\((0..<k).reduce(1) { r, _ in r * x })" }
        case 5:
            let k = random.draw(2...5)
            return stringFamily("repeat_\(k)", "return s repeated \(k) times.", body: "return s * \(k)",
                                random: &random) { "'\(String(repeating: $0, count: k))'" }
        case 6:
            let c = random.pick(Array("abcdefghij"))
            return stringFamily("count_\(c)", "return how many times '\(c)' occurs in s.", body: "return s.count('\(c)')",
                                random: &random) { s in "\(s.filter { $0 == c }.count)" }
        default:
            let k = random.draw(1...4)
            let name = "sum_first_\(k)"
            let tests = (0..<3).map { _ -> String in
                let xs = (0..<random.draw(0...6)).map { _ in random.draw(-9...9) }
                return "\(name)(\(pythonList(xs))) == \(xs.prefix(k).reduce(0, +))"
            }
            return make(name, "xs", "return the sum of the first \(k) elements of xs.", body: "return sum(xs[:\(k)])", tests: tests)
        }
    }

    /// A one-integer-argument family with three tests on drawn inputs.
    private static func family(_ name: String, _ parameter: String, _ doc: String, body: String, random: inout CounterRandom,
                               input: (inout CounterRandom) -> Int = { $0.draw(-50...50) },
                               expected: (Int) -> String) -> Problem {
        let tests = (0..<3).map { _ -> String in
            let x = input(&random)
            return "\(name)(\(x)) == \(expected(x))"
        }
        return make(name, parameter, doc, body: body, tests: tests)
    }

    /// A one-string-argument family with three tests on drawn lowercase words; `expected` gives the
    /// result as a Python literal.
    private static func stringFamily(_ name: String, _ doc: String, body: String, random: inout CounterRandom,
                                     expected: (String) -> String) -> Problem {
        let tests = (0..<3).map { _ -> String in
            let word = String((0..<random.draw(0...8)).map { _ in random.pick(Array("abcdefghij")) })
            return "\(name)('\(word)') == \(expected(word))"
        }
        return make(name, "s", doc, body: body, tests: tests)
    }

    private static func pythonList(_ xs: [Int]) -> String {
        "[" + xs.map(String.init).joined(separator: ", ") + "]"
    }

    /// Builds the prompt `def name(parameters):` + docstring and the full reference program.
    private static func make(_ name: String, _ parameters: String, _ doc: String, body: String, tests: [String]) -> Problem {
        let signature = "def \(name)(\(parameters)):\n"
        let indented = body.split(separator: "\n").map { "    \($0)\n" }.joined()
        return Problem(prompt: signature + "    \"\"\"\(doc)\"\"\"\n", entryPoint: name,
                       tests: tests.map { "assert " + $0 }, solution: signature + indented)
    }
}
