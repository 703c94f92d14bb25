import Tasks
import Testing

// The puzzle 3102200002100320 has 8 empty cells (indices 2 5 6 7 8 11 12 15); its solution is
// 3142243142131324. Expected values follow d1's `sudoku_reward_func` and were checked against it.
private let puzzle = "3102200002100320", solution = "3142243142131324"

private func sudokuReward(_ completion: String) -> Double {
    SudokuTask().score(completion: completion, problem: SudokuTask.problem(id: "p", puzzle: puzzle, solution: solution)).reward
}

@Test func sudokuRewardEdgeCases() {
    #expect(sudokuReward("<answer>3142243142131324</answer>") == 1.0)
    #expect(sudokuReward("3142243142131324") == 0)
    #expect(sudokuReward("<answer>3142243142131324") == 0)
    #expect(sudokuReward("<answer></answer>") == 0)
    #expect(sudokuReward("<answer>abc</answer>") == 0)
    #expect(sudokuReward("<answer>31</answer>") == 0)  // padded with '0'
    #expect(sudokuReward("<answer>3142</answer>") == 0.125)  // only cell 2 filled
    #expect(sudokuReward("<answer>31422431421313249999</answer>") == 1.0)  // cut to 16
    #expect(sudokuReward("<answer>\n3142 2431\n4213 1324\n</answer>") == 1.0)
    #expect(sudokuReward("<answer>3,1,4,2,2,4,3,1,4,2,1,3,1,3,2,4</answer>") == 1.0)
    #expect(sudokuReward("<answer>3112243342131324</answer>") == 0.75)  // cells 2 and 7 wrong
    #expect(sudokuReward("<answer>3142243142131324</answer> or <answer>3111111111111111</answer>") == 0.25)
}

@Test func sudokuDigitsFollowPythonIsdigit() {
    #expect(sudokuReward("<answer>31\u{664}2243142131324</answer>") == 0.875)  // Arabic-Indic 4 is a digit, not '4'
    #expect(sudokuReward("<answer>\u{FF13}\u{FF11}\u{FF14}\u{FF12}243142131324</answer>") == 0.875)  // full-width
    #expect(sudokuReward("<answer>\u{B2}142243142131324</answer>") == 1.0)  // '²' is a digit (a given cell)
    #expect(sudokuReward("<answer>31\u{BD}42243142131324</answer>") == 1.0)  // '½' is not
}

@Test func sudokuScoreCountsFilledCells() {
    let task = SudokuTask()
    let problem = SudokuTask.problem(id: "p", puzzle: puzzle, solution: solution)
    #expect(task.score(completion: "<answer>3112243342131324</answer>", problem: problem)
        == TaskScore(reward: 0.75, components: ["sudoku_reward_func": 0.75], correct: 6, total: 8))
    let full = SudokuTask.problem(id: "q", puzzle: solution, solution: solution)
    #expect(task.score(completion: "<answer>\(solution)</answer>", problem: full)
        == TaskScore(reward: 0, components: ["sudoku_reward_func": 0], correct: 0, total: 0))
    #expect(SudokuTask.filledCells(completion: "<answer>3142</answer>", puzzle: puzzle, solution: solution) == (1, 8))
}

@Test func sudokuTestSplitIsEmbedded() throws {
    let problems = try SudokuTask().testProblems()
    #expect(problems.count == 500)
    #expect(problems[0] == TaskProblem(id: "sudoku/test/0", prompt: "3102200002100320\n",
                                       reference: "<answer>3142243142131324</answer>",
                                       data: .sudoku(puzzle: puzzle, solution: solution)))
    #expect(problems.last?.data == .sudoku(puzzle: "4103020403002030", solution: "4123321413422431"))
    for problem in problems {
        #expect(SudokuTask().score(completion: problem.reference!, problem: problem).reward == 1.0)
    }
}

@Test func sudokuTrainingPuzzlesAreUniqueDeterministicAndNeverTestPuzzles() throws {
    let task = SudokuTask()
    let test = Set(try task.testProblems().map(\.prompt))
    var seen = Set<String>()
    for index in UInt64(0)..<300 {
        let problem = task.trainingProblem(seed: 3, index: index)
        #expect(problem == task.trainingProblem(seed: 3, index: index))
        guard case .sudoku(let p, let s) = problem.data else {
            Issue.record("not a sudoku problem")
            continue
        }
        #expect(!test.contains(problem.prompt))
        #expect(p.filter { $0 == "0" }.count == 8)
        #expect(zip(p, s).allSatisfy { $0 == "0" || $0 == $1 })
        #expect(isSolvedGrid(s))
        if index < 10 { #expect(solutions(of: p) == 1) }
        #expect(task.score(completion: problem.reference!, problem: problem).reward == 1.0)
        seen.insert(p)
    }
    #expect(seen.count > 290)
}

/// The rows, columns and boxes of a 4x4 grid.
private let groups = (0..<4).map { r in (0..<4).map { r * 4 + $0 } } + (0..<4).map { c in (0..<4).map { $0 * 4 + c } }
    + [0, 2, 8, 10].map { [$0, $0 + 1, $0 + 4, $0 + 5] }

/// Whether `grid` is a solved 4x4 Sudoku (an independent check, not the module's).
private func isSolvedGrid(_ grid: String) -> Bool {
    let g = grid.map { Int(String($0)) ?? 0 }
    return g.count == 16 && isSolved(g)
}

private func isSolved(_ g: [Int]) -> Bool {
    groups.allSatisfy { group in group.reduce(0) { $0 | 1 << g[$1] } == 0b11110 }
}

/// The number of completions of `puzzle`, by brute force over its empty cells.
private func solutions(of puzzle: String) -> Int {
    let cells = puzzle.map { Int(String($0))! }
    let empty = cells.indices.filter { cells[$0] == 0 }
    var count = 0
    var filled = cells
    for code in 0..<(1 << (2 * empty.count)) {
        for (k, i) in empty.enumerated() { filled[i] = (code >> (2 * k)) & 3 + 1 }
        if isSolved(filled) { count += 1 }
    }
    return count
}
