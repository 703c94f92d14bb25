import ArgumentParser
import Base
import Foundation
import Tasks

/// `bgpo score`: adds a `reward` field to every JSONL record of completions.
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score completions with a task's reward.",
        discussion: """
            Reads one JSON object per line and writes the same objects, in order and with all their \
            fields, plus a "reward" field. Every line carries "completion" and the problem's data: \
            countdown "numbers" (integers) and "target"; sudoku "puzzle" and "solution"; gsm8k \
            "answer" (GSM8K answer with ####, or the bare final answer); code "tests" (assert lines) \
            and "entry_point". Exit codes: 64 bad command line or unknown task, 65 malformed line, \
            74 unreadable input or unwritable output. Input that is not UTF-8 is a malformed line (65).
            """)

    @Option(help: "The task: \(TaskRegistry.names.joined(separator: ", ")).")
    var task: String

    @Option(help: "The JSONL file of records to score.")
    var input: String

    @Option(help: "Where to write the scored records (default: standard output).")
    var output: String?

    func run() throws {
        let lines = try RecordScorer(task: TaskRegistry.task(named: task)).scoreFile(atPath: input)
        let text = lines.map { $0 + "\n" }.joined()
        if let output {
            do {
                try text.write(toFile: output, atomically: true, encoding: .utf8)
            } catch {
                StandardStream.error.writeLog("bgpo score: cannot write \(output): \(error.localizedDescription)\n")
                throw ExitCode(ExitStatus.ioError)
            }
        } else {
            try StandardStream.output.write(text)
        }
    }
}
