import Foundation
import Tasks
import Testing

@Test func registryKnowsTheFourTasks() throws {
    #expect(TaskRegistry.names == ["countdown", "sudoku", "gsm8k", "code"])
    for name in TaskRegistry.names {
        let task = try TaskRegistry.task(named: name)
        #expect(task.name == name)
        #expect(task is any ProblemFileReading)
        #expect(!task.rewardNames.isEmpty)
    }
}

@Test func unknownTaskIsAUsageError() {
    #expect(throws: TaskError.unknownTask("chess")) { try TaskRegistry.task(named: "chess") }
    #expect(TaskError.unknownTask("chess").exitCode == 64)
    #expect(TaskError.unknownTask("chess").description == "unknown task 'chess' (known tasks: countdown, sudoku, gsm8k, code)")
}

@Test func promptsAndReferencesUseTheTokenizerAlphabet() throws {
    for name in TaskRegistry.names {
        let task = try TaskRegistry.task(named: name)
        let problems = try task.testProblems() + (UInt64(0)..<20).map { task.trainingProblem(seed: 0, index: $0) }
        for problem in problems {
            let text = problem.prompt + (problem.reference ?? "")
            #expect(text.unicodeScalars.allSatisfy { $0 == "\n" || (32...126).contains($0.value) }, "\(problem.id)")
            #expect(problem.prompt.hasSuffix("\n"), "\(problem.id)")
        }
    }
}

@Test func problemsRoundTripThroughCodable() throws {
    let problem = try CountdownTask().testProblems()[0]
    let data = try JSONEncoder().encode(problem)
    #expect(try JSONDecoder().decode(TaskProblem.self, from: data) == problem)
}
