import Tasks
import Testing

@Test func mathTestSplitIsSyntheticDistinctAndScoresFullReferences() throws {
    let task = MathTask()
    let problems = try task.testProblems()
    #expect(problems.count == MathTask.testSplitSize)
    #expect(Set(problems.map(\.prompt)).count == problems.count)
    #expect(problems == (try task.testProblems()))
    for problem in problems {
        #expect(problem.prompt.allSatisfy { $0 == "\n" || ($0.isASCII && !$0.isUppercase && $0 >= " ") })
        let score = task.score(completion: problem.reference!, problem: problem)
        #expect(score.reward == 3.5 && score.correct == 1, "\(problem.id)")
    }
}

@Test func mathTrainingProblemsAreDeterministicAndNeverTestProblems() throws {
    let task = MathTask()
    let test = Set(try task.testProblems().map(\.prompt))
    var distinct = Set<String>()
    for index in UInt64(0)..<500 {
        let problem = task.trainingProblem(seed: 11, index: index)
        #expect(problem == task.trainingProblem(seed: 11, index: index))
        #expect(!test.contains(problem.prompt))
        guard case .math(let question, let answer) = problem.data else {
            Issue.record("not a math problem")
            continue
        }
        #expect(problem.prompt == question + "\n")
        #expect(answer.contains("\n#### "))
        #expect(task.score(completion: problem.reference!, problem: problem).reward == 3.5)
        distinct.insert(question)
    }
    #expect(distinct.count > 480)
}

@Test func gsm8kProblemsFromTheirAnswers() {
    let problem = MathTask.problem(id: "g", question: "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.\u{2019}",
                                   answer: "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72")
    #expect(problem.prompt == "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.'\n")
    #expect(problem.reference == "<reasoning>\nNatalia sold 48/2 = 24 clips in May. Natalia sold 48+24 = 72 clips altogether in April and May.\n</reasoning>\n<answer>\n72\n</answer>\n")
    #expect(MathTask().score(completion: problem.reference!, problem: problem).reward == 3.5)
}
