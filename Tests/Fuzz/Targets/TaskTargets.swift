import Base
import Foundation
import Tasks

/// A countdown completion scored against numbers taken from its first bytes; the answer also evaluated alone.
func fuzzCountdown(_ data: Data) {
    let numbers = data.prefix(3).map { Int($0) % 101 }
    let text = String(decoding: data.dropFirst(3), as: UTF8.self)
    _ = CountdownTask.reward(completion: text, numbers: numbers, target: Int(data.first ?? 0))
    _ = PythonArithmetic.evaluate(text)
}

/// A GSM8K completion (before the first zero byte) scored against a reference answer (after it).
func fuzzGSM8K(_ data: Data) {
    let (completion, answer) = splitAtZero(data)
    let reference = answer.map { String(decoding: $0, as: UTF8.self) } ?? "6*12 = 72 #### 72"
    let components = MathRewards.components(completion: String(decoding: completion, as: UTF8.self), answer: reference)
    _ = MathRewards.total(components)
}

/// A Sudoku completion (before the first zero byte) scored against a puzzle and solution (after it).
func fuzzSudoku(_ data: Data) {
    let (completion, rest) = splitAtZero(data)
    let (puzzle, solution) = rest.map { splitAtZero($0) } ?? (Data("3102200002100320".utf8), Data("3142243142131324".utf8))
    _ = SudokuTask.filledCells(completion: String(decoding: completion, as: UTF8.self),
                               puzzle: String(decoding: puzzle, as: UTF8.self),
                               solution: String(decoding: solution ?? Data(), as: UTF8.self))
}

/// The tasks `bgpo score` reads records for.
private let scoredTasks: [any RewardTask] = ["countdown", "gsm8k", "sudoku"].compactMap { try? TaskRegistry.task(named: $0) }

/// JSONL records as `bgpo score` reads them, for each task.
func fuzzScoreRecords(_ data: Data) {
    let text = String(decoding: data, as: UTF8.self)
    for task in scoredTasks {
        expectHandled("score \(task.name)", codes: [ExitStatus.dataError]) {
            _ = try RecordScorer(task: task).scoreLines(of: text, file: "fuzz.jsonl")
        }
    }
}
