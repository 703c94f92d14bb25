import Kernels

/// Why a training run cannot go on.
public enum TrainingError: Error, Equatable, CustomStringConvertible, ExitCodeProviding {
    /// The loss or the gradient of `step` is NaN or infinite (exit 70).
    case nonFinite(step: Int, quantity: String, value: Double)
    /// A prompt or a response does not fit the model (exit 64).
    case sequenceTooLong(problem: String, tokens: Int, maxSeq: Int)
    /// A checkpoint's state.json cannot be used (exit 74).
    case badState(path: String, reason: String)
    /// A checkpoint or base model does not match this run (exit 64): another model shape or tokenizer.
    case incompatibleCheckpoint(path: String, reason: String)
    /// The task gives no reference completion that fits the completion length (exit 64).
    case noReferences(task: String, length: Int)

    /// A message naming the step, file or value at fault.
    public var description: String {
        switch self {
        case let .nonFinite(step, quantity, value):
            "step \(step): the \(quantity) is \(value); stopping (lower optim.learning_rate or check the data)"
        case let .sequenceTooLong(problem, tokens, maxSeq):
            "problem \(problem): prompt and completion need \(tokens) tokens, more than the model's "
                + "maximum sequence length \(maxSeq) (raise model.max_seq or lower rollout.max_completion_length)"
        case let .badState(path, reason):
            "\(path): \(reason)"
        case let .incompatibleCheckpoint(path, reason):
            "\(path): \(reason)"
        case let .noReferences(task, length):
            "sft: task \(task) gives no reference completion that fits rollout.max_completion_length = \(length) tokens "
                + "with a closing EOS (raise it, or set sft.steps = 0 and give model.path)"
        }
    }

    /// The process exit code of this error.
    public var exitCode: Int32 {
        switch self {
        case .nonFinite: ExitStatus.software
        case .sequenceTooLong, .incompatibleCheckpoint, .noReferences: ExitStatus.usage
        case .badState: ExitStatus.ioError
        }
    }
}
