import Base
import Foundation

/// Countdown with 3 numbers: reach the target with `+ - * /`, each number used exactly once.
///
/// Prompt template (compact, for a char-level model): the numbers separated by spaces, ` -> `, the
/// target, a newline: `"30 100 93 -> 23\n"`. Completion: the expression inside answer tags, as d1's
/// reward reads it; the SFT reference is the ``CountdownSolver`` expression, e.g.
/// `"<answer>30+93-100</answer>"`.
///
/// Reward (d1's `countdown_reward_func`): 1.0 when the last `<answer>...</answer>` holds an
/// expression that uses exactly the given multiset of numbers and evaluates (Python semantics, see
/// ``PythonArithmetic``) to the target within 1e-5; 0.1 when an answer is present but wrong or
/// invalid; 0 without an answer. A problem counts as correct when the reward is 1.0.
///
/// Training problems are built forward, the way the test split's problems read: three numbers drawn
/// uniformly from 1...100, two operators drawn uniformly from `+ - * /` and a grouping
/// (`(a o b) o c` or `a o (b o c)`) drawn with even odds; the problem is kept when the expression's
/// exact value is an integer in 1...100 and the problem (a multiset of numbers plus target) is
/// neither in the test split nor in the held-out part of the space (``HeldOutSplit``: one problem in
/// 16 by a hash of its key, from which the held-out set is drawn the same way). The prompt then lists the numbers in a random order, so that any of them may be
/// the one subtracted, as in the test split. Nine in ten such problems (like the test split's) need
/// only `+` and `-`; drawing the target uniformly and keeping solvable problems instead would give
/// twice as many that need `*` or `/`.
public struct CountdownTask: RewardTask, ProblemFileReading, HeldOutProblems {
    /// Creates the task.
    public init() {}

    /// "countdown".
    public var name: String { "countdown" }

    /// `["countdown_reward_func"]`.
    public var rewardNames: [String] { [CountdownTask.rewardName] }

    static let rewardName = "countdown_reward_func"

    /// The prompt for `numbers` and `target`, e.g. `"30 100 93 -> 23\n"`.
    public static func prompt(numbers: [Int], target: Int) -> String {
        numbers.map(String.init).joined(separator: " ") + " -> \(target)\n"
    }

    /// A problem with its prompt and, when the solver finds one, its reference completion.
    public static func problem(id: String, numbers: [Int], target: Int) -> TaskProblem {
        TaskProblem(id: id, prompt: prompt(numbers: numbers, target: target),
                    reference: CountdownSolver.solve(numbers: numbers, target: target).map { "<answer>\($0)</answer>" },
                    data: .countdown(numbers: numbers, target: target))
    }

    /// A solvable problem outside the test split and the held-out part of the problem space
    /// (``HeldOutSplit``), a pure function of `seed` and `index`.
    public func trainingProblem(seed: UInt64, index: UInt64) -> TaskProblem {
        var attempt: UInt64 = 0
        while true {
            var random = CounterRandom(problemSeed: seed, tag: ProblemTag.countdown, index: index, attempt: attempt)
            attempt += 1
            guard let (numbers, target) = CountdownTask.candidate(&random),
                  !HeldOutSplit.contains(CountdownTask.key(numbers, target)),
                  let solution = CountdownSolver.solve(numbers: numbers, target: target) else { continue }
            return TaskProblem(id: "countdown/gen/\(seed)/\(index)", prompt: CountdownTask.prompt(numbers: numbers, target: target),
                               reference: "<answer>\(solution)</answer>", data: .countdown(numbers: numbers, target: target))
        }
    }

    /// The held-out set: 1,024 distinct solvable problems of the held-out part of the space, drawn
    /// the way training problems are, outside the test split; ids `countdown/heldout/<i>`.
    public func heldOutProblems() -> [TaskProblem] {
        CountdownTask.heldOut
    }

    /// The sorted numbers and the target.
    public func heldOutKey(_ problem: TaskProblem) -> [Int] {
        guard case .countdown(let numbers, let target) = problem.data else { return [] }
        return CountdownTask.key(numbers, target)
    }

    /// One forward draw (see the type's summary): the numbers in prompt order and the target, or
    /// nil when the expression's value is not an integer in 1...100 or the problem is a test problem.
    private static func candidate(_ random: inout CounterRandom) -> (numbers: [Int], target: Int)? {
        let drawn = (0..<3).map { _ in random.draw(1...100) }
        let operators = (random.below(4), random.below(4))
        let groupsLeft = random.below(2) == 0
        let numbers = random.shuffled(drawn)
        guard let target = CountdownSolver.value(numbers: drawn, operators: operators, groupsLeft: groupsLeft),
              (1...100).contains(target), !testKeys.contains(key(numbers, target)) else { return nil }
        return (numbers, target)
    }

    private static let heldOut: [TaskProblem] = HeldOutSplit.build(
        tag: ProblemTag.countdownHeldOut, idPrefix: "countdown/heldout", candidate: candidate,
        key: { key($0.numbers, $0.target) },
        problem: { drawn, id in
            CountdownSolver.solve(numbers: drawn.numbers, target: drawn.target).map { solution in
                TaskProblem(id: id, prompt: prompt(numbers: drawn.numbers, target: drawn.target),
                            reference: "<answer>\(solution)</answer>", data: .countdown(numbers: drawn.numbers, target: drawn.target))
            }
        })

    /// The 256-problem test split of d1 (`countdown_cd3_test.jsonl`), ids `countdown/test/<i>`.
    public func testProblems() throws -> [TaskProblem] {
        try CountdownTask.testSplit.get()
    }

    /// Scores with d1's `countdown_reward_func`.
    public func score(completion: String, problem: TaskProblem) -> TaskScore {
        guard case .countdown(let numbers, let target) = problem.data else {
            preconditionFailure("countdown task given a non-countdown problem \(problem.id)")
        }
        let reward = CountdownTask.reward(completion: completion, numbers: numbers, target: target)
        return TaskScore(reward: reward, components: [CountdownTask.rewardName: reward],
                         correct: reward == 1.0 ? 1 : 0, total: 1)
    }

    /// Reads a JSONL file of problems: `{"input": "a,b,c", "output": "t"}` (d1's test format) or
    /// `{"numbers": [a, b, c], "target": t}`. Ids are `countdown/<file name>/<i>`.
    public func problems(fromFile path: String) throws -> [TaskProblem] {
        try CountdownTask.problems(in: DataLines(path: path), idPrefix: "countdown/\(fileName(path))")
    }

    /// d1's countdown reward (`compute_score` with format score 0.1 and score 1.0).
    public static func reward(completion: String, numbers: [Int], target: Int) -> Double {
        guard let answer = PythonText.lastAnswerBlock(PythonText.scalars(completion)) else { return 0 }
        let equation = PythonText.strip(answer)
        guard usesExactly(numbers, equation),
              let value = try? PythonArithmetic.value(of: equation) else { return 0.1 }
        return value.isClose(to: target) ? 1.0 : 0.1
    }

    /// d1's `validate_equation`: the digit runs (`\d+`) as integers equal the numbers as a multiset.
    private static func usesExactly(_ numbers: [Int], _ equation: PythonText.Scalars) -> Bool {
        var runs: [String] = []
        var current: [Unicode.Scalar] = []
        for c in equation + [" "] {
            if c.properties.generalCategory == .decimalNumber {
                current.append(c)
            } else if !current.isEmpty {
                runs.append(canonicalInteger(current))
                current.removeAll()
            }
        }
        return runs.sorted() == numbers.map { String($0) }.sorted()
    }

    /// The decimal text `int(run)` prints: digit values in ASCII, leading zeros removed.
    private static func canonicalInteger(_ run: [Unicode.Scalar]) -> String {
        let digits = run.map { Character(String(Int($0.properties.numericValue ?? 0))) }
        let trimmed = digits.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }

    /// A problem's identity for the test-split exclusion: sorted numbers and target.
    static func key(_ numbers: [Int], _ target: Int) -> [Int] {
        numbers.sorted() + [target]
    }

    private static let testKeys: Set<[Int]> = {
        Set(((try? testSplit.get()) ?? []).compactMap { problem in
            guard case .countdown(let numbers, let target) = problem.data else { return nil }
            return key(numbers, target)
        })
    }()

    private static let testSplit: Result<[TaskProblem], TaskError> = Result {
        try problems(in: DataLines(text: StandardSplits.countdownTest, file: StandardSplits.countdownTestName),
                     idPrefix: "countdown/test")
    }.mapError { $0 as! TaskError }

    private static func problems(in source: DataLines, idPrefix: String) throws -> [TaskProblem] {
        try source.lines.enumerated().map { i, line in
            let record = try JSONRecord(line.text, line: line.number, of: source)
            let numbers: [Int], target: Int
            if record.has("input") {
                let parts = try record.string("input").split(separator: ",", omittingEmptySubsequences: false)
                let parsed = parts.map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard !parts.isEmpty, parsed.allSatisfy({ $0 != nil }) else {
                    throw record.error("key 'input' must be comma-separated integers")
                }
                guard let t = Int(try record.string("output").trimmingCharacters(in: .whitespaces)) else { throw record.error("key 'output' must be an integer") }
                numbers = parsed.map { $0! }
                target = t
            } else {
                numbers = try record.ints("numbers")
                target = try record.int("target")
            }
            return problem(id: "\(idPrefix)/\(i)", numbers: numbers, target: target)
        }
    }
}

/// The last path component of `path`, for problem ids.
func fileName(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
}
