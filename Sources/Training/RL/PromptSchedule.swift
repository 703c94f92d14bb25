/// Which training problems each RL step uses and which rank handles each of them.
///
/// Step `s` (1 is the first step) takes the global prompt indices `(s-1)*P ..< s*P` of the task's
/// deterministic training stream, P being the prompts per step. Rank `r` of `W` handles the
/// prompts whose position `i` in the step's batch satisfies `i % W == r`, so nothing about a
/// prompt depends on the world size.
public struct PromptSchedule: Sendable, Equatable {
    /// Prompts per RL step, over all ranks.
    public var promptsPerStep: Int
    /// The number of ranks.
    public var worldSize: Int
    /// This process's rank.
    public var rank: Int

    /// Creates the schedule of one rank.
    public init(promptsPerStep: Int, worldSize: Int, rank: Int) {
        precondition(promptsPerStep > 0 && worldSize > 0 && (0..<worldSize).contains(rank))
        self.promptsPerStep = promptsPerStep
        self.worldSize = worldSize
        self.rank = rank
    }

    /// The positions within step `step`'s batch that this rank handles, in order.
    public var localPositions: [Int] {
        Array(stride(from: rank, to: promptsPerStep, by: worldSize))
    }

    /// The global index (in the task's training stream) of the prompt at `position` of step `step`.
    public func problemIndex(step: Int, position: Int) -> UInt64 {
        UInt64(step - 1) * UInt64(promptsPerStep) + UInt64(position)
    }

    /// How many prompts the run has consumed after `step` complete steps.
    public func promptsConsumed(afterStep step: Int) -> Int {
        step * promptsPerStep
    }
}
