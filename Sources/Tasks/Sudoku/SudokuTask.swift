import Base

/// 4x4 Sudoku: fill the empty cells so that every row, column and 2x2 box holds 1...4.
///
/// Prompt template: the 16-character puzzle, row by row, '0' for empty, and a newline:
/// `"3102200002100320\n"`. Completion: the 16-digit grid inside answer tags; the SFT reference is
/// the solution, e.g. `"<answer>3142243142131324</answer>"`.
///
/// Reward (d1's `sudoku_reward_func`): the digits (`str.isdigit`) of the stripped content of the last
/// `<answer>...</answer>`, padded with '0' or cut to 16, scored as the fraction of the puzzle's empty
/// cells that match the solution; 0 without an answer or without digits in it. `correct` is the number
/// of correctly filled empty cells, `total` the number of empty cells.
///
/// Training puzzles: a uniformly drawn complete grid with 8 cells emptied (as in every test puzzle),
/// redrawn until the puzzle has a unique solution, is not a test puzzle and is not in the held-out
/// part of the space (``HeldOutSplit``: one puzzle in 16 by a hash of its cells, from which the
/// held-out set is drawn the same way).
public struct SudokuTask: RewardTask, ProblemFileReading, HeldOutProblems {
    /// Creates the task.
    public init() {}

    /// "sudoku".
    public var name: String { "sudoku" }

    /// `["sudoku_reward_func"]`.
    public var rewardNames: [String] { [SudokuTask.rewardName] }

    static let rewardName = "sudoku_reward_func"

    /// The prompt for `puzzle`: the puzzle and a newline.
    public static func prompt(puzzle: String) -> String {
        puzzle + "\n"
    }

    /// A problem with its prompt and reference completion.
    public static func problem(id: String, puzzle: String, solution: String) -> TaskProblem {
        TaskProblem(id: id, prompt: prompt(puzzle: puzzle), reference: "<answer>\(solution)</answer>",
                    data: .sudoku(puzzle: puzzle, solution: solution))
    }

    /// A uniquely solvable puzzle with 8 empty cells outside the test split and the held-out part
    /// of the problem space (``HeldOutSplit``), a pure function of `seed` and `index`.
    public func trainingProblem(seed: UInt64, index: UInt64) -> TaskProblem {
        var attempt: UInt64 = 0
        while true {
            var random = CounterRandom(problemSeed: seed, tag: ProblemTag.sudoku, index: index, attempt: attempt)
            attempt += 1
            let (puzzle, solution) = SudokuTask.candidate(&random)
            guard !HeldOutSplit.contains(puzzle.map(Int.init)), SudokuTask.isUsable(puzzle) else { continue }
            return SudokuTask.problem(id: "sudoku/gen/\(seed)/\(index)", puzzle: SudokuTask.text(puzzle),
                                      solution: SudokuTask.text(solution))
        }
    }

    /// The held-out set: 1,024 distinct uniquely solvable puzzles of the held-out part of the space,
    /// drawn the way training puzzles are, outside the test split; ids `sudoku/heldout/<i>`.
    public func heldOutProblems() -> [TaskProblem] {
        SudokuTask.heldOut
    }

    /// The puzzle's 16 cells (0 for empty).
    public func heldOutKey(_ problem: TaskProblem) -> [Int] {
        guard case .sudoku(let puzzle, _) = problem.data else { return [] }
        return SudokuGrid.cells(puzzle)?.map(Int.init) ?? []
    }

    /// One draw: a uniformly chosen complete grid with 8 uniformly chosen cells emptied.
    private static func candidate(_ random: inout CounterRandom) -> (puzzle: [UInt8], solution: [UInt8]) {
        let solution = random.pick(SudokuGrid.allSolutions)
        var cells = solution
        var order = Array(0..<16)
        for i in 0..<8 {
            order.swapAt(i, i + random.below(16 - i))
            cells[order[i]] = 0
        }
        return (cells, solution)
    }

    /// Whether `puzzle` has a unique solution and is not a test puzzle.
    private static func isUsable(_ puzzle: [UInt8]) -> Bool {
        SudokuGrid.countSolutions(puzzle, limit: 2) == 1 && !testPuzzles.contains(text(puzzle))
    }

    /// The cells as a string of digits.
    private static func text(_ cells: [UInt8]) -> String {
        String(cells.map { Character(String($0)) })
    }

    private static let heldOut: [TaskProblem] = HeldOutSplit.build(
        tag: ProblemTag.sudokuHeldOut, idPrefix: "sudoku/heldout", candidate: { candidate(&$0) },
        key: { $0.puzzle.map(Int.init) },
        problem: { drawn, id in
            isUsable(drawn.puzzle) ? problem(id: id, puzzle: text(drawn.puzzle), solution: text(drawn.solution)) : nil
        })

    /// The 500-puzzle test split of d1 (`sudoku4x4_test.csv`), ids `sudoku/test/<i>`.
    public func testProblems() throws -> [TaskProblem] {
        try SudokuTask.testSplit.get()
    }

    /// Scores with d1's `sudoku_reward_func`.
    public func score(completion: String, problem: TaskProblem) -> TaskScore {
        guard case .sudoku(let puzzle, let solution) = problem.data else {
            preconditionFailure("sudoku task given a non-sudoku problem \(problem.id)")
        }
        let (right, empty) = SudokuTask.filledCells(completion: completion, puzzle: puzzle, solution: solution)
        let reward = empty == 0 ? 0 : Double(right) / Double(empty)
        return TaskScore(reward: reward, components: [SudokuTask.rewardName: reward],
                         correct: Double(right), total: Double(empty))
    }

    /// Reads a CSV file with a header naming `Puzzle` and `Solution` columns (d1's format).
    /// Ids are `sudoku/<file name>/<i>`.
    public func problems(fromFile path: String) throws -> [TaskProblem] {
        try SudokuTask.problems(in: DataLines(path: path), idPrefix: "sudoku/\(fileName(path))")
    }

    /// d1's `extract_answer_sudoku` and `validate_sudoku_solution`: (correctly filled empty cells, empty cells).
    public static func filledCells(completion: String, puzzle: String, solution: String) -> (correct: Int, empty: Int) {
        let puzzle = Array(puzzle.unicodeScalars), solution = Array(solution.unicodeScalars)
        let empty = (0..<min(16, puzzle.count)).filter { puzzle[$0] == "0" }
        guard let answer = PythonText.lastAnswerBlock(PythonText.scalars(completion)) else { return (0, empty.count) }
        var digits = Array(PythonText.strip(answer).filter(PythonText.isDigit))
        guard !digits.isEmpty else { return (0, empty.count) }
        digits = Array((digits + Array(repeating: "0", count: 16)).prefix(16))
        return (empty.filter { $0 < solution.count && digits[$0] == solution[$0] }.count, empty.count)
    }

    private static let testSplit: Result<[TaskProblem], TaskError> = Result {
        try problems(in: DataLines(text: StandardSplits.sudokuTest, file: StandardSplits.sudokuTestName),
                     idPrefix: "sudoku/test")
    }.mapError { $0 as! TaskError }

    private static let testPuzzles: Set<String> = {
        Set(((try? testSplit.get()) ?? []).compactMap { problem in
            guard case .sudoku(let puzzle, _) = problem.data else { return nil }
            return puzzle
        })
    }()

    private static func problems(in source: DataLines, idPrefix: String) throws -> [TaskProblem] {
        guard let header = source.lines.first else { return [] }
        let columns = header.text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingPrefix("\"").prefix { $0 != "\"" }.lowercased() }
        guard let puzzleColumn = columns.firstIndex(of: "puzzle"), let solutionColumn = columns.firstIndex(of: "solution") else {
            throw source.error(header.number, "expected a header with 'Puzzle' and 'Solution' columns")
        }
        return try source.lines.dropFirst().enumerated().map { i, line in
            let fields = line.text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == columns.count else {
                throw source.error(line.number, "expected \(columns.count) fields, found \(fields.count)")
            }
            let puzzle = fields[puzzleColumn], solution = fields[solutionColumn]
            guard let puzzleCells = SudokuGrid.cells(puzzle) else {
                throw source.error(line.number, "puzzle '\(puzzle)' is not 16 digits 0-4")
            }
            guard let solutionCells = SudokuGrid.cells(solution), SudokuGrid.isSolution(solutionCells) else {
                throw source.error(line.number, "solution '\(solution)' is not a solved 4x4 grid")
            }
            guard zip(puzzleCells, solutionCells).allSatisfy({ $0 == 0 || $0 == $1 }) else {
                throw source.error(line.number, "solution '\(solution)' contradicts puzzle '\(puzzle)'")
            }
            return problem(id: "\(idPrefix)/\(i)", puzzle: puzzle, solution: solution)
        }
    }
}
