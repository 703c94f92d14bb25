/// How deeply CPython lets `eval` nest an arithmetic expression; deeper input raises an exception.
///
/// Measured on CPython 3.10.13 (the reference reward's version) with `eval` at a script's top level:
/// 200 nested parentheses evaluate and 201 are a `SyntaxError` (the tokenizer's "too many nested
/// parentheses", the same in 3.11 and 3.12); `1` followed by 2,987 `**1` evaluates and 2,988 overflow
/// the parser's stack (`MemoryError`, also in 3.11 and 3.12); 2,993 unary signs, or 2,993 binary
/// operators in a row such as `1+1+...+1`, evaluate and 2,994 exceed the compiler's recursion limit
/// (`RecursionError`). The last limit moves with the Python stack below `eval` (3 fewer per caller
/// frame) and between versions (3.11 and 3.12 accept a few more); this mirrors the 3.10 top-level figure.
enum PythonNesting {
    /// The tokenizer's limit on open parentheses (CPython's `MAXLEVEL`).
    static let parentheses = 200

    /// The parser's stack (CPython's `MAXSTACK` of 6,000 rule calls, less those that `eval` spends
    /// before its first operand), in rule calls. One more is a `MemoryError`.
    static let parserLevels = 5_975

    /// Parser rule calls between a parenthesis and the operand inside it.
    static let levelsPerParenthesis = 28

    /// Parser rule calls between a `**` and its right operand.
    static let levelsPerPower = 2

    /// Parser rule calls between a unary `+` or `-` and its operand.
    static let levelsPerSign = 1

    /// The deepest syntax tree (operators along one path plus the number at its end) that the
    /// compiler accepts; one more is a `RecursionError`.
    static let expressionDepth = 2_994
}
