/// The task-specific content of one problem: what the reward needs to judge a completion.
public enum ProblemData: Codable, Sendable, Equatable {
    /// Countdown: combine `numbers` (each exactly once) with `+ - * /` to reach `target`.
    case countdown(numbers: [Int], target: Int)
    /// 4x4 Sudoku: 16 digits row by row, `0` = empty; `solution` is the completed grid.
    case sudoku(puzzle: String, solution: String)
    /// A GSM8K-format word problem; `answer` is the GSM8K answer (final answer after `####`).
    case math(question: String, answer: String)
    /// A Python function to write; each test is one `assert` line.
    case code(prompt: String, entryPoint: String, tests: [String])
}

/// One problem of a task, with its prompt ready to tokenize.
public struct TaskProblem: Codable, Sendable, Equatable {
    /// A stable identifier, e.g. `countdown/test/17` or `countdown/gen/<seed>/<i>`.
    public var id: String
    /// The compact prompt, ready to tokenize ('\n' and printable ASCII only).
    public var prompt: String
    /// A supervised (SFT) target completion with `<answer>` tags, when one is known.
    public var reference: String?
    /// What the reward needs to judge a completion.
    public var data: ProblemData

    /// Creates a problem.
    public init(id: String, prompt: String, reference: String?, data: ProblemData) {
        self.id = id
        self.prompt = prompt
        self.reference = reference
        self.data = data
    }
}

/// The judgement of one completion.
///
/// Accuracy over a set of problems is `sum(correct) / sum(total)`.
public struct TaskScore: Sendable, Equatable {
    /// The reward used for training: the sum of `components`.
    public var reward: Double
    /// The named sub-rewards (the names are the task's `rewardNames`).
    public var components: [String: Double]
    /// The correct part of this problem (e.g. 1 for a solved problem, or correctly filled cells).
    public var correct: Double
    /// What `correct` counts out of (e.g. 1, or the number of empty cells).
    public var total: Double

    /// Creates a score.
    public init(reward: Double, components: [String: Double], correct: Double, total: Double) {
        self.reward = reward
        self.components = components
        self.correct = correct
        self.total = total
    }
}

/// A reasoning task: prompts, training problems, the standard test split and the reward.
public protocol RewardTask: Sendable {
    /// The task's name: "countdown", "sudoku", "gsm8k" or "code".
    var name: String { get }
    /// The names of the reward components, for the metrics `rewards/<fn>/mean`.
    var rewardNames: [String] { get }
    /// A training problem, a pure function of `seed` and `index`, never one of the test split.
    func trainingProblem(seed: UInt64, index: UInt64) -> TaskProblem
    /// The standard test split, embedded in the binary.
    func testProblems() throws -> [TaskProblem]
    /// Judges `completion` (the decoded text up to the first EOS) against `problem`.
    func score(completion: String, problem: TaskProblem) -> TaskScore
}

/// A task that can read problems from a dataset file in its usual format.
public protocol ProblemFileReading: RewardTask {
    /// Reads every problem of the file at `path`; a malformed line throws ``TaskError/malformedLine(file:line:reason:)``.
    func problems(fromFile path: String) throws -> [TaskProblem]
}
