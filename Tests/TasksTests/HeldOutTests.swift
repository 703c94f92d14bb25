import Tasks
import Testing

/// The held-out sets of countdown and sudoku: 1,024 distinct problems, all in the held-out part of
/// the space, outside the test split, with correct references; and the training generator, for
/// several seeds, never produces a problem of that part (so none of the set).
struct HeldOutTests {
    static let tasks: [any HeldOutProblems] = [CountdownTask(), SudokuTask()]

    @Test(arguments: [0, 1])
    func heldOutSetIsDistinctHeldOutAndOutsideTheTestSplit(_ which: Int) throws {
        let task = Self.tasks[which]
        let set = task.heldOutProblems()
        #expect(set.count == HeldOutSplit.size)
        let keys = set.map(task.heldOutKey)
        #expect(Set(keys).count == set.count, "duplicates in the held-out set")
        #expect(keys.allSatisfy { !$0.isEmpty && HeldOutSplit.contains($0) })
        let testKeys = Set(try task.testProblems().map(task.heldOutKey))
        #expect(keys.allSatisfy { !testKeys.contains($0) })
        #expect(set.enumerated().allSatisfy { $1.id == "\(task.name)/heldout/\($0)" })
        for problem in set {
            let reference = try #require(problem.reference)
            #expect(task.score(completion: reference, problem: problem).reward == 1.0, "\(problem.id)")
        }
    }

    /// Seeds 0...3, the first 2,048 (countdown) or 1,024 (sudoku) prompts of each: about 1 in 16
    /// draws falls in the held-out part, so a generator that did not skip it would produce some.
    @Test(arguments: [0, 1])
    func trainingGeneratorNeverDrawsHeldOutProblems(_ which: Int) {
        let task = Self.tasks[which]
        let heldOut = Set(task.heldOutProblems().map(task.heldOutKey))
        let count: UInt64 = which == 0 ? 2048 : 1024
        for seed in UInt64(0)...3 {
            for index in 0..<count {
                let key = task.heldOutKey(task.trainingProblem(seed: seed, index: index))
                #expect(!HeldOutSplit.contains(key) && !heldOut.contains(key), "seed \(seed) index \(index): \(key)")
                if HeldOutSplit.contains(key) { return }
            }
        }
    }

    /// The held-out countdown problems look like the training ones: about nine in ten need only
    /// `+` and `-` in the training stream; the held-out set's share is within a few points.
    @Test func heldOutCountdownFollowsTheTrainingDistribution() {
        func shareAdditive(_ problems: [TaskProblem]) -> Double {
            let additive = problems.filter { problem in
                guard let reference = problem.reference else { return false }
                return !reference.contains("*") && !reference.contains("/")
            }
            return Double(additive.count) / Double(problems.count)
        }
        let training = (0..<UInt64(2048)).map { CountdownTask().trainingProblem(seed: 7, index: $0) }
        let heldOut = CountdownTask().heldOutProblems()
        #expect(abs(shareAdditive(heldOut) - shareAdditive(training)) < 0.05)
    }
}
