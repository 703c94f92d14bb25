import Foundation
import Tasks
import Testing

/// Writes `text` to a fresh temporary file and returns its path.
private func file(_ name: String, _ text: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tasks-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let url = directory.appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}

private func expectMalformed(_ path: String, line: Int, _ fragment: String, _ read: (String) throws -> [TaskProblem]) {
    do {
        _ = try read(path)
        Issue.record("\(path) read without error")
    } catch let error as TaskError {
        guard case .malformedLine(let file, let number, _) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(file == path && number == line)
        #expect(error.description.hasPrefix("\(path):\(line): "))
        #expect(error.description.contains(fragment), "\(error)")
        #expect(error.exitCode == 65)
    } catch {
        Issue.record("unexpected \(error)")
    }
}

@Test func countdownFilesInBothFormats() throws {
    let path = try file("cd.jsonl", "{\"input\": \"30,100,93\", \"output\": \"23\"}\r\n\n{\"numbers\": [1, 2, 3], \"target\": 6}\n")
    let problems = try CountdownTask().problems(fromFile: path)
    #expect(problems.map(\.id) == ["countdown/cd.jsonl/0", "countdown/cd.jsonl/1"])
    #expect(problems.map(\.data) == [.countdown(numbers: [30, 100, 93], target: 23), .countdown(numbers: [1, 2, 3], target: 6)])
    let read = CountdownTask().problems(fromFile:)
    expectMalformed(try file("a.jsonl", "{\"numbers\": [1, 2, 3], \"target\": 6}\n\n{\"numbers\": [1, 2,\n"), line: 3, "not valid JSON", read)
    expectMalformed(try file("b.jsonl", "[1, 2]\n"), line: 1, "expected a JSON object", read)
    expectMalformed(try file("c.jsonl", "{\"numbers\": [1, 2, 3]}\n"), line: 1, "missing key 'target'", read)
    expectMalformed(try file("d.jsonl", "{\"numbers\": [1, \"2\"], \"target\": 6}\n"), line: 1, "'numbers' must be an array of integers", read)
    expectMalformed(try file("e.jsonl", "{\"input\": \"1,x,3\", \"output\": \"6\"}\n"), line: 1, "'input'", read)
    expectMalformed(try file("f.jsonl", "{\"numbers\": [1], \"target\": 1.5}\n"), line: 1, "'target' must be an integer", read)
}

@Test func sudokuCSVFiles() throws {
    let path = try file("s.csv", "Puzzle,Solution\n3102200002100320,3142243142131324\n")
    #expect(try SudokuTask().problems(fromFile: path).map(\.id) == ["sudoku/s.csv/0"])
    let read = SudokuTask().problems(fromFile:)
    expectMalformed(try file("a.csv", "Quiz,Answer\n"), line: 1, "header", read)
    expectMalformed(try file("b.csv", "Puzzle,Solution\n3102200002100320,3142243142131324\n31022000021003,3142243142131324\n"),
                    line: 3, "puzzle '31022000021003'", read)
    expectMalformed(try file("c.csv", "Puzzle,Solution\n3102200002100320,3142243142131323\n"), line: 2, "not a solved", read)
    expectMalformed(try file("d.csv", "Puzzle,Solution\n3102200002100320,2143432114323214\n"), line: 2, "contradicts", read)
    expectMalformed(try file("e.csv", "Puzzle,Solution\n3102200002100320\n"), line: 2, "expected 2 fields", read)
}

@Test func gsm8kAndCodeFiles() throws {
    let gsm = try file("g.jsonl", "{\"question\": \"How many?\", \"answer\": \"2+2=4\\n#### 4\"}\n")
    #expect(try MathTask().problems(fromFile: gsm).first?.reference == "<reasoning>\n2+2=4\n</reasoning>\n<answer>\n4\n</answer>\n")
    expectMalformed(try file("h.jsonl", "{\"question\": \"How many?\", \"answer\": \"4\"}\n"), line: 1, "####", MathTask().problems(fromFile:))
    let codeTask = try CodeTask()
    let code = try file("c.jsonl", "{\"prompt\": \"def f(x):\\n\", \"entry_point\": \"f\", \"tests\": [\"assert f(1) == 1\"], \"solution\": \"def f(x):\\n    return x\\n\"}\n")
    let problem = try #require(try codeTask.problems(fromFile: code).first)
    #expect(problem.reference == "<answer>\ndef f(x):\n    return x\n</answer>")
    #expect(codeTask.score(completion: problem.reference!, problem: problem).reward == 1)
    expectMalformed(try file("d.jsonl", "{\"prompt\": \"\", \"entry_point\": \"f\", \"tests\": []}\n"), line: 1, "'tests' is empty",
                    codeTask.problems(fromFile:))
    expectMalformed(try file("e.jsonl", "{\"prompt\": \"\", \"entry_point\": \"f\", \"tests\": \"assert f(1)\"}\n"), line: 1,
                    "'tests' must be an array of strings", codeTask.problems(fromFile:))
}

@Test func unreadableFilesAreIOErrors() {
    #expect(throws: TaskError.unreadableFile(path: "/nonexistent/x.jsonl", reason: "no such file or not readable")) {
        try CountdownTask().problems(fromFile: "/nonexistent/x.jsonl")
    }
    #expect(TaskError.unreadableFile(path: "x", reason: "y").exitCode == 74)
}
