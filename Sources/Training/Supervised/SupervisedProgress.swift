import Checkpoint
import RunConfig
import Tasks

/// Where a supervised run starts: the updates a continued model has had and the next problem of
/// its training stream.
public struct SupervisedStart: Sendable, Equatable {
    /// Updates taken before this run (the masks of update s are keyed by s).
    public var step: Int
    /// The next training-stream index (see ``SupervisedProblems``).
    public var nextProblem: UInt64

    /// A fresh start: no updates, the stream's first problem.
    public static let fresh = SupervisedStart(step: 0, nextProblem: SupervisedProblems.firstIndex)

    /// A start after `step` updates, at stream index `nextProblem`.
    public init(step: Int, nextProblem: UInt64) {
        self.step = step
        self.nextProblem = nextProblem
    }

    /// The start a model's metadata records (`sft_steps`, `sft_problems`; a fresh start's values
    /// where they are absent).
    ///
    /// - Parameter source: the file the metadata was read from, for errors.
    /// - Throws: ``Checkpoint/CheckpointError`` (exit 74) naming `source` and the key when a value
    ///   is not a count within its limit (steps up to 2^31 - 1, problems up to 2^63).
    public init(metadata: [String: String], source: String) throws {
        func count(_ key: String, limit: UInt64) throws -> UInt64? {
            guard let text = metadata[key] else { return nil }
            guard let value = UInt64(text), value <= limit else {
                throw CheckpointError(.invalidContent, path: source,
                                      "metadata \(key) = \(text.debugDescription) is not a count from 0 to \(limit)")
            }
            return value
        }
        let steps = try count(SupervisedProgress.stepsKey, limit: UInt64(ConfigLimits.maximumCount)) ?? 0
        let problems = try count(SupervisedProgress.problemsKey, limit: 1 << 63) ?? SupervisedProblems.firstIndex
        self.init(step: Int(steps), nextProblem: problems)
    }
}

/// Where a supervised run stands after an evaluation (or at its end).
public struct SupervisedProgress: Sendable {
    /// The model's updates so far, continued runs' earlier ones included.
    public var step: Int
    /// The next training-stream index.
    public var nextProblem: UInt64
    /// The loss of the last update (nan before the first).
    public var loss: Double
    /// The evaluation just made, if any.
    public var evaluation: EvaluationResult?
    /// Problems skipped so far by this run (no reference, or one too long).
    public var skipped: Int
    /// Wall time of the run so far, in seconds.
    public var seconds: Double
    /// How the run ended (at its end; `.completed` while it runs).
    public var outcome: RunOutcome

    /// The metadata key of ``step``.
    public static let stepsKey = "sft_steps"
    /// The metadata key of ``nextProblem``.
    public static let problemsKey = "sft_problems"

    /// The model metadata of this point of `config`'s run of `task`: the task, the updates, the
    /// next problem, the seed, the decoding lengths that `bgpo eval` and `bgpo sample` default
    /// to, and the accuracy of the last evaluation (`<eval_set>_accuracy`).
    public func metadata(config: RunConfig, task: any RewardTask) -> [String: String] {
        var metadata = ["task": task.name, Self.stepsKey: "\(step)", Self.problemsKey: "\(nextProblem)",
                        "seed": "\(config.train.seed)", "generation_length": "\(config.rollout.maxCompletionLength)",
                        "block_length": "\(config.rollout.blockLength)"]
        if let evaluation {
            metadata["\(config.task.evalSet.rawValue)_accuracy"] = String(format: "%.4f", evaluation.accuracy)
        }
        return metadata
    }
}
