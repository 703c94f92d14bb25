import Tasks
import Testing

@Test func countdownTestSplitIsEmbeddedAndSolvable() throws {
    let task = CountdownTask()
    let problems = try task.testProblems()
    #expect(problems.count == 256)
    #expect(problems[0] == TaskProblem(id: "countdown/test/0", prompt: "30 100 93 -> 23\n",
                                       reference: "<answer>30+93-100</answer>",
                                       data: .countdown(numbers: [30, 100, 93], target: 23)))
    #expect(problems[255].data == .countdown(numbers: [21, 39, 89], target: 71))
    for problem in problems {
        let reference = try #require(problem.reference, "\(problem.id) has no solution")
        #expect(task.score(completion: reference, problem: problem).reward == 1.0, "\(problem.id)")
    }
}

@Test func solverPrefersShortNaturalExpressions() {
    #expect(CountdownSolver.solve(numbers: [30, 100, 93], target: 23) == "30+93-100")
    #expect(CountdownSolver.solve(numbers: [2, 3, 4], target: 20) == "(2+3)*4")
    #expect(CountdownSolver.solve(numbers: [2, 3, 4], target: 14) == "2+3*4")
    #expect(CountdownSolver.solve(numbers: [8, 4, 2], target: 4) == "8/4+2")
    #expect(CountdownSolver.solve(numbers: [100, 2, 7], target: 43) == "100/2-7")
    #expect(CountdownSolver.solve(numbers: [1, 1, 1], target: 100) == nil)
    #expect(CountdownSolver.solve(numbers: [1, 2], target: 3) == nil)
}

@Test func solverSolutionsEarnFullReward() {
    var solved = 0
    for a in stride(from: 1, through: 100, by: 11) {
        for b in stride(from: 2, through: 100, by: 13) {
            for target in stride(from: 1, through: 100, by: 7) {
                let numbers = [a, b, (a * 7 + b) % 100 + 1]
                guard let expression = CountdownSolver.solve(numbers: numbers, target: target) else { continue }
                solved += 1
                #expect(CountdownTask.reward(completion: "<answer>\(expression)</answer>", numbers: numbers, target: target) == 1.0,
                        "\(numbers) -> \(target): \(expression)")
            }
        }
    }
    #expect(solved > 40)
}

@Test func countdownTrainingProblemsAreDeterministicSolvableAndNeverTestProblems() throws {
    let task = CountdownTask()
    let test = Set(try task.testProblems().map { problem -> [Int] in
        guard case .countdown(let numbers, let target) = problem.data else { return [] }
        return numbers.sorted() + [target]
    })
    for index in UInt64(0)..<200 {
        let problem = task.trainingProblem(seed: 7, index: index)
        #expect(problem == task.trainingProblem(seed: 7, index: index))
        #expect(problem.id == "countdown/gen/7/\(index)")
        guard case .countdown(let numbers, let target) = problem.data else {
            Issue.record("not a countdown problem")
            continue
        }
        #expect(numbers.count == 3 && numbers.allSatisfy { (1...100).contains($0) } && (1...100).contains(target))
        #expect(!test.contains(numbers.sorted() + [target]))
        #expect(problem.prompt == CountdownTask.prompt(numbers: numbers, target: target))
        #expect(task.score(completion: try #require(problem.reference), problem: problem).reward == 1.0)
    }
    #expect(task.trainingProblem(seed: 7, index: 0) != task.trainingProblem(seed: 8, index: 0))
}

@Test func countdownTrainingTargetsSpreadLikeTheTestSplit() {
    let targets = (UInt64(0)..<400).map { index -> Int in
        guard case .countdown(_, let target) = CountdownTask().trainingProblem(seed: 1, index: index).data else { return 0 }
        return target
    }
    let mean = Double(targets.reduce(0, +)) / Double(targets.count)
    #expect(mean > 35 && mean < 60)  // the test split's mean target is 45.5
    #expect(Set(targets).count > 80)
}

@Test func countdownTrainingProblemsSubtractTheFirstNumberAsOftenAsTheOthers() {
    // Problems `a ± b ± c = t` with exactly one number to subtract: which position it holds.
    var positions = [0, 0, 0]
    for index in UInt64(0)..<600 {
        guard case .countdown(let n, let target) = CountdownTask().trainingProblem(seed: 4, index: index).data else { continue }
        let subtracted = n.indices.filter { n.reduce(0, +) - 2 * n[$0] == target }
        if subtracted.count == 1 { positions[subtracted[0]] += 1 }
    }
    let total = positions.reduce(0, +)
    #expect(total > 200)
    #expect(positions.allSatisfy { Double($0) > 0.25 * Double(total) }, "positions \(positions)")
}

@Test func countdownTrainingProblemsNeedMultiplicationAsRarelyAsTheTestSplit() throws {
    let task = CountdownTask()
    /// The share of problems whose solver reference uses only `+` and `-`.
    func additiveShare(_ problems: [TaskProblem]) throws -> Double {
        let additive = try problems.filter { try #require($0.reference).allSatisfy { $0 != "*" && $0 != "/" } }
        return Double(additive.count) / Double(problems.count)
    }
    let test = try additiveShare(task.testProblems())
    let training = try additiveShare((UInt64(0)..<400).map { task.trainingProblem(seed: 3, index: $0) })
    #expect(abs(training - test) < 0.08, "training \(training), test split \(test)")
}
