import Base

/// Write a Python function that passes `assert` tests.
///
/// Prompt template: the function's signature and docstring, e.g.
/// `"def add_7(x):\n    \"\"\"return x plus 7.\"\"\"\n"`. Completion: the whole program inside answer
/// tags; the SFT reference is `"<answer>\ndef add_7(x):\n    return x + 7\n</answer>"`.
///
/// Reward (`code_reward_func`): the fraction of the tests that pass when the stripped content of the
/// last `<answer>...</answer>` runs in a sandboxed `python3` subprocess (see ``CodeSandbox``: time and
/// memory limits, no network) after the problem's prompt has run (so its imports are available);
/// 0 without an answer. A problem counts as correct when every test passes.
///
/// The test split is ten built-in classic functions; training problems come from eight parametric
/// families whose entry points (e.g. `add_7`, `clamp_m2_5`) never name a test function.
public struct CodeTask: RewardTask, ProblemFileReading {
    /// "code".
    public var name: String { "code" }

    /// `["code_reward_func"]`.
    public var rewardNames: [String] { [CodeTask.rewardName] }

    static let rewardName = "code_reward_func"

    private let sandbox: CodeSandbox

    /// Prepares the sandbox: finds `python` (a name on `PATH` or a path) and probes whether a network
    /// namespace is available. Throws ``TaskError/pythonUnavailable(_:)`` without a Python 3.
    ///
    /// - Parameters:
    ///   - secondsPerTest: the time limit for the prompt, the program and each test; a whole run
    ///     gets `(tests + 2) * secondsPerTest` plus 5 seconds for start-up.
    ///   - memoryBytes: the address-space limit of the interpreter.
    public init(python: String = "python3", secondsPerTest: Double = 2, memoryBytes: Int = 512 << 20) throws {
        sandbox = try CodeSandbox(python: python, secondsPerTest: secondsPerTest, memoryBytes: memoryBytes)
    }

    /// How programs are cut off from the network: "network namespace" (`unshare`) with the socket
    /// constructors also disabled, or "sockets disabled" alone when namespaces are unavailable.
    public var networkIsolation: String {
        sandbox.isolation.isEmpty ? "sockets disabled" : "network namespace"
    }

    /// A problem with its prompt (spelled in ASCII) and, when `solution` (a whole program) is given,
    /// its reference completion.
    public static func problem(id: String, prompt: String, entryPoint: String, tests: [String], solution: String?) -> TaskProblem {
        let trimmed = solution.map { String(String.UnicodeScalarView(PythonText.strip(PythonText.scalars($0)))) }
        return TaskProblem(id: id, prompt: PromptText.ascii(prompt),
                           reference: trimmed.map { "<answer>\n\(PromptText.ascii($0))\n</answer>" },
                           data: .code(prompt: prompt, entryPoint: entryPoint, tests: tests))
    }

    /// A problem from the parametric families, a pure function of `seed` and `index`.
    public func trainingProblem(seed: UInt64, index: UInt64) -> TaskProblem {
        var random = CounterRandom(problemSeed: seed, tag: ProblemTag.code, index: index, attempt: 0)
        return CodeTask.problem(id: "code/gen/\(seed)/\(index)", CodeProblems.draw(&random))
    }

    /// The ten built-in problems, ids `code/test/<i>`.
    public func testProblems() throws -> [TaskProblem] {
        CodeProblems.testSplit.enumerated().map { CodeTask.problem(id: "code/test/\($0)", $1) }
    }

    /// Runs the program of the last answer block against the problem's tests.
    public func score(completion: String, problem: TaskProblem) -> TaskScore {
        guard case .code(let prompt, let entryPoint, let tests) = problem.data else {
            preconditionFailure("code task given a non-code problem \(problem.id)")
        }
        let passed: Int
        if let answer = PythonText.lastAnswerBlock(PythonText.scalars(completion)), !tests.isEmpty {
            let program = String(String.UnicodeScalarView(PythonText.strip(answer)))
            passed = sandbox.passes(prompt: prompt, program: program, entryPoint: entryPoint, tests: tests).filter { $0 }.count
        } else {
            passed = 0
        }
        let reward = tests.isEmpty ? 0 : Double(passed) / Double(tests.count)
        return TaskScore(reward: reward, components: [CodeTask.rewardName: reward],
                         correct: !tests.isEmpty && passed == tests.count ? 1 : 0, total: 1)
    }

    /// Reads a JSONL file: `prompt`, `entry_point`, `tests` (a non-empty array of `assert` lines) and
    /// optionally `solution` (a whole program). Ids are `code/<file name>/<i>`.
    public func problems(fromFile path: String) throws -> [TaskProblem] {
        let source = try DataLines(path: path)
        return try source.lines.enumerated().map { i, line in
            let record = try JSONRecord(line.text, line: line.number, of: source)
            let tests = try record.strings("tests")
            guard !tests.isEmpty else { throw record.error("key 'tests' is empty") }
            return CodeTask.problem(id: "code/\(fileName(path))/\(i)", prompt: try record.string("prompt"),
                                    entryPoint: try record.string("entry_point"), tests: tests,
                                    solution: try record.optionalString("solution"))
        }
    }

    private static func problem(id: String, _ p: CodeProblems.Problem) -> TaskProblem {
        problem(id: id, prompt: p.prompt, entryPoint: p.entryPoint, tests: p.tests, solution: p.solution)
    }
}
