import DLLM
import RunConfig
import Tasks

/// The training problems of a supervised run, turned into examples: one rule for `bgpo sft` and
/// the warm start of `bgpo train`.
///
/// Problem `k` of the run is `task.trainingProblem(seed: train.seed, index: i)` with
/// `i = firstIndex + k`, taken modulo `task.train_size` when that is set (the run's fixed training
/// set). The stream starts at ``firstIndex`` = 2^32, so that with `task.train_size` = 0 the
/// supervised problems are not the prompts RL draws first (indices 0, 1, ...). Each problem's
/// reference completion, EOS-padded to `rollout.max_completion_length`, is the response.
///
/// A problem without a reference, or whose reference leaves no room for the closing EOS, is
/// skipped and counted (``skipped``). Problems of the task's held-out set
/// (``Tasks/HeldOutProblems``) are never trained on: the generator leaves the held-out part of
/// the problem space out, and a drawn problem that is in the set anyway means that the partition
/// is broken, which stops the run (``HeldOutOverlap``, exit 70) as it does the RL run's check.
public struct SupervisedProblems {
    /// The training-stream index of a run's first problem.
    public static let firstIndex: UInt64 = 1 << 32
    /// Problems skipped in a row, per example of a batch, before the task is taken to have no
    /// usable reference at all.
    static let skipLimitPerExample = 100

    private let task: any RewardTask
    private let tokenizer: any Tokenizer
    private let seed: UInt64
    private let trainSize: UInt64
    private let length: Int
    private let heldOut: HeldOutKeys?
    /// The next problem's training-stream index, before the modulo (`sft_problems` in a model's
    /// metadata, where a continued run picks up).
    public private(set) var next: UInt64
    /// Problems skipped so far: without a reference, or with one too long for the response.
    public private(set) var skipped = 0

    /// The problems of `config`'s supervised run of `task`, from stream index `next`, `skipped`
    /// counted before it (a resumed run's).
    public init(config: RunConfig, task: any RewardTask, tokenizer: any Tokenizer, next: UInt64 = firstIndex, skipped: Int = 0) {
        self.task = task
        self.tokenizer = tokenizer
        seed = UInt64(config.train.seed)
        trainSize = UInt64(config.task.trainSize)
        length = config.rollout.maxCompletionLength
        heldOut = (task as? any HeldOutProblems).map(HeldOutKeys.init)
        self.next = next
        self.skipped = skipped
    }

    /// The next `count` examples.
    ///
    /// - Throws: ``TrainingError/noReferences(task:length:)`` (exit 64) when
    ///   ``skipLimitPerExample`` × `count` problems in a row are skipped; ``HeldOutOverlap``
    ///   (exit 70) for a problem of the held-out set; the tokenizer's error for a prompt or a
    ///   reference it cannot encode.
    public mutating func batch(_ count: Int) throws -> [SupervisedExample] {
        var examples: [SupervisedExample] = []
        examples.reserveCapacity(count)
        var skippedInARow = 0
        while examples.count < count {
            let problem = task.trainingProblem(seed: seed, index: trainSize > 0 ? next % trainSize : next)
            next += 1
            try heldOut?.check(problem)
            guard let response = try response(of: problem) else {
                skipped += 1
                skippedInARow += 1
                guard skippedInARow < Self.skipLimitPerExample * count else {
                    throw TrainingError.noReferences(task: task.name, length: length)
                }
                continue
            }
            skippedInARow = 0
            examples.append(SupervisedExample(prompt: try tokenizer.encodePrompt(problem.prompt), response: response))
        }
        return examples
    }

    /// The EOS-padded reference of `problem`, or nil when it has none or it does not fit.
    private func response(of problem: TaskProblem) throws -> [Int32]? {
        guard let reference = problem.reference else { return nil }
        do {
            return try tokenizer.encodeResponse(reference, length: length)
        } catch TokenizerError.responseTooLong {
            return nil
        }
    }
}

/// The held-out set of a task, by key, for the check that no training problem is in it.
private struct HeldOutKeys {
    let task: any HeldOutProblems
    let keys: Set<[Int]>

    /// The keys of `task`'s held-out set.
    init(_ task: any HeldOutProblems) {
        self.task = task
        keys = Set(task.heldOutProblems().map(task.heldOutKey))
    }

    /// Throws ``HeldOutOverlap`` when `problem` is in the held-out set.
    func check(_ problem: TaskProblem) throws {
        guard keys.contains(task.heldOutKey(problem)) else { return }
        throw HeldOutOverlap(problem: problem.id, prompt: problem.prompt, task: task.name)
    }
}
