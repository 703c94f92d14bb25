import Checkpoint
import Cluster
import RunConfig

/// How a supervised run (`bgpo sft`, the warm start of `bgpo train`) checkpoints: into `store`
/// every `sft.save_steps` steps, after the last and when stopped by a signal (polled at every step,
/// agreed over the ranks); resuming from what `resume` names.
public struct SupervisedCheckpoints {
    /// Where the checkpoints go.
    public var store: CheckpointStore
    /// Where the run starts.
    public var resume: ResumeChoice
    /// The stop signal received so far, if any: ``Cluster/StopSignal/received`` in the binary.
    public var stopSignal: () -> Int32?
    /// Which checkpoints the run may resume.
    public var compatibility: Compatibility

    /// Which saved configurations a run resumes.
    public enum Compatibility {
        /// `bgpo sft`: one that differs only in keys that do not change the training (else exit 64).
        case sameTraining
        /// The warm start of `bgpo train`: one whose `recipe` (what the weights depend on) is
        /// `expected`, whatever the RL keys (else exit 64).
        case sameRecipe(expected: String, recipe: (RunConfig) -> String)
    }

    /// Checkpointing into `store`, starting as `resume` says.
    public init(store: CheckpointStore, resume: ResumeChoice, stopSignal: @escaping () -> Int32?,
                compatibility: Compatibility = .sameTraining) {
        self.store = store
        self.resume = resume
        self.stopSignal = stopSignal
        self.compatibility = compatibility
    }
}
