import Foundation
import TestSupport
import Testing

@Test func scoreAddsRewardFieldsInOrder() throws {
    let directory = try temporaryDirectory("bgpo-score")
    defer { try? FileManager.default.removeItem(at: directory) }
    let input = directory.appendingPathComponent("in.jsonl"), output = directory.appendingPathComponent("out.jsonl")
    try """
        {"id": "a", "numbers": [30, 100, 93], "target": 23, "completion": "<answer>30+93-100</answer>"}
        {"id": "b", "numbers": [30, 100, 93], "target": 23, "completion": "<answer>30*93</answer>"}
        {"id": "c", "numbers": [30, 100, 93], "target": 23, "completion": "no answer"}

        """.write(to: input, atomically: true, encoding: .utf8)
    let result = try runBGPO(["score", "--task", "countdown", "--input", input.path, "--output", output.path])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(try String(contentsOf: output, encoding: .utf8) == """
        {"id": "a", "numbers": [30, 100, 93], "target": 23, "completion": "<answer>30+93-100</answer>", "reward": 1.0}
        {"id": "b", "numbers": [30, 100, 93], "target": 23, "completion": "<answer>30*93</answer>", "reward": 0.1}
        {"id": "c", "numbers": [30, 100, 93], "target": 23, "completion": "no answer", "reward": 0.0}

        """)
    let toStdout = try runBGPO(["score", "--task", "countdown", "--input", input.path])
    #expect(toStdout.status == 0)
    #expect(toStdout.stdout == (try String(contentsOf: output, encoding: .utf8)))
}

@Test func scoreSudokuAndGSM8KRecords() throws {
    let directory = try temporaryDirectory("bgpo-score")
    defer { try? FileManager.default.removeItem(at: directory) }
    let sudoku = directory.appendingPathComponent("s.jsonl"), gsm8k = directory.appendingPathComponent("g.jsonl")
    try #"{"puzzle": "3102200002100320", "solution": "3142243142131324", "completion": "<answer>3142</answer>"}"#
        .write(to: sudoku, atomically: true, encoding: .utf8)
    try #"{"answer": "6*12 = 72 #### 72", "completion": "<reasoning>\nr\n</reasoning>\n<answer>\n72\n</answer>\n"}"#
        .write(to: gsm8k, atomically: true, encoding: .utf8)
    let s = try runBGPO(["score", "--task", "sudoku", "--input", sudoku.path])
    #expect(s.status == 0 && s.stdout.hasSuffix(#", "reward": 0.125}"# + "\n"), "\(s.stderr)")
    let g = try runBGPO(["score", "--task", "gsm8k", "--input", gsm8k.path])
    #expect(g.status == 0 && g.stdout.hasSuffix(#", "reward": 3.5}"# + "\n"), "\(g.stderr)")
}

@Test func scoreMalformedLineExits65NamingTheLine() throws {
    let directory = try temporaryDirectory("bgpo-score")
    defer { try? FileManager.default.removeItem(at: directory) }
    let input = directory.appendingPathComponent("bad.jsonl"), output = directory.appendingPathComponent("out.jsonl")
    try """
        {"numbers": [1, 2, 3], "target": 6, "completion": "<answer>1+2+3</answer>"}
        {"numbers": [1, 2, 3], "target": 6, "completion": 
        """.write(to: input, atomically: true, encoding: .utf8)
    let result = try runBGPO(["score", "--task", "countdown", "--input", input.path, "--output", output.path])
    #expect(result.status == 65)
    #expect(result.stderr.contains("\(input.path):2:"), "\(result.stderr)")
    #expect(!FileManager.default.fileExists(atPath: output.path))
    try #"{"numbers": [1, 2, 3], "completion": ""}"#.write(to: input, atomically: true, encoding: .utf8)
    let missing = try runBGPO(["score", "--task", "countdown", "--input", input.path])
    #expect(missing.status == 65 && missing.stderr.contains(":1: missing key 'target'"), "\(missing.stderr)")
}

@Test func scoreUnknownTaskExits64AndMissingFileExits74() throws {
    let unknown = try runBGPO(["score", "--task", "chess", "--input", "/dev/null"])
    #expect(unknown.status == 64)
    #expect(unknown.stderr.contains("unknown task 'chess'"), "\(unknown.stderr)")
    let missing = try runBGPO(["score", "--task", "countdown", "--input", "/nonexistent/in.jsonl"])
    #expect(missing.status == 74 && missing.stderr.contains("/nonexistent/in.jsonl"), "\(missing.stderr)")
    let usage = try runBGPO(["score", "--task", "countdown"])
    #expect(usage.status == 64)
}

@Test func scoreDeeplyNestedCountdownAnswerExits0() throws {
    // 20,000 nested parentheses are a SyntaxError for Python's eval: an invalid answer, reward 0.1.
    let directory = try temporaryDirectory("bgpo-score")
    defer { try? FileManager.default.removeItem(at: directory) }
    let input = directory.appendingPathComponent("deep.jsonl")
    let deep = String(repeating: "(", count: 20_000) + "1" + String(repeating: ")", count: 20_000)
    try #"{"numbers": [1], "target": 1, "completion": "<answer>\#(deep)</answer>"}"#
        .write(to: input, atomically: true, encoding: .utf8)
    let result = try runBGPO(["score", "--task", "countdown", "--input", input.path])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.hasSuffix(#"</answer>", "reward": 0.1}"# + "\n"))
}

@Test func scoreOfInvalidUTF8Exits65NamingTheLineAndWritesNothing() throws {
    let directory = try temporaryDirectory("bgpo-score")
    defer { try? FileManager.default.removeItem(at: directory) }
    let input = directory.appendingPathComponent("in.jsonl"), output = directory.appendingPathComponent("out.jsonl")
    let line = Array(#"{"numbers": [1, 2], "target": 3, "completion": "<answer>1+2</answer>"}"#.utf8) + [0x0A]
    try Data(line + Array(#"{"numbers": [1, 2], "target": 3, "completion": ""#.utf8) + [0xC3, 0x28] + Array("\"}\n".utf8))
        .write(to: input)
    let result = try runBGPO(["score", "--task", "countdown", "--input", input.path, "--output", output.path])
    #expect(result.status == 65, "\(result.stderr)")
    #expect(result.stderr.contains("\(input.path):2: not valid UTF-8"), "\(result.stderr)")
    #expect(!FileManager.default.fileExists(atPath: output.path))
}
