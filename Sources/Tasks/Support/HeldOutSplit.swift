import Base

/// A task with a held-out evaluation set: problems drawn like its training problems (and so like
/// its test split), from a part of the problem space the training generator never enters.
///
/// The space is partitioned by a fixed hash of each problem's canonical key (``heldOutKey(_:)``):
/// the problems whose hash falls in the held-out bucket (one in ``HeldOutSplit/buckets``) are
/// skipped by `trainingProblem(seed:index:)` for every seed and index, and they are the only ones
/// the held-out set draws. The set is disjoint from the standard test split as well.
public protocol HeldOutProblems: RewardTask {
    /// The held-out set: ``HeldOutSplit/size`` distinct problems, ids `<task>/heldout/<i>`, the
    /// same in every run (a fixed seed and stream of its own).
    func heldOutProblems() -> [TaskProblem]
    /// The problem's identity, as the partition and the disjointness checks compare problems
    /// (countdown: the sorted numbers and the target; sudoku: the puzzle's 16 cells).
    func heldOutKey(_ problem: TaskProblem) -> [Int]
}

/// The partition of a task's problem space into training and held-out problems, and the
/// construction of held-out sets.
public enum HeldOutSplit {
    /// Problems in each task's held-out set.
    public static let size = 1024
    /// One in this many problems (by hash of the canonical key) is held out from training.
    public static let buckets: UInt64 = 16
    /// The salt of the partition's hash; changing it changes every task's training data.
    static let partitionSalt: UInt64 = 0x5041_5254_4954_494F
    /// The seed of the held-out sets' problem streams (separate from any run seed by its tag).
    static let seed: UInt64 = 0x4845_4C44_4F55_5421

    /// Whether the problem with canonical key `key` is in the held-out part of the space.
    public static func contains(_ key: [Int]) -> Bool {
        var hash = CounterRandom(seed: partitionSalt, purpose: .problemGeneration,
                                 indices: key.map { UInt64(bitPattern: Int64($0)) })
        return hash.next() % buckets == 0
    }

    /// The first ``size`` distinct held-out candidates of the stream `tag`.
    ///
    /// Draw `i` of the stream is `candidate` on the stream (seed ``seed``, `tag`, index `i`); a
    /// draw is kept when `candidate` gives one, its key is in the held-out part, it is not a
    /// duplicate of an earlier one, and `problem` makes it a problem (id `<idPrefix>/<k>`).
    static func build<Candidate>(tag: UInt64, idPrefix: String,
                                 candidate: (inout CounterRandom) -> Candidate?,
                                 key: (Candidate) -> [Int],
                                 problem: (Candidate, String) -> TaskProblem?) -> [TaskProblem] {
        var problems: [TaskProblem] = []
        var seen: Set<[Int]> = []
        var index: UInt64 = 0
        while problems.count < size {
            var random = CounterRandom(problemSeed: seed, tag: tag, index: index, attempt: 0)
            index += 1
            guard let drawn = candidate(&random) else { continue }
            let identity = key(drawn)
            guard contains(identity), !seen.contains(identity),
                  let made = problem(drawn, "\(idPrefix)/\(problems.count)") else { continue }
            seen.insert(identity)
            problems.append(made)
        }
        return problems
    }
}
