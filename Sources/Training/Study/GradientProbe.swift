import Base
import DLLM
import RunConfig

/// One batch of rollouts held fixed, and the gradient of an objective's first (on-policy) update
/// on it for any objective settings and likelihood-mask seed: what a study of gradient noise and
/// bias (as the paper's Figures 3 and 4) repeats.
///
/// The rollouts are those of a trainer's step from its current parameters, on one rank. Each
/// gradient is the one the trainer would take before clipping: the loss summed over the responses
/// that enter the objective, divided by the objective's units of the whole batch.
public struct GradientProbe {
    /// The step whose rollouts are held.
    public let step: Int
    /// The responses with their advantages (every one rolled out, zero advantages included).
    public let responses: [PolicyResponse]
    /// The model the gradients are taken at.
    public let model: any TrainableModel
    private let config: RunConfig
    private let tokenizer: any Tokenizer

    /// Rolls out step `step` of `trainer` from its current parameters. One rank only: a probe
    /// of a run under mpirun would see a share of the batch.
    public init(trainer: RLTrainer, step: Int = 1) throws {
        precondition(trainer.communicator.size == 1, "GradientProbe: one rank only")
        self.step = step
        model = trainer.model
        config = trainer.config
        tokenizer = trainer.tokenizer
        responses = try trainer.rollouts(step: step).flatMap { group in
            group.responses.indices.map { group.response($0, step: step) }
        }
    }

    /// How many responses have a non-zero advantage (those that move an objective without a KL term).
    public var responsesWithAdvantage: Int { responses.count(where: { $0.advantage != 0 }) }

    /// Writes into `gradients` (`[model.trainableParameters.count]`, overwritten) the gradient of
    /// the objective `settings` chooses, its likelihood masks (and diffu-GRPO's prompt masks) drawn
    /// with `maskSeed`, at the rollout parameters (on-policy: d = 0, ratios 1). No reference
    /// policy: a KL term (diffu-GRPO's beta) is not supported.
    public func gradient(of settings: ObjectiveSettings, maskSeed: UInt64, into gradients: FlatBuffer) {
        precondition(!settings.needsReferencePolicy, "GradientProbe: objectives with a KL term are not supported")
        precondition(gradients.count == model.trainableParameters.count, "GradientProbe: gradient buffer of the wrong size")
        let objective = settings.policyObjective(microBatchSize: config.train.microBatchSize, tokenizer: tokenizer,
                                                 seed: maskSeed, reference: nil)
        gradient(of: objective, into: gradients)
        objective.releaseWorkspaces()
    }

    /// ``gradient(of:maskSeed:into:)`` with the objective's concrete type.
    private func gradient<Objective: PolicyObjective>(of objective: Objective, into gradients: FlatBuffer) {
        let share = responses.filter { objective.entersObjective(advantage: $0.advantage) }
        let inputs = objective.inputs(of: [share], model: model, iterations: 1, offPolicy: false)
        gradients.pointer.update(repeating: 0, count: gradients.count)
        _ = objective.accumulate(inputs[0], iteration: 0, onPolicy: true, model: model, gradients: gradients)
        let units = objective.units(of: responses.map(\.response), completionLength: config.rollout.maxCompletionLength)
        GradientClipping.scale(gradients, by: Float(1 / units))
    }
}
