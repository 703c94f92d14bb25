/// The task: which one, and how many of its training and test problems a run uses.
public struct TaskSettings: Codable, Equatable, Sendable {
    /// Task name (`Tasks.TaskRegistry.names`: countdown, sudoku, gsm8k, code). Default "countdown".
    public var name = "countdown"
    /// Training problems, as a count: 0 (default) = a fresh generated problem for every prompt
    /// index; N > 0 = cycle through the first N generated problems (a fixed training set).
    public var trainSize = 0
    /// Test problems used for the accuracy before and after training, as a count of the task's
    /// standard test split (its first N); 0 (default) = the whole split.
    public var testSize = 0

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case name
        case trainSize = "train_size"
        case testSize = "test_size"
    }
}
