import Cluster
import DLLM
import Foundation
import Kernels
import Tasks

/// What one RL step reports.
public struct StepReport: Sendable {
    /// The step's metrics (everything but evaluation and checkpoint timing).
    public var metrics: MetricsRecord
    /// Whether some rank asked to stop (signal or time limit), agreed in the step's all-reduce.
    public var stopRequested: Bool
}

/// The RL training step of DESIGN.md "The path of one RL step", on one rank.
///
/// Every rank holds the whole model and optimiser state and runs the same sequence of collectives
/// through its ``Communicator``: per optimiser update one all-reduce of the flat gradient buffer
/// and one small all-reduce of statistics and the stop flag. Nothing depends on the rank beyond
/// which prompts it handles, so a single process and N ranks compute the same thing up to float
/// summation order; all randomness is keyed by (seed, step, global prompt index, response index,
/// sample index), so a resumed run repeats an uninterrupted one bit for bit.
public final class RLTrainer {
    /// The run configuration.
    public let config: RunConfig
    /// The policy being trained.
    public let model: Model
    /// AdamW's state.
    public let optimizer: OptimizerState
    /// Steps completed so far.
    public private(set) var completedSteps = 0

    private let communicator: any Communicator
    private let task: any Task
    private let tokenizer: any Tokenizer
    private let reference: Model?
    private let gradients: FlatBuffer
    private let prompts: PromptSchedule
    private let sampler: DiffusionSampler
    private let masking: LikelihoodMasking
    private let schedule: LearningRateSchedule
    private let objective: Objective
    private let seed: UInt64

    /// The objective, with the state its passes keep (workspaces).
    private enum Objective {
        case elbo(ELBOObjective)
        case tokens(DiffuGRPOObjective)
    }

    /// Optimiser updates per RL step: `num_iterations` passes over `mini_batches` shares.
    public var updatesPerStep: Int { config.objective.numIterations * config.train.miniBatches }

    /// Creates the trainer of one rank.
    ///
    /// - Parameters:
    ///   - model: the policy; its weights are trained in place.
    ///   - reference: the frozen reference policy of diffu-GRPO's KL term; required when the
    ///     objective is diffu-grpo with beta > 0, ignored otherwise.
    public init(config: RunConfig, model: Model, reference: Model?, task: any Task, tokenizer: any Tokenizer,
                communicator: any Communicator) throws {
        self.config = config
        self.model = model
        self.task = task
        self.tokenizer = tokenizer
        self.communicator = communicator
        seed = UInt64(config.train.seed)
        optimizer = OptimizerState(count: model.parameters.count)
        gradients = FlatBuffer(count: model.parameters.count)
        prompts = PromptSchedule(promptsPerStep: config.train.promptsPerStep, worldSize: communicator.size,
                                 rank: communicator.rank)
        sampler = try DiffusionSampler(options: config.rollout.rolloutOptions, maskTokenID: tokenizer.maskTokenID,
                                       padTokenID: tokenizer.padTokenID, seed: seed)
        masking = config.objective.likelihoodMasking(maskTokenID: tokenizer.maskTokenID, seed: seed)
        let updates = config.objective.numIterations * config.train.miniBatches
        schedule = LearningRateSchedule(peak: config.optim.learningRate, warmupUpdates: config.optim.warmupSteps,
                                        totalUpdates: config.train.maxSteps * updates, shape: config.optim.lrSchedulerType)
        let settings = config.objective
        let microBatch = config.train.microBatchSize
        switch settings.objective {
        case .bgpo:
            let clip = settings.bgpoClip ? PPOClip(epsilon: settings.epsilon, dualClip: settings.dualClip) : nil
            objective = .elbo(ELBOObjective(method: .bgpo(clip: clip), microBatchSize: microBatch, padTokenID: tokenizer.padTokenID))
        case .vrpoOL:
            objective = .elbo(ELBOObjective(method: .vrpoOL, microBatchSize: microBatch, padTokenID: tokenizer.padTokenID))
        case .elboExact:
            objective = .elbo(ELBOObjective(method: .elboExact, microBatchSize: microBatch, padTokenID: tokenizer.padTokenID))
        case .diffuGRPO:
            objective = .tokens(DiffuGRPOObjective(epsilon: settings.epsilon, beta: settings.beta,
                                                   promptMaskProbability: settings.pMaskPrompt, seed: seed,
                                                   maskTokenID: tokenizer.maskTokenID, padTokenID: tokenizer.padTokenID,
                                                   microBatchSize: microBatch))
        }
        let needsReference = settings.objective == .diffuGRPO && settings.beta > 0
        precondition(!needsReference || reference != nil, "RLTrainer: diffu-grpo with beta > 0 needs a reference model")
        self.reference = needsReference ? reference : nil
    }

    /// Sets the step and update counters after weights and optimiser moments were loaded from a
    /// checkpoint.
    public func restore(completedSteps: Int, updates: Int) {
        self.completedSteps = completedSteps
        optimizer.updates = updates
    }

    // MARK: - One step

    /// One prompt's group of responses on this rank.
    private struct Group {
        var position: Int
        var promptIndex: UInt64
        var prompt: [Int32]
        var responses: [[Int32]]
        var scores: [TaskScore]
        var advantages: GroupAdvantages
    }

    /// Runs step `completedSteps + 1`: rollouts, rewards, advantages, likelihood samples, the
    /// optimiser update(s), and returns its metrics.
    ///
    /// - Parameter stopRequested: whether this rank wants to stop (signal or time limit); asked
    ///   at each update's all-reduce, agreed over all ranks.
    /// - Throws: ``TrainingError/nonFinite(step:quantity:value:)`` when the loss or the gradient is
    ///   not finite (no update is applied then).
    public func step(stopRequested: () -> Bool) throws -> StepReport {
        let step = completedSteps + 1
        let watch = Stopwatch()
        var timing = (rollout: 0.0, likelihood: 0.0, allreduce: 0.0, optimizer: 0.0)
        let groups = try Stopwatch.time(&timing.rollout) { try rollouts(step: step) }
        let rolloutStatistics = statistics(of: groups)

        let updates = updatesPerStep
        let miniBatches = config.train.miniBatches
        let promptsPerMiniBatch = config.train.promptsPerStep / miniBatches
        let inputs = Stopwatch.time(&timing.likelihood) { policyInputs(groups, step: step, offPolicy: updates > 1) }

        var total = ObjectiveStatistics()
        var lossSum = 0.0, gradNormSum = 0.0, learningRate = 0.0
        var stop = false
        var reduced: [Double] = []
        for iteration in 0..<config.objective.numIterations {
            for miniBatch in 0..<miniBatches {
                let members = groups.indices.filter { groups[$0].position / promptsPerMiniBatch == miniBatch }
                gradients.zero()
                let (statistics, units) = Stopwatch.time(&timing.likelihood) {
                    accumulate(inputs, groups: groups, members: members, iteration: iteration)
                }
                var scalars = statistics.scalars + [units, stopRequested() ? 1 : 0] + rolloutStatistics
                try Stopwatch.time(&timing.allreduce) {
                    try communicator.allReduceSum(gradients.pointer, count: gradients.count)
                    scalars = try communicator.allReduceSum(scalars: scalars)
                }
                let global = ObjectiveStatistics(scalars: scalars[0..<5])
                let globalUnits = scalars[5]
                stop = scalars[6] > 0
                reduced = Array(scalars[7...])
                let loss = global.lossSum / globalUnits
                guard loss.isFinite else { throw TrainingError.nonFinite(step: step, quantity: "loss", value: loss) }
                try Stopwatch.time(&timing.optimizer) {
                    GradientClipping.scale(gradients, by: Float(1 / globalUnits))
                    let norm = GradientClipping.clip(gradients, maxNorm: config.optim.maxGradNorm)
                    guard norm.isFinite else { throw TrainingError.nonFinite(step: step, quantity: "gradient norm", value: norm) }
                    learningRate = schedule.rate(update: optimizer.updates + 1)
                    optimizer.apply(parameters: model.parameters, gradients: gradients, learningRate: learningRate,
                                    settings: config.optim)
                    gradNormSum += norm
                }
                total.add(global)
                lossSum += loss
            }
        }
        releaseWorkspaces()
        completedSteps = step

        var metrics = MetricsRecord(step: step)
        record(rollout: reduced, into: &metrics)
        metrics["loss"] = lossSum / Double(updates)
        metrics["kl"] = total.klCount > 0 ? total.klSum / total.klCount : 0
        metrics["clip_ratio"] = total.clipCandidates > 0 ? total.clippedCount / total.clipCandidates : 0
        metrics["grad_norm"] = gradNormSum / Double(updates)
        metrics["learning_rate"] = learningRate
        let stepTime = watch.elapsed
        metrics["step_time"] = stepTime
        metrics["timing_s/rollout"] = timing.rollout
        metrics["timing_s/likelihood"] = timing.likelihood
        metrics["timing_s/allreduce"] = timing.allreduce
        metrics["timing_s/optimizer"] = timing.optimizer
        let generated = Double(config.train.promptsPerStep * config.rollout.numGenerations * config.rollout.maxCompletionLength)
        metrics["tokens_per_s"] = generated / stepTime
        metrics["max_rss_mb"] = ResourceUsage.peakResidentMB
        return StepReport(metrics: metrics, stopRequested: stop)
    }

    /// Draws this rank's prompts of `step`, generates `num_generations` responses for each (the
    /// responses of one prompt in one batch), scores them and computes their advantages.
    private func rollouts(step: Int) throws -> [Group] {
        let generations = config.rollout.numGenerations
        let trainSize = UInt64(config.task.trainSize)
        let runner = ModelRunner(model: model)
        return try prompts.localPositions.map { position in
            let promptIndex = prompts.problemIndex(step: step, position: position)
            let problem = task.trainingProblem(seed: seed, index: trainSize > 0 ? promptIndex % trainSize : promptIndex)
            let prompt = try tokenizer.encodePrompt(problem.prompt)
            try checkLength(prompt, problem: problem)
            let keys = (0..<generations).map { [UInt64(step), promptIndex, UInt64($0)] }
            let responses = try sampler.generate(model: runner, prompts: Array(repeating: prompt, count: generations), keys: keys)
            let scores = responses.map { task.score(completion: tokenizer.decodeResponse($0), problem: problem) }
            let advantages = GroupAdvantages(rewards: scores.map(\.reward), scaleRewards: config.objective.scaleRewards)
            return Group(position: position, promptIndex: promptIndex, prompt: prompt, responses: responses,
                         scores: scores, advantages: advantages)
        }
    }

    private func checkLength(_ prompt: [Int32], problem: TaskProblem) throws {
        let tokens = prompt.count + config.rollout.maxCompletionLength
        guard tokens <= model.config.maxSeq else {
            throw TrainingError.sequenceTooLong(problem: problem.id, tokens: tokens, maxSeq: model.config.maxSeq)
        }
    }

    // MARK: - Policy inputs

    /// What the objective passes of a step read, per group: the responses that can move the
    /// gradient, with their masked samples (drawn once) and old-policy values.
    private enum PolicyInputs {
        case elbo([[ELBOResponse]])
        /// Per group the responses, and per inner iteration their old and reference log-probs.
        case tokens([[TokenPolicyResponse]], old: [[[[Float]]]]?, reference: [[[[Float]]]]?)
    }

    /// Builds the objective's inputs of every group and, off-policy, evaluates the old policy
    /// (and the reference policy) on them once, before the first update.
    private func policyInputs(_ groups: [Group], step: Int, offPolicy: Bool) -> PolicyInputs {
        switch objective {
        case .elbo(let elbo):
            var inputs = groups.map { group in
                group.responses.indices.compactMap { g -> ELBOResponse? in
                    let advantage = group.advantages.values[g]
                    guard advantage != 0 else { return nil }
                    let samples = config.objective.likelihoodSamples(masking, prompt: group.prompt, response: group.responses[g],
                                                                     step: step, promptIndex: group.promptIndex,
                                                                     responseIndex: g)
                    return ELBOResponse(samples: samples, advantage: advantage)
                }
            }
            if offPolicy {
                let old = elbo.terms(model: model, responses: inputs.flatMap { $0 })
                var next = 0
                for g in inputs.indices {
                    for r in inputs[g].indices {
                        inputs[g][r].oldTerms = old[next]
                        next += 1
                    }
                }
            }
            return .elbo(inputs)
        case .tokens(let grpo):
            let keepAll = config.objective.beta > 0
            let inputs = groups.map { group in
                group.responses.indices.compactMap { g -> TokenPolicyResponse? in
                    let advantage = group.advantages.values[g]
                    guard keepAll || advantage != 0 else { return nil }
                    return TokenPolicyResponse(prompt: group.prompt, response: group.responses[g], advantage: advantage,
                                               key: [UInt64(step), group.promptIndex, UInt64(g)],
                                               eosTokenID: tokenizer.eosTokenID)
                }
            }
            let iterations = 0..<config.objective.numIterations
            func perIteration(_ policy: Model) -> [[[[Float]]]] {
                iterations.map { iteration in
                    let flat = grpo.logProbs(model: policy, responses: inputs.flatMap { $0 }, iteration: iteration)
                    var next = 0
                    return inputs.map { group in
                        group.map { _ in
                            defer { next += 1 }
                            return flat[next]
                        }
                    }
                }
            }
            return .tokens(inputs, old: offPolicy ? perIteration(model) : nil, reference: reference.map(perIteration))
        }
    }

    /// Accumulates the objective's gradient over the groups `members` in inner iteration
    /// `iteration`; returns its statistics and the local count of the units it is averaged over
    /// (responses, or scored tokens for diffu-GRPO).
    private func accumulate(_ inputs: PolicyInputs, groups: [Group], members: [Int],
                            iteration: Int) -> (ObjectiveStatistics, Double) {
        switch (objective, inputs) {
        case let (.elbo(elbo), .elbo(responses)):
            let result = elbo.accumulate(model: model, responses: members.flatMap { responses[$0] }, gradients: gradients)
            let units = members.reduce(0) { $0 + groups[$1].responses.count }
            return (result.statistics, Double(units))
        case let (.tokens(grpo), .tokens(responses, old, reference)):
            var selected: [TokenPolicyResponse] = []
            for g in members {
                for (r, response) in responses[g].enumerated() {
                    var response = response
                    response.oldLogProbs = old?[iteration][g][r]
                    response.referenceLogProbs = reference?[iteration][g][r]
                    selected.append(response)
                }
            }
            let statistics = grpo.accumulate(model: model, responses: selected, iteration: iteration, gradients: gradients)
            let units = members.reduce(0) { sum, g in
                sum + groups[g].responses.reduce(0) {
                    $0 + TokenPolicyResponse.scoredLength(of: $1, eosTokenID: tokenizer.eosTokenID)
                }
            }
            return (statistics, Double(units))
        default:
            preconditionFailure("RLTrainer: objective and inputs differ")
        }
    }

    private func releaseWorkspaces() {
        switch objective {
        case .elbo(let elbo): elbo.releaseWorkspaces()
        case .tokens(let grpo): grpo.releaseWorkspaces()
        }
    }

    // MARK: - Rollout statistics

    /// Local sums of the rollout metrics, all-reduced with the update's scalars: reward sum,
    /// responses, sum of group standard deviations, groups, zero-std groups, scored-length sum,
    /// then one sum per reward component.
    private func statistics(of groups: [Group]) -> [Double] {
        var sums = [Double](repeating: 0, count: 6 + task.rewardNames.count)
        for group in groups {
            let rewards = group.scores.map(\.reward)
            let n = Double(rewards.count)
            let mean = rewards.reduce(0, +) / n
            let variance = rewards.count > 1 ? rewards.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1) : 0
            sums[0] += rewards.reduce(0, +)
            sums[1] += n
            sums[2] += variance.squareRoot()
            sums[3] += 1
            sums[4] += group.advantages.isZeroStd ? 1 : 0
            sums[5] += group.responses.reduce(0) {
                $0 + Double(TokenPolicyResponse.scoredLength(of: $1, eosTokenID: tokenizer.eosTokenID))
            }
            for (c, name) in task.rewardNames.enumerated() {
                sums[6 + c] += group.scores.reduce(0) { $0 + ($1.components[name] ?? 0) }
            }
        }
        return sums
    }

    private func record(rollout sums: [Double], into metrics: inout MetricsRecord) {
        metrics["reward"] = sums[0] / sums[1]
        metrics["reward_std"] = sums[2] / sums[3]
        for (c, name) in task.rewardNames.enumerated() {
            metrics["rewards/\(name)/mean"] = sums[6 + c] / sums[1]
        }
        metrics["frac_reward_zero_std"] = sums[4] / sums[3]
        metrics["completions/mean_length"] = sums[5] / sums[1]
    }
}
