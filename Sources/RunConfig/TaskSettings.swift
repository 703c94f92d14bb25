import Tasks

/// The task: which one, and how many of its training and evaluation problems a run uses.
public struct TaskSettings: Codable, Equatable, Sendable {
    /// Task name (`Tasks.TaskRegistry.names`: countdown, sudoku, gsm8k, code). Default "countdown".
    public var name = "countdown"
    /// Training problems, as a count: 0 (default) = a fresh generated problem for every prompt
    /// index; N > 0 = cycle through the first N generated problems (a fixed training set).
    public var trainSize = 0
    /// Evaluation problems used for the accuracy before and after training, as a count of the
    /// evaluation set (its first N); 0 (default) = the whole set.
    public var testSize = 0
    /// The problems every evaluation of the run decodes: "test" (default), the task's standard
    /// test split, or "heldout", its held-out set of 1,024 problems that training never draws
    /// (countdown and sudoku).
    public var evalSet = EvaluationSet.test

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case name
        case trainSize = "train_size"
        case testSize = "test_size"
        case evalSet = "eval_set"
    }

    /// Throws ``ConfigError/invalidValue(key:value:expected:)`` when `eval_set` names a set the
    /// task does not have.
    func validateEvaluationSet() throws {
        guard evalSet == .heldout, !TaskRegistry.namesWithHeldOutSet.contains(name) else { return }
        throw ConfigError.invalidValue(key: "task.eval_set", value: "\"heldout\"",
                                       expected: "\"test\" for task \"\(name)\" (a held-out set exists for "
                                           + TaskRegistry.namesWithHeldOutSet.joined(separator: " and ") + ")")
    }
}

/// Which problems a run evaluates on.
public enum EvaluationSet: String, ConfigEnum {
    /// The task's standard test split.
    case test
    /// The task's held-out set (`Tasks.HeldOutProblems`), disjoint from every training problem.
    case heldout
}
