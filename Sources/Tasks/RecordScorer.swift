import Foundation

/// Scores JSONL records of completions (what `bgpo score` does).
///
/// Each non-blank line is one JSON object carrying the problem's data and a `completion`:
/// - countdown: `numbers` (integers), `target` (integer);
/// - sudoku: `puzzle`, `solution` (16-digit strings);
/// - gsm8k: `answer` (a GSM8K answer with `####`, or the bare final answer); `question` optional;
/// - code: `tests` (array of `assert` lines), `entry_point`; `prompt` optional.
///
/// The output line is the same object, its members in their original order and text, with a
/// `reward` member added at the end (replacing any earlier `reward`).
public struct RecordScorer: Sendable {
    /// The task whose reward is computed.
    public let task: any RewardTask

    /// Creates a scorer for `task` (one of ``TaskRegistry/names``).
    public init(task: any RewardTask) {
        self.task = task
    }

    /// Scores every record of the JSONL file at `path`, returning one output line per record.
    public func scoreFile(atPath path: String) throws -> [String] {
        try score(DataLines(path: path))
    }

    /// Scores every record of `text`; `file` names it in error messages.
    public func scoreLines(of text: String, file: String) throws -> [String] {
        try score(DataLines(text: text, file: file))
    }

    private func score(_ source: DataLines) throws -> [String] {
        try source.lines.map { line in
            let record = try JSONRecord(line.text, line: line.number, of: source)
            let problem = TaskProblem(id: "\(source.file):\(line.number)", prompt: "", reference: nil, data: try data(of: record))
            let reward = task.score(completion: try record.string("completion"), problem: problem).reward
            var members = RecordScorer.members(of: line.text).filter { $0.key != "reward" }.map(\.text)
            members.append("\"reward\": \(reward)")
            return "{" + members.joined(separator: ", ") + "}"
        }
    }

    private func data(of record: JSONRecord) throws -> ProblemData {
        switch task.name {
        case "countdown":
            return .countdown(numbers: try record.ints("numbers"), target: try record.int("target"))
        case "sudoku":
            let puzzle = try record.string("puzzle"), solution = try record.string("solution")
            guard SudokuGrid.cells(puzzle) != nil else { throw record.error("puzzle '\(puzzle)' is not 16 digits 0-4") }
            guard SudokuGrid.cells(solution) != nil else { throw record.error("solution '\(solution)' is not 16 digits 0-4") }
            return .sudoku(puzzle: puzzle, solution: solution)
        case "gsm8k":
            return .math(question: try record.optionalString("question") ?? "", answer: try record.string("answer"))
        case "code":
            return .code(prompt: try record.optionalString("prompt") ?? "", entryPoint: try record.string("entry_point"),
                         tests: try record.strings("tests"))
        default:
            throw TaskError.unknownTask(task.name)
        }
    }

    /// The members of a (valid) JSON object's text, in order: each decoded key with its raw
    /// `"key": value` text.
    static func members(of object: Substring) -> [(key: String, text: String)] {
        let bytes = Array(object.utf8)
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), comma = UInt8(ascii: ",")
        let opening: Set<UInt8> = [UInt8(ascii: "{"), UInt8(ascii: "[")], closing: Set<UInt8> = [UInt8(ascii: "}"), UInt8(ascii: "]")]
        /// The index after the string that starts at `i`.
        func endOfString(_ i: Int) -> Int {
            var j = i + 1
            while bytes[j] != quote { j += bytes[j] == backslash ? 2 : 1 }
            return j + 1
        }
        var members: [(String, String)] = []
        var memberStart: Int?, keyEnd = 0, valueEnd = 0
        var depth = 0
        var i = bytes.firstIndex(of: UInt8(ascii: "{"))! + 1
        while i < bytes.count {
            let b = bytes[i]
            if b == quote {
                let end = endOfString(i)
                if memberStart == nil { (memberStart, keyEnd) = (i, end) }
                (i, valueEnd) = (end, end)
                continue
            }
            if depth == 0 && (b == comma || closing.contains(b)) {
                if let start = memberStart {
                    let key = try? JSONDecoder().decode(String.self, from: Data(bytes[start..<keyEnd]))
                    members.append((key ?? "", String(decoding: bytes[start..<valueEnd], as: UTF8.self)))
                }
                memberStart = nil
                if b != comma { break }
            } else if opening.contains(b) {
                depth += 1
            } else if closing.contains(b) {
                depth -= 1
            }
            if ![0x20, 0x09, 0x0A, 0x0D].contains(b) { valueEnd = i + 1 }
            i += 1
        }
        return members
    }
}
