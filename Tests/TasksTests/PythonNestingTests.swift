import Tasks
import Testing

// CPython 3.10's limits on nesting in `eval` (expected values measured with `python3.10`): one past
// each limit is an exception, which the countdown reward counts like any other failed evaluation.

/// `n` copies of `s`.
private func times(_ s: String, _ n: Int) -> String { String(repeating: s, count: n) }

@Test func parenthesesNestUpTo200() {
    #expect(PythonArithmetic.evaluate(times("(", 200) + "1" + times(")", 200)) == "1")
    #expect(PythonArithmetic.evaluate(times("(", 201) + "1" + times(")", 201)) == nil)
    #expect(PythonArithmetic.evaluate(times("(-", 200) + "1" + times(")", 200)) == "1")
    #expect(PythonArithmetic.evaluate(times("(-", 201) + "1" + times(")", 201)) == nil)
    // Unbalanced, far too deep: rejected without reading the whole depth.
    #expect(PythonArithmetic.evaluate(times("(", 20_000) + "1" + times(")", 20_000)) == nil)
    #expect(PythonArithmetic.evaluate(times("(", 20_000)) == nil)
}

@Test func powerChainsFillTheParserStack() {
    #expect(PythonArithmetic.evaluate("1" + times("**1", 2_987)) == "1")
    #expect(PythonArithmetic.evaluate("1" + times("**1", 2_988)) == nil)
    // Each parenthesis takes 28 of the parser's levels, each sign one.
    #expect(PythonArithmetic.evaluate(times("(", 200) + "1" + times("**1", 187) + times(")", 200)) == "1")
    #expect(PythonArithmetic.evaluate(times("(", 200) + "1" + times("**1", 188) + times(")", 200)) == nil)
    #expect(PythonArithmetic.evaluate(times("(", 200) + times("-", 375) + "1" + times(")", 200)) == "-1")
    #expect(PythonArithmetic.evaluate(times("(", 200) + times("-", 376) + "1" + times(")", 200)) == nil)
    #expect(PythonArithmetic.evaluate("2" + times("**-1", 1_494)) == "0.5")
}

@Test func operatorChainsStopAtTheCompilersDepth() {
    #expect(PythonArithmetic.evaluate(times("-", 2_993) + "1") == "-1")
    #expect(PythonArithmetic.evaluate(times("-", 2_994) + "1") == nil)
    #expect(PythonArithmetic.evaluate(times("1+", 2_993) + "1") == "2994")
    #expect(PythonArithmetic.evaluate(times("1+", 2_994) + "1") == nil)
    #expect(PythonArithmetic.evaluate(times("(-", 100) + times("-", 2_893) + "1" + times(")", 100)) == "-1")
    #expect(PythonArithmetic.evaluate(times("(-", 100) + times("-", 2_894) + "1" + times(")", 100)) == nil)
    #expect(PythonArithmetic.evaluate(times("-", 1_000_000) + "1") == nil)
    #expect(PythonArithmetic.evaluate("1" + times("**1", 1_000_000)) == nil)
}

@Test func deeplyNestedAnswerGetsTheInvalidAnswerReward() {
    let deep = "<answer>" + times("(", 20_000) + "1" + times(")", 20_000) + "</answer>"
    #expect(CountdownTask.reward(completion: deep, numbers: [1], target: 1) == 0.1)
    let limit = "<answer>" + times("(", 200) + "1" + times(")", 200) + "</answer>"
    #expect(CountdownTask.reward(completion: limit, numbers: [1], target: 1) == 1.0)
}
