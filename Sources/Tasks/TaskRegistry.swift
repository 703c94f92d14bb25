/// The tasks bgpo knows, by name.
public enum TaskRegistry {
    /// The task names, in a fixed order.
    public static let names = ["countdown", "sudoku", "gsm8k", "code"]

    /// The tasks with a held-out evaluation set (``HeldOutProblems``).
    public static let namesWithHeldOutSet = ["countdown", "sudoku"]

    /// The task called `name`; throws ``TaskError/unknownTask(_:)`` (exit code 64) for any other
    /// name, and ``TaskError/pythonUnavailable(_:)`` for "code" without a Python 3 interpreter.
    public static func task(named name: String) throws -> any RewardTask {
        switch name {
        case "countdown": CountdownTask()
        case "sudoku": SudokuTask()
        case "gsm8k": MathTask()
        case "code": try CodeTask()
        default: throw TaskError.unknownTask(name)
        }
    }
}
