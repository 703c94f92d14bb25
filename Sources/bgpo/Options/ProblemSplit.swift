import ArgumentParser
import Tasks

/// Problems of a task's split: the standard test split, or generated training problems.
enum ProblemSplit: String, ExpressibleByArgument, CaseIterable {
    /// The standard test split, embedded in the binary.
    case test
    /// The task's held-out set (`Tasks.HeldOutProblems`), disjoint from every training problem.
    case heldout
    /// Generated training problems (`RewardTask.trainingProblem(seed:index:)`).
    case train

    /// The first `limit` problems of this split (all of the test or held-out set when `limit` is nil; 256
    /// generated problems when nil for train).
    func problems(of task: any RewardTask, limit: Int?, seed: UInt64) throws -> [TaskProblem] {
        switch self {
        case .test:
            let all = try task.testProblems()
            return limit.map { Array(all.prefix($0)) } ?? all
        case .heldout:
            guard let heldOutTask = task as? any HeldOutProblems else {
                throw ValidationError("task \(task.name) has no held-out set (tasks with one: "
                                      + TaskRegistry.namesWithHeldOutSet.joined(separator: ", ") + ")")
            }
            let all = heldOutTask.heldOutProblems()
            return limit.map { Array(all.prefix($0)) } ?? all
        case .train:
            return (0..<(limit ?? 256)).map { task.trainingProblem(seed: seed, index: UInt64($0)) }
        }
    }
}
