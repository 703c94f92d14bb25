import Base

/// Why a training run cannot go on.
public enum TrainingError: Error, Equatable, CustomStringConvertible, ExitCodeProviding {
    /// The loss or the gradient of `step` is NaN or infinite (exit 70).
    case nonFinite(step: Int, quantity: String, value: Double)
    /// Weights or Adam moments of `step` are not all finite (exit 70): after that step's update
    /// (`source` nil: nothing is saved), or as read from the checkpoint `source`.
    case nonFiniteWeights(step: Int, source: String?)
    /// A stop signal ended the supervised warm start before RL, with a checkpoint (exit 75: resume
    /// with the same command).
    case warmStartStopped(step: Int)
    /// A prompt or a response does not fit the model (exit 64).
    case sequenceTooLong(problem: String, tokens: Int, maxSeq: Int)
    /// A checkpoint's state.json cannot be used (exit 74).
    case badState(path: String, reason: String)
    /// A checkpoint or base model does not match this run (exit 64): another model shape or tokenizer.
    case incompatibleCheckpoint(path: String, reason: String)
    /// The task gives no reference completion that fits the completion length (exit 64).
    case noReferences(task: String, length: Int)
    /// `--resume auto` found checkpoints and none verifies (exit 74): starting afresh would
    /// overwrite the run's records, so the run stops and leaves them as they are.
    case noUsableCheckpoint(directory: String, skipped: [String])
    /// `--resume never` in a run directory that holds checkpoints (exit 64): they would be
    /// overwritten.
    case checkpointsPresent(directory: String, count: Int)

    /// A message naming the step, file or value at fault.
    public var description: String {
        switch self {
        case let .nonFinite(step, quantity, value):
            "step \(step): the \(quantity) is \(value); stopping (lower the learning rate or check the data)"
        case let .nonFiniteWeights(step, nil):
            "step \(step): the updated weights are not all finite; stopping without a checkpoint "
                + "(lower the learning rate or check the data)"
        case let .nonFiniteWeights(step, source?):
            "\(source): the weights or Adam moments of step \(step) are not all finite; the checkpoint cannot be resumed"
        case let .warmStartStopped(step):
            "the supervised warm start stopped at step \(step) with a checkpoint in the run's base/warm-start-*; "
                + "resume with the same command"
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
        case let .noUsableCheckpoint(directory, skipped):
            "\(directory): \(skipped.count) checkpoint(s) and none verifies (\(skipped.joined(separator: "; "))); "
                + "not starting afresh over them: repair or move them away, or give --resume PATH"
        case let .checkpointsPresent(directory, count):
            "\(directory) holds \(count) checkpoint(s) and --resume never would overwrite them: "
                + "choose another run.output_dir, move them away, or resume (--resume auto)"
        }
    }

    /// The process exit code of this error.
    public var exitCode: Int32 {
        switch self {
        case .nonFinite, .nonFiniteWeights: ExitStatus.software
        case .sequenceTooLong, .incompatibleCheckpoint, .noReferences, .checkpointsPresent: ExitStatus.usage
        case .badState, .noUsableCheckpoint: ExitStatus.ioError
        case .warmStartStopped: ExitStatus.tempFail
        }
    }
}
