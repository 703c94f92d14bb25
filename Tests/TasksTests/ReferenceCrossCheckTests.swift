import Foundation
import Tasks
import Testing

// Cross-checks the Swift rewards against the reference semantics written in Python (our own short
// restatement of d1's countdown and GSM8K reward functions), run at test time when python3 exists.

private let python: String? = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
    ?? ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map { "\($0)/python3" }
        .first { FileManager.default.isExecutableFile(atPath: $0) }

private let referenceScript = #"""
import json, re, sys

def last_answer(text):
    blocks = re.findall(r"<answer>(.*?)</answer>", text, re.DOTALL)
    return blocks[-1].strip() if blocks else None

def countdown(text, numbers, target):
    equation = last_answer(text)
    if equation is None:
        return 0.0
    try:
        if sorted(int(run) for run in re.findall(r"\d+", equation)) != sorted(numbers):
            return 0.1
        if not re.match(r"^[\d+\-*/().\s]+$", equation):
            return 0.1
        value = eval(equation, {"__builtins__": None}, {})
        return 1.0 if abs(value - target) < 1e-5 else 0.1
    except Exception:
        return 0.1

def xml_answer(text):
    return text.split("<answer>")[-1].split("</answer>")[0].strip()

def xml_count(text):
    count = 0.0
    if text.count("<reasoning>\n") == 1:
        count += 0.125
    if text.count("\n</reasoning>\n") == 1:
        count += 0.125
    if text.count("\n<answer>\n") == 1:
        count += 0.125
        count -= len(text.split("\n</answer>\n")[-1]) * 0.001
    if text.count("\n</answer>") == 1:
        count += 0.125
        count -= (len(text.split("\n</answer>")[-1]) - 1) * 0.001
    return count

def gsm8k(text, answer):
    extracted = xml_answer(text)
    return [
        xml_count(text),
        0.5 if re.match(r"<reasoning>.*?</reasoning>\s*<answer>.*?</answer>", text) else 0.0,
        0.5 if re.match(r"^<reasoning>\n.*?\n</reasoning>\n<answer>\n.*?\n</answer>\n$", text) else 0.0,
        0.5 if extracted.isdigit() else 0.0,
        2.0 if extracted == answer else 0.0,
    ]

out = []
for line in sys.stdin:
    case = json.loads(line)
    if case["task"] == "countdown":
        out.append([countdown(case["completion"], case["numbers"], case["target"])])
    else:
        out.append(gsm8k(case["completion"], case["answer"]))
# repr() round-trips exactly; Swift parses the text with Double(_:).
print(json.dumps([[repr(x) for x in row] for row in out]))
"""#

/// A small deterministic generator for test inputs (64-bit LCG, high bits).
private struct Draws {
    var state: UInt64

    mutating func below(_ n: Int) -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int((state >> 33) % UInt64(n))
    }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// Countdown completions: solver answers with random edits (operators, `**`, `//`, decimals, zeros,
/// whitespace, line breaks, parentheses, non-ASCII), inside zero to two answer blocks.
private func countdownCases() throws -> [(completion: String, numbers: [Int], target: Int)] {
    var draws = Draws(state: 42)
    let problems = try CountdownTask().testProblems()
    let edits = ["+", "-", "*", "/", "//", "**", ".", "0", " ", "\n", "\t", "(", ")", "\u{A0}", "\u{2212}", "5", ".5", "00"]
    return (0..<400).map { _ in
        let problem = draws.pick(problems)
        guard case .countdown(let numbers, let target) = problem.data else { fatalError("not countdown") }
        var expression = Array(CountdownSolver.solve(numbers: numbers, target: target)!)
        var doubleStars = 0
        for _ in 0..<draws.below(3) {
            let edit = draws.pick(edits)
            if edit == "**" { doubleStars += 1 }
            guard doubleStars <= 1 else { continue }  // a tower of ** could take Python forever
            let at = draws.below(expression.count + 1)
            if draws.below(2) == 0 && at < expression.count {
                expression.replaceSubrange(at...at, with: Array(edit))
            } else {
                expression.insert(contentsOf: Array(edit), at: at)
            }
        }
        let body = String(expression)
        let completion: String
        switch draws.below(5) {
        case 0: completion = "<answer>\(body)</answer>"
        case 1: completion = "think <answer>1+2</answer> then <answer>\n\(body)\n</answer> done"
        case 2: completion = "<answer>\(body)"
        case 3: completion = "<answer> \(body) </answer><answer>\(body)+1</answer>"
        default: completion = "<answer>\(body)</answer>\n"
        }
        return (completion, numbers, target)
    }
}

/// GSM8K completions: random sequences of tag fragments, answers and separators.
private func gsm8kCases() -> [(completion: String, answer: String)] {
    var draws = Draws(state: 7)
    let pieces = ["<reasoning>", "</reasoning>", "<answer>", "</answer>", "\n", "\n", "\n", " ", "72", "-72", "7,2",
                  "x y", "\u{B2}", "\u{FF17}", "<reasoning>\n", "\n</answer>\n", "\n</reasoning>\n<answer>\n"]
    return (0..<600).map { _ in
        let completion = (0..<draws.below(12)).map { _ in draws.pick(pieces) }.joined()
        return (completion, draws.pick(["72", "-72", "7,2", ""]))
    }
}

@Test(.enabled(if: python != nil, "needs python3"))
func rewardsAgreeWithTheReferenceSemanticsInPython() throws {
    let countdown = try countdownCases(), gsm = gsm8kCases()
    var input = ""
    for c in countdown {
        input += String(data: try JSONSerialization.data(withJSONObject: [
            "task": "countdown", "completion": c.completion, "numbers": c.numbers, "target": c.target]), encoding: .utf8)! + "\n"
    }
    for c in gsm {
        input += String(data: try JSONSerialization.data(withJSONObject: [
            "task": "gsm8k", "completion": c.completion, "answer": c.answer]), encoding: .utf8)! + "\n"
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python!)
    process.arguments = ["-c", referenceScript]
    let stdin = Pipe(), stdout = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    try process.run()
    stdin.fileHandleForWriting.write(Data(input.utf8))
    try stdin.fileHandleForWriting.close()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let texts = try #require(try JSONSerialization.jsonObject(with: output) as? [[String]])
    let expected = texts.map { $0.map { Double($0)! } }
    try #require(expected.count == countdown.count + gsm.count)
    var outcomes = Set<Double>()
    for (c, reference) in zip(countdown, expected) {
        let reward = CountdownTask.reward(completion: c.completion, numbers: c.numbers, target: c.target)
        outcomes.insert(reward)
        #expect(reward == reference[0], "\(c.completion.debugDescription) \(c.numbers) -> \(c.target)")
    }
    #expect(outcomes == [0, 0.1, 1])
    for (c, reference) in zip(gsm, expected.dropFirst(countdown.count)) {
        let components = MathRewards.components(completion: c.completion, answer: c.answer)
        #expect(MathRewards.names.map { components[$0]! } == reference, "\(c.completion.debugDescription) \(c.answer)")
    }
}
