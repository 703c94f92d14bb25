import Base
import Foundation

/// GSM8K-format math word problems: a question and an answer whose final value follows `####`.
///
/// Prompt template: the question (spelled in ASCII, stripped) and a newline, e.g.
/// `"tom has 3 apples. tom gets 4 more apples. how many apples does tom have now?\n"`. Completion:
/// d1's format, which the strict format reward asks for:
/// `"<reasoning>\n3+4=7\n</reasoning>\n<answer>\n7\n</answer>\n"` (the SFT reference; one line of
/// reasoning, since the strict format's `.*?` cannot cross a newline). The reward is the sum of d1's
/// five functions (``MathRewards``); a problem counts as correct when `correctness_reward_func` gives 2.0.
///
/// No GSM8K data is embedded: training problems and the 256-problem test split are synthetic
/// arithmetic word problems (``testProblems()`` from a fixed seed, training problems redrawn until
/// their question is not a test question). Real GSM8K JSONL files (`question`, `answer` with
/// `####`) load with ``problems(fromFile:)``.
public struct MathTask: RewardTask, ProblemFileReading {
    /// Creates the task.
    public init() {}

    /// "gsm8k".
    public var name: String { "gsm8k" }

    /// d1's five reward functions, see ``MathRewards/names``.
    public var rewardNames: [String] { MathRewards.names }

    /// The size of the synthetic test split.
    public static let testSplitSize = 256

    /// The prompt for `question`.
    public static func prompt(question: String) -> String {
        let stripped = PythonText.strip(PythonText.scalars(PromptText.ascii(question)))
        return String(String.UnicodeScalarView(stripped)) + "\n"
    }

    /// The completion d1's rewards score highest: one line of reasoning and the final answer.
    public static func reference(reasoning: String, answer: String) -> String {
        "<reasoning>\n\(reasoning)\n</reasoning>\n<answer>\n\(answer)\n</answer>\n"
    }

    /// A problem from a question and a GSM8K answer (worked solution, then `#### final`).
    ///
    /// The reference's reasoning is the worked solution on one line, calculator annotations
    /// (`<<48/2=24>>`) removed.
    public static func problem(id: String, question: String, answer: String) -> TaskProblem {
        let solution = answer.components(separatedBy: "####")[0]
            .replacingOccurrences(of: "<<[^>]*>>", with: "", options: .regularExpression)
        let oneLine = PromptText.ascii(solution).split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
        return TaskProblem(id: id, prompt: prompt(question: question),
                           reference: reference(reasoning: oneLine, answer: PromptText.ascii(MathRewards.finalAnswer(of: answer))),
                           data: .math(question: question, answer: answer))
    }

    /// A synthetic word problem whose question is not in the test split, a pure function of
    /// `seed` and `index`.
    public func trainingProblem(seed: UInt64, index: UInt64) -> TaskProblem {
        var attempt: UInt64 = 0
        while true {
            var random = CounterRandom(problemSeed: seed, tag: ProblemTag.math, index: index, attempt: attempt)
            attempt += 1
            let drawn = WordProblems.draw(&random)
            guard !MathTask.testQuestions.contains(drawn.question) else { continue }
            return MathTask.problem(id: "gsm8k/gen/\(seed)/\(index)", drawn)
        }
    }

    /// The synthetic test split: ``testSplitSize`` distinct word problems, ids `gsm8k/test/<i>`.
    public func testProblems() throws -> [TaskProblem] {
        MathTask.testSplit
    }

    /// Scores with the sum of d1's five GSM8K rewards.
    public func score(completion: String, problem: TaskProblem) -> TaskScore {
        guard case .math(_, let answer) = problem.data else {
            preconditionFailure("gsm8k task given a non-math problem \(problem.id)")
        }
        let components = MathRewards.components(completion: completion, answer: MathRewards.finalAnswer(of: answer))
        let correct = components[MathRewards.names[4]] == 2.0
        return TaskScore(reward: MathRewards.total(components), components: components,
                         correct: correct ? 1 : 0, total: 1)
    }

    /// Reads a GSM8K JSONL file: `question` and `answer` (which must contain `####`) per line.
    /// Ids are `gsm8k/<file name>/<i>`.
    public func problems(fromFile path: String) throws -> [TaskProblem] {
        let source = try DataLines(path: path)
        return try source.lines.enumerated().map { i, line in
            let record = try JSONRecord(line.text, line: line.number, of: source)
            let question = try record.string("question"), answer = try record.string("answer")
            guard answer.contains("####") else { throw record.error("key 'answer' has no '####' before the final answer") }
            return MathTask.problem(id: "gsm8k/\(fileName(path))/\(i)", question: question, answer: answer)
        }
    }

    private static func problem(id: String, _ drawn: WordProblems.Problem) -> TaskProblem {
        TaskProblem(id: id, prompt: prompt(question: drawn.question),
                    reference: reference(reasoning: drawn.reasoning, answer: String(drawn.answer)),
                    data: .math(question: drawn.question, answer: "\(drawn.reasoning)\n#### \(drawn.answer)"))
    }

    private static let testSplit: [TaskProblem] = {
        var problems: [TaskProblem] = []
        var seen = Set<String>()
        var index: UInt64 = 0
        while problems.count < testSplitSize {
            var random = CounterRandom(problemSeed: 0, tag: ProblemTag.mathTest, index: index, attempt: 0)
            index += 1
            let drawn = WordProblems.draw(&random)
            guard seen.insert(drawn.question).inserted else { continue }
            problems.append(problem(id: "gsm8k/test/\(problems.count)", drawn))
        }
        return problems
    }()

    private static let testQuestions: Set<String> = Set(testSplit.compactMap { problem in
        guard case .math(let question, _) = problem.data else { return nil }
        return question
    })
}
