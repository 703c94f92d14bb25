/// A safe evaluator for the arithmetic that d1's countdown reward hands to Python's `eval`.
///
/// The reward strips the answer, requires it to match `^[\d+\-*/().\s]+$` and then calls
/// `eval(equation, {"__builtins__": None}, {})` (CPython 3.10), counting any exception as a failed
/// evaluation. Within that character set Python can form integer and float literals (`05` is a
/// `SyntaxError`, `00`, `0123.4`, `5.` and `.5` are fine), unary `+`/`-`, `+ - * / // **` with Python's
/// precedence (`-2**2 == -4`, `2**-1 == 0.5`, `**` right-associative), parentheses (newlines inside
/// them are ignored; a newline or carriage return outside them is a `SyntaxError`), and a few
/// non-numeric forms (`...`, `()`, calls such as `2(3)`) that always end in an exception. Spaces, tabs
/// and form feeds separate tokens; other whitespace the regex admits (`\v`, `\x1c`...`\x1f`, any
/// non-ASCII space) and non-ASCII digits are a `SyntaxError`. Nesting is bounded as CPython bounds
/// it (``PythonNesting``), so that no input, however deep, overflows the stack. Ints are exact (up to
/// ``PythonInt/maxBits``), `/` of two ints is correctly rounded, `**` of a negative float to a
/// fractional power is complex, division by zero raises.
public enum PythonArithmetic {
    /// Evaluates `source` as d1's countdown reward does (strip, character check, `eval`).
    ///
    /// - Returns: Python's `repr` of the result, or nil when the reward would get `None`
    ///   (a rejected character or any exception).
    public static func evaluate(_ source: String) -> String? {
        try? value(of: PythonText.strip(PythonText.scalars(source))).repr
    }

    /// The value of an already stripped equation, or the failure Python would report.
    static func value(of equation: PythonText.Scalars) throws(ArithmeticFailure) -> PythonNumber {
        guard !equation.isEmpty, equation.allSatisfy(isAllowed) else { throw .syntax }
        var parser = Parser(tokens: try tokenize(equation))
        let result = try parser.sum()
        guard parser.atEnd else { throw .syntax }
        return result.value
    }

    /// The character class `[\d+\-*/().\s]` of the reward's regex (Unicode digits and spaces included).
    private static func isAllowed(_ c: Unicode.Scalar) -> Bool {
        "+-*/().".unicodeScalars.contains(c) || PythonText.isSpace(c) || c.properties.generalCategory == .decimalNumber
    }

    // MARK: Tokens

    private enum Token: Equatable {
        case number(PythonNumber)
        case plus, minus, star, slash, doubleStar, doubleSlash, open, close
    }

    private static func isASCIIDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }

    /// CPython's tokenizer restricted to the allowed characters.
    private static func tokenize(_ s: PythonText.Scalars) throws(ArithmeticFailure) -> [Token] {
        var tokens: [Token] = []
        var depth = 0
        var i = s.startIndex
        func peek(_ offset: Int = 0) -> Unicode.Scalar? {
            i + offset < s.endIndex ? s[i + offset] : nil
        }
        func digitRun() -> String {
            var text = ""
            while let c = peek(), isASCIIDigit(c) {
                text.unicodeScalars.append(c)
                i += 1
            }
            return text
        }
        /// After the integer part and a consumed '.', reads the fraction digits.
        func floatLiteral(whole: String) -> Token {
            let fraction = digitRun()
            return .number(.float(Double((whole.isEmpty ? "0" : whole) + "." + (fraction.isEmpty ? "0" : fraction))!))
        }
        while let c = peek() {
            switch c {
            case " ", "\t", "\u{0C}":
                i += 1
            case "\n", "\r":
                // Inside brackets a line break joins lines; outside it ends the expression, and the
                // stripped equation always has a token after it.
                guard depth > 0 else { throw .syntax }
                i += 1
            case "(":
                depth += 1
                guard depth <= PythonNesting.parentheses else { throw .syntax }  // "too many nested parentheses"
                tokens.append(.open)
                i += 1
            case ")":
                guard depth > 0 else { throw .syntax }
                depth -= 1
                tokens.append(.close)
                i += 1
            case "+", "-":
                tokens.append(c == "+" ? .plus : .minus)
                i += 1
            case "*", "/":
                let doubled = peek(1) == c
                tokens.append(c == "*" ? (doubled ? .doubleStar : .star) : (doubled ? .doubleSlash : .slash))
                i += doubled ? 2 : 1
            case ".":
                if let next = peek(1), isASCIIDigit(next) {
                    i += 1
                    tokens.append(floatLiteral(whole: ""))
                } else if peek(1) == ".", peek(2) == "." {
                    throw .type  // Ellipsis: valid syntax, never a number
                } else {
                    throw .syntax  // attribute access needs a name
                }
            case _ where isASCIIDigit(c):
                let whole = digitRun()
                if peek() == "." {
                    i += 1
                    tokens.append(floatLiteral(whole: whole))
                } else if whole.count > 1 && whole.first == "0" && whole.contains(where: { $0 != "0" }) {
                    throw .syntax  // leading zeros in a decimal integer literal
                } else {
                    tokens.append(.number(.int(PythonInt(decimalDigits: whole.unicodeScalars))))
                }
            default:
                throw .syntax  // \v, \x1c...\x1f, non-ASCII spaces and digits
            }
        }
        return tokens
    }

    // MARK: Grammar

    /// A parsed and evaluated subexpression with the depth of its syntax tree (operators plus the
    /// innermost number), which CPython's compiler bounds.
    private struct Node {
        var value: PythonNumber
        var depth: Int
    }

    /// Recursive descent over CPython's `sum`, `term`, `factor`, `power` and `atom` rules.
    ///
    /// Only parentheses recurse (at most ``PythonNesting/parentheses`` deep); chains of signs and `**`
    /// are read in loops. `level` is the depth of CPython's parser stack at the current rule, in the
    /// units of ``PythonNesting/parserLevels``.
    private struct Parser {
        let tokens: [Token]
        var position = 0

        init(tokens: [Token]) { self.tokens = tokens }

        var atEnd: Bool { position == tokens.count }

        private var next: Token? { position < tokens.count ? tokens[position] : nil }

        /// `sum: sum ('+' | '-') term | term`
        mutating func sum(level: Int = 0) throws(ArithmeticFailure) -> Node {
            var node = try term(level: level)
            while let op = next, op == .plus || op == .minus {
                position += 1
                let rhs = try term(level: level)
                node = try Parser.combine(node, rhs, op == .plus ? node.value + rhs.value : node.value - rhs.value)
            }
            return node
        }

        /// `term: term ('*' | '/' | '//') factor | factor`
        private mutating func term(level: Int) throws(ArithmeticFailure) -> Node {
            var node = try factor(level: level)
            while let op = next, op == .star || op == .slash || op == .doubleSlash {
                position += 1
                let rhs = try factor(level: level)
                let value: PythonNumber
                switch op {
                case .star: value = try node.value * rhs.value
                case .slash: value = try PythonNumber.trueDivide(node.value, rhs.value)
                default: value = try PythonNumber.floorDivide(node.value, rhs.value)
                }
                node = try Parser.combine(node, rhs, value)
            }
            return node
        }

        /// `factor: ('+' | '-') factor | power` with `power: primary '**' factor | primary`, read as one
        /// chain of signed primaries joined by right-associative `**`: `-2**-3**4` is `-(2**-(3**4))`.
        private mutating func factor(level start: Int) throws(ArithmeticFailure) -> Node {
            var links: [(signs: [Token], base: Node)] = []
            var level = start
            while true {
                var signs: [Token] = []
                while let sign = next, sign == .plus || sign == .minus {
                    position += 1
                    signs.append(sign)
                    level += PythonNesting.levelsPerSign
                }
                guard level <= PythonNesting.parserLevels else { throw .parserStack }
                links.append((signs, try primary(level: level)))
                guard next == .doubleStar else { break }
                position += 1
                level += PythonNesting.levelsPerPower
            }
            var exponent: Node?
            for (signs, base) in links.reversed() {
                var node = base
                if let exponent {
                    node = try Parser.combine(base, exponent, try PythonNumber.power(base.value, exponent.value))
                }
                for sign in signs.reversed() {
                    if sign == .minus { node.value = -node.value }
                    node.depth += 1
                }
                guard node.depth <= PythonNesting.expressionDepth else { throw .recursion }
                exponent = node
            }
            guard let exponent else { throw .syntax }
            return exponent
        }

        /// `primary: atom`; an atom followed by `(` is a call, a TypeError for any number.
        private mutating func primary(level: Int) throws(ArithmeticFailure) -> Node {
            let node = try atom(level: level)
            if next == .open { throw .type }
            return node
        }

        /// `atom: NUMBER | '(' sum ')'`; `()` is the empty tuple, never a number.
        private mutating func atom(level: Int) throws(ArithmeticFailure) -> Node {
            switch next {
            case .number(let value)?:
                position += 1
                return Node(value: value, depth: 1)
            case .open?:
                position += 1
                if next == .close { throw .type }
                let node = try sum(level: level + PythonNesting.levelsPerParenthesis)
                guard next == .close else { throw .syntax }
                position += 1
                return node
            default:
                throw .syntax
            }
        }

        /// The binary operation of `lhs` and `rhs` with its `value`, one level deeper than both.
        private static func combine(_ lhs: Node, _ rhs: Node, _ value: PythonNumber) throws(ArithmeticFailure) -> Node {
            let depth = 1 + max(lhs.depth, rhs.depth)
            guard depth <= PythonNesting.expressionDepth else { throw .recursion }
            return Node(value: value, depth: depth)
        }
    }
}
