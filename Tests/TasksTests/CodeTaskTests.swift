import Foundation
import Tasks
import Testing

/// A code task with short limits, so that the time-limit tests stay quick.
private func quickTask() throws -> CodeTask {
    try CodeTask(secondsPerTest: 1)
}

private func codeProblem(_ tests: [String], prompt: String = "", entryPoint: String = "f") -> TaskProblem {
    CodeTask.problem(id: "c", prompt: prompt, entryPoint: entryPoint, tests: tests, solution: nil)
}

private let threeTests = ["assert f(1) == 2", "assert f(2) == 3", "assert f(0) == 0"]

private func answer(_ program: String) -> String {
    "<answer>\n\(program)\n</answer>"
}

@Test func codeRewardIsTheFractionOfPassingTests() throws {
    let task = try quickTask()
    let problem = codeProblem(threeTests)
    let partial = task.score(completion: answer("def f(x):\n    return x + 1"), problem: problem)
    #expect(partial == TaskScore(reward: 2.0 / 3.0, components: ["code_reward_func": 2.0 / 3.0], correct: 0, total: 1))
    let full = task.score(completion: answer("def f(x):\n    return x + 1 if x else 0"), problem: problem)
    #expect(full == TaskScore(reward: 1, components: ["code_reward_func": 1], correct: 1, total: 1))
    // Only the last answer block runs; text around it is ignored.
    let last = task.score(completion: "first " + answer("def f(x): return 0") + " then " + answer("def f(x): return x + 1 if x else 0") + " done",
                          problem: problem)
    #expect(last.reward == 1)
}

@Test func codeWithoutAnswerOrWithBrokenProgramsScoresZero() throws {
    let task = try quickTask()
    let problem = codeProblem(threeTests)
    for completion in ["def f(x):\n    return x + 1", "<answer></answer>", answer("def f(x) return x"),
                       answer("def f(x):\n    return x + 1\nraise ValueError('at import')"), answer("def g(x):\n    return x + 1"),
                       answer("    def f(x):\n        return x + 1\n  x")] {
        #expect(task.score(completion: completion, problem: problem).reward == 0, "\(completion.debugDescription)")
    }
}

@Test func exceptionsAndTimeLimitsFailOnlyTheirTests() throws {
    let task = try quickTask()
    let problem = codeProblem(threeTests)
    let raising = answer("def f(x):\n    if x == 2:\n        raise RuntimeError('no')\n    return x + 1 if x else 0")
    #expect(task.score(completion: raising, problem: problem).reward == 2.0 / 3.0)
    let looping = answer("def f(x):\n    while x == 1:\n        pass\n    return x + 1 if x else 0")
    #expect(task.score(completion: looping, problem: problem).reward == 2.0 / 3.0)
    let exiting = answer("import os\ndef f(x):\n    if x == 2:\n        os._exit(0)\n    return x + 1 if x else 0")
    #expect(task.score(completion: exiting, problem: problem).reward == 1.0 / 3.0)  // the harness is gone after test 2
}

@Test func infiniteLoopsThatSwallowTheAlarmAreKilled() throws {
    // The CPU limit (about 2 s here) or the wall-clock deadline ends the run.
    let task = try CodeTask(secondsPerTest: 0.3)
    let stubborn = answer("def f(x):\n    while True:\n        try:\n            while True:\n                pass\n        except BaseException:\n            pass")
    #expect(task.score(completion: stubborn, problem: codeProblem(["assert f(1) == 2"])).reward == 0)
    let atImport = answer("while True:\n    pass")
    #expect(task.score(completion: atImport, problem: codeProblem(["assert f(1) == 2"])).reward == 0)
}

@Test func sandboxBlocksNetworkMemoryAndForgedResults() throws {
    let task = try quickTask()
    #expect(["network namespace", "sockets disabled"].contains(task.networkIsolation))
    let network = answer("import socket\ndef f(x):\n    socket.socket().connect(('127.0.0.1', 9))\n    return 1")
    #expect(task.score(completion: network, problem: codeProblem(["assert f(0) == 1"])).reward == 0)
    let memory = answer("def f(x):\n    return len(bytearray(4 << 30))")
    #expect(task.score(completion: memory, problem: codeProblem(["assert f(0) > 0"])).reward == 0)
    let printing = answer("print('1\\n1\\n1\\nend')\nimport sys\nsys.stdout.write('1\\n')\ndef f(x):\n    return 5")
    #expect(task.score(completion: printing, problem: codeProblem(threeTests)).reward == 0)
}

@Test func promptRunsFirstAndCandidateNamesTheEntryPoint() throws {
    let task = try quickTask()
    let problem = codeProblem(["assert candidate(4) == 2.0", "assert root(9) == 3.0"],
                              prompt: "from math import sqrt\ndef root(x):\n    \"\"\"square root\"\"\"\n", entryPoint: "root")
    #expect(task.score(completion: answer("def root(x):\n    return sqrt(x)"), problem: problem).reward == 1)
    // A prose prompt is not Python; it is skipped.
    let prose = codeProblem(threeTests, prompt: "Write f so that f(x) is x + 1, except f(0) = 0.")
    #expect(task.score(completion: answer("def f(x):\n    return x + 1 if x else 0"), problem: prose).reward == 1)
}

@Test func builtInTestSplitAndTrainingFamiliesPassTheirReferences() throws {
    let task = try CodeTask()
    let test = try task.testProblems()
    #expect(test.count == 10)
    #expect(test[1].prompt == "def factorial(n):\n    \"\"\"return n! for n >= 0.\"\"\"\n")
    #expect(test[1].reference == "<answer>\ndef factorial(n):\n    result = 1\n    for i in range(2, n + 1):\n        result *= i\n    return result\n</answer>")
    let training = (UInt64(0)..<24).map { task.trainingProblem(seed: 5, index: $0) }
    let testNames = Set(test.compactMap(entryPoint))
    for problem in test + training {
        #expect(task.score(completion: try #require(problem.reference), problem: problem).reward == 1, "\(problem.id)")
    }
    for (index, problem) in training.enumerated() {
        #expect(problem == task.trainingProblem(seed: 5, index: UInt64(index)))
        #expect(!testNames.contains(entryPoint(problem)!))
        #expect(problem.prompt.allSatisfy { $0 == "\n" || ($0.isASCII && $0 >= " ") })
    }
    #expect(Set(training.compactMap(entryPoint)).count > 12)
}

private func entryPoint(_ problem: TaskProblem) -> String? {
    guard case .code(_, let entryPoint, _) = problem.data else { return nil }
    return entryPoint
}

@Test func missingInterpreterIsAConfigurationError() {
    #expect(throws: TaskError.pythonUnavailable("'no-such-python-3' not found on PATH")) {
        try CodeTask(python: "no-such-python-3")
    }
    #expect(TaskError.pythonUnavailable("x").exitCode == 64)
}
