import Foundation
import Tasks
import Testing

@Test func scoredRecordsKeepTheirMembersInOrder() throws {
    let scorer = RecordScorer(task: CountdownTask())
    let text = """
        {"id": 7, "numbers": [30, 100, 93], "target": 23, "completion": "<answer>30+93-100</answer>", "meta": {"a": [1, "},"], "b": null}}

        {"reward": 9, "completion": "<answer>30+93</answer>", "numbers": [30,100,93], "target": 23}
        {"completion":"none","numbers":[1,2,3],"target":6,"note":"\\u00e9\\"}"}
        {"\\u0072eward": 2, "numbers": [1, 2, 3], "target": 6, "completion": "<answer>1+2+3</answer>"}
        """
    #expect(try scorer.scoreLines(of: text, file: "in.jsonl") == [
        #"{"id": 7, "numbers": [30, 100, 93], "target": 23, "completion": "<answer>30+93-100</answer>", "meta": {"a": [1, "},"], "b": null}, "reward": 1.0}"#,
        #"{"completion": "<answer>30+93</answer>", "numbers": [30,100,93], "target": 23, "reward": 0.1}"#,
        #"{"completion":"none", "numbers":[1,2,3], "target":6, "note":"\u00e9\"}", "reward": 0.0}"#,
        #"{"numbers": [1, 2, 3], "target": 6, "completion": "<answer>1+2+3</answer>", "reward": 1.0}"#,
    ])
}

@Test func scoredRecordsForEachTask() throws {
    let sudoku = try RecordScorer(task: SudokuTask()).scoreLines(of: #"""
        {"puzzle": "3102200002100320", "solution": "3142243142131324", "completion": "<answer>3142</answer>"}
        """#, file: "s")
    #expect(sudoku == [#"{"puzzle": "3102200002100320", "solution": "3142243142131324", "completion": "<answer>3142</answer>", "reward": 0.125}"#])
    let gsm8k = try RecordScorer(task: MathTask()).scoreLines(of: #"""
        {"answer": "work\n#### 72", "completion": "<reasoning>\nr\n</reasoning>\n<answer>\n72\n</answer>\n"}
        {"answer": "72", "completion": "<answer>72</answer>"}
        """#, file: "g")
    #expect(gsm8k.map { $0.hasSuffix(#", "reward": 3.5}"#) } == [true, false])
    #expect(gsm8k[1].hasSuffix(#", "reward": 2.5}"#))
    let code = try RecordScorer(task: CodeTask()).scoreLines(of: #"""
        {"tests": ["assert f(1) == 2", "assert f(2) == 2"], "entry_point": "f", "completion": "<answer>def f(x): return x + 1</answer>"}
        """#, file: "c")
    #expect(code[0].hasSuffix(#", "reward": 0.5}"#))
}

@Test func recordErrorsNameFileAndLine() {
    let scorer = RecordScorer(task: SudokuTask())
    #expect(throws: TaskError.malformedLine(file: "r.jsonl", line: 2, reason: "missing key 'completion'")) {
        try scorer.scoreLines(of: "{\"puzzle\": \"3102200002100320\", \"solution\": \"3142243142131324\", \"completion\": \"\"}\n"
                              + "{\"puzzle\": \"3102200002100320\", \"solution\": \"3142243142131324\"}", file: "r.jsonl")
    }
    #expect(throws: TaskError.malformedLine(file: "r.jsonl", line: 1, reason: "puzzle '31' is not 16 digits 0-4")) {
        try scorer.scoreLines(of: "{\"puzzle\": \"31\", \"solution\": \"3142243142131324\", \"completion\": \"\"}", file: "r.jsonl")
    }
}

@Test func invalidUTF8IsAMalformedLineNotAnIOError() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tasks-utf8-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("r.jsonl").path
    let good = Array("{\"numbers\": [1, 2], \"target\": 3, \"completion\": \"1+2\"}\n".utf8)
    let bad = Array("{\"numbers\": [1, 2], \"target\": 3, \"completion\": \"".utf8) + [0xFF, 0xFE] + Array("\"}\n".utf8)
    #expect(FileManager.default.createFile(atPath: path, contents: Data(good + good + bad)))
    let error = try #require(throws: TaskError.self) { try RecordScorer(task: CountdownTask()).scoreFile(atPath: path) }
    #expect(error == .malformedLine(file: path, line: 3, reason: "not valid UTF-8 (byte 49 of the line)"))
    #expect(error.exitCode == 65)
}
