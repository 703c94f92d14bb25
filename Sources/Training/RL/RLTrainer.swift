import Cluster
import DLLM
import Foundation
import Records
import RunConfig
import Tasks

/// What one RL step reports.
public struct StepReport: Sendable {
    /// The step's metrics (everything but evaluation and checkpoint timing).
    public var metrics: MetricsRecord
    /// Whether some rank asked to stop (signal or time limit), agreed in the step's all-reduce.
    public var stopRequested: Bool
    /// Each optimiser update of the step, in order (iteration-major, then mini-batch).
    public var updates: [UpdateReport]
}

/// What one optimiser update of an RL step saw, reduced over the ranks.
public struct UpdateReport: Sendable {
    /// The objective's statistics of the update's mini-batch.
    public var statistics: ObjectiveStatistics
    /// The count N the loss and the gradient were divided by (responses, or the diffu-GRPO
    /// `loss_type`'s count).
    public var units: Double
    /// The norm of the gradient after the division by N, before clipping.
    public var gradientNorm: Double
}

/// The RL training step of docs/design.md "The path of one RL step", on one rank.
///
/// Every rank holds the whole model and optimiser state and runs the same sequence of collectives
/// through its ``Communicator``: per step one all-reduce of the compact ``RolloutTable`` (every
/// prompt's responses and advantages), and per optimiser update one all-reduce of the flat gradient
/// buffer and one small all-reduce of statistics and the stop flag. A rank rolls out the prompts
/// of its ``PromptSchedule``, then runs the likelihood passes of its ``RankShares`` share of
/// each mini-batch's responses that enter the objective, whoever rolled them out: ranks do equal
/// likelihood work even when the groups with equal rewards (no gradient) fall unevenly. Nothing
/// depends on the rank beyond which prompts and responses it handles, so a single process and N
/// ranks compute the same thing up to float summation order; all randomness is keyed by (seed,
/// step, global prompt index, response index, sample index), so a resumed run repeats an
/// uninterrupted one bit for bit.
public final class RLTrainer {
    /// The run configuration.
    public let config: RunConfig
    /// The policy being trained.
    public let model: Model
    /// AdamW's state.
    public var optimizer: OptimizerState { update.optimizer }
    /// Steps completed so far.
    public private(set) var completedSteps = 0

    private let communicator: any Communicator
    private let task: any RewardTask
    private let tokenizer: any Tokenizer
    private let reference: Model?
    private let prompts: PromptSchedule
    private let sampler: DiffusionSampler
    private let masking: LikelihoodMasking
    private let update: DataParallelUpdate
    private let objective: Objective
    private let seed: UInt64

    /// The objective, with the state its passes keep (workspaces).
    private enum Objective {
        case elbo(ELBOObjective)
        case tokens(DiffuGRPOObjective)
    }

    /// Optimiser updates per RL step: `num_iterations` passes over `mini_batches` shares.
    public var updatesPerStep: Int { config.objective.numIterations * config.train.miniBatches }

    /// Prompts per mini-batch: mini-batch m holds the step's prompt positions `m*n ..< (m+1)*n`.
    private var promptsPerMiniBatch: Int { config.train.promptsPerStep / config.train.miniBatches }

    /// Creates the trainer of one rank.
    ///
    /// - Parameters:
    ///   - model: the policy; its weights are trained in place.
    ///   - reference: the frozen reference policy of diffu-GRPO's KL term; required when the
    ///     objective is diffu-grpo with beta > 0, ignored otherwise.
    public init(config: RunConfig, model: Model, reference: Model?, task: any RewardTask, tokenizer: any Tokenizer,
                communicator: any Communicator) throws {
        self.config = config
        self.model = model
        self.task = task
        self.tokenizer = tokenizer
        self.communicator = communicator
        seed = UInt64(config.train.seed)
        prompts = PromptSchedule(promptsPerStep: config.train.promptsPerStep, worldSize: communicator.size,
                                 rank: communicator.rank)
        sampler = try DiffusionSampler(options: config.rollout.rolloutOptions, maskTokenID: tokenizer.maskTokenID,
                                       padTokenID: tokenizer.padTokenID, seed: seed)
        masking = config.objective.likelihoodMasking(maskTokenID: tokenizer.maskTokenID, seed: seed)
        let updates = config.objective.numIterations * config.train.miniBatches
        let schedule = LearningRateSchedule(peak: config.optim.learningRate, warmupUpdates: config.optim.warmupSteps,
                                            totalUpdates: config.train.maxSteps * updates, shape: config.optim.lrSchedulerType)
        update = DataParallelUpdate(parameters: model.parameters, schedule: schedule,
                                    settings: AdamWSettings(config.optim), communicator: communicator)
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
                                                   microBatchSize: microBatch, lossType: settings.lossType))
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

    /// One prompt's group of responses, on the rank that rolled it out.
    private struct Group {
        var position: Int
        var promptIndex: UInt64
        var prompt: [Int32]
        var responses: [[Int32]]
        var scores: [TaskScore]
        var advantages: GroupAdvantages
    }

    /// One response that enters the objective, on the rank whose share holds it.
    private struct ShareItem {
        var promptIndex: UInt64
        var prompt: [Int32]
        var responseIndex: Int
        var response: [Int32]
        var advantage: Double
    }

    /// Runs step `completedSteps + 1`: rollouts, rewards, advantages, likelihood samples, the
    /// optimiser update(s), and returns its metrics.
    ///
    /// - Parameter stopRequested: whether this rank wants to stop (signal or time limit); asked
    ///   at each update's all-reduce, agreed over all ranks.
    /// - Throws: ``TrainingError/nonFinite(step:quantity:value:)`` when the loss or the gradient is
    ///   not finite (no update is applied then), or the weights are not after an update (the
    ///   model is then unusable: the run must stop without a checkpoint).
    public func step(stopRequested: () -> Bool) throws -> StepReport {
        let step = completedSteps + 1
        let watch = Stopwatch()
        var timing = (rollout: 0.0, likelihood: 0.0, allreduce: 0.0, optimizer: 0.0)
        let groups = try Stopwatch.time(&timing.rollout) { try rollouts(step: step) }
        var table = RolloutTable(promptsPerStep: config.train.promptsPerStep, generations: config.rollout.numGenerations,
                                 length: config.rollout.maxCompletionLength)
        for group in groups {
            table.fill(position: group.position, responses: group.responses, advantages: group.advantages.values)
        }
        try Stopwatch.time(&timing.allreduce) { try table.gather(over: communicator) }

        let updates = updatesPerStep
        let miniBatches = config.train.miniBatches
        let inputs = try Stopwatch.time(&timing.likelihood) {
            let shares = try (0..<miniBatches).map { try share(of: table, miniBatch: $0, step: step) }
            return policyInputs(shares, step: step, offPolicy: updates > 1)
        }
        let rolloutStatistics = statistics(of: groups) + digest(of: groups, step: step).slots

        var total = ObjectiveStatistics()
        var lossSum = 0.0, gradNormSum = 0.0, learningRate = 0.0
        var stop = false
        var reduced: [Double] = []
        var updateReports: [UpdateReport] = []
        for iteration in 0..<config.objective.numIterations {
            for miniBatch in 0..<miniBatches {
                update.zeroGradients()
                let statistics = Stopwatch.time(&timing.likelihood) {
                    // The step's first update runs at the rollout parameters: on-policy exactly
                    // (d = 0, rho = 1), without the old-policy values.
                    accumulate(inputs, miniBatch: miniBatch, iteration: iteration,
                               onPolicy: iteration == 0 && miniBatch == 0)
                }
                var scalars = statistics.scalars + [units(of: groups, miniBatch: miniBatch), stopRequested() ? 1 : 0]
                    + rolloutStatistics
                try Stopwatch.time(&timing.allreduce) { scalars = try update.allReduce(scalars: scalars) }
                let global = ObjectiveStatistics(scalars: scalars[0..<5])
                let globalUnits = scalars[5]
                stop = scalars[6] > 0
                reduced = Array(scalars[7...])
                let loss = global.lossSum / globalUnits
                guard loss.isFinite else { throw TrainingError.nonFinite(step: step, quantity: "loss", value: loss) }
                let applied = try Stopwatch.time(&timing.optimizer) {
                    try update.apply(step: step, gradientScale: Float(1 / globalUnits))
                }
                learningRate = applied.learningRate
                gradNormSum += applied.gradientNorm
                updateReports.append(UpdateReport(statistics: global, units: globalUnits, gradientNorm: applied.gradientNorm))
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
        return StepReport(metrics: metrics, stopRequested: stop, updates: updateReports)
    }

    /// Draws this rank's prompts of `step`, generates `num_generations` responses for each (the
    /// responses of one prompt in one batch), scores them and computes their advantages.
    private func rollouts(step: Int) throws -> [Group] {
        let generations = config.rollout.numGenerations
        let runner = ModelRunner(model: model)
        return try prompts.localPositions.map { position in
            let (promptIndex, problem, prompt) = try self.prompt(step: step, position: position)
            try checkLength(prompt, problem: problem)
            let keys = (0..<generations).map { responseKey(step: step, promptIndex: promptIndex, response: $0) }
            let responses = try sampler.generate(model: runner, prompts: Array(repeating: prompt, count: generations), keys: keys)
            let scores = responses.map { task.score(completion: tokenizer.decodeResponse($0), problem: problem) }
            let advantages = GroupAdvantages(rewards: scores.map(\.reward), scaleRewards: config.objective.scaleRewards)
            return Group(position: position, promptIndex: promptIndex, prompt: prompt, responses: responses,
                         scores: scores, advantages: advantages)
        }
    }

    /// The prompt at `position` of step `step`: its global index, its problem and its tokens. Any
    /// rank can derive any prompt, so the rollout exchange carries responses only.
    private func prompt(step: Int, position: Int) throws -> (index: UInt64, problem: TaskProblem, tokens: [Int32]) {
        let promptIndex = prompts.problemIndex(step: step, position: position)
        let trainSize = UInt64(config.task.trainSize)
        let problem = task.trainingProblem(seed: seed, index: trainSize > 0 ? promptIndex % trainSize : promptIndex)
        return (promptIndex, problem, try ProblemPrompt.ids(of: problem, tokenizer: tokenizer))
    }

    /// The indices that key response `response` of a prompt: its sampler stream and diffu-GRPO's
    /// prompt-mask stream.
    private func responseKey(step: Int, promptIndex: UInt64, response: Int) -> [UInt64] {
        [UInt64(step), promptIndex, UInt64(response)]
    }

    private func checkLength(_ prompt: [Int32], problem: TaskProblem) throws {
        let tokens = prompt.count + config.rollout.maxCompletionLength
        guard tokens <= model.config.maxSeq else {
            throw TrainingError.sequenceTooLong(problem: problem.id, tokens: tokens, maxSeq: model.config.maxSeq)
        }
    }

    // MARK: - Policy inputs

    /// Whether a response with `advantage` enters the objective: only a non-zero advantage moves
    /// the gradient, except under diffu-GRPO's KL term (beta > 0, a reference model), which every
    /// response carries.
    private func entersObjective(_ advantage: Double) -> Bool {
        advantage != 0 || reference != nil
    }

    /// This rank's ``RankShares`` share of mini-batch `miniBatch`: of the responses that
    /// enter the objective, ordered by prompt position and then response index, one contiguous
    /// run of nearly equal length per rank.
    private func share(of table: RolloutTable, miniBatch: Int, step: Int) throws -> [ShareItem] {
        let positions = (miniBatch * promptsPerMiniBatch)..<((miniBatch + 1) * promptsPerMiniBatch)
        let all = positions.flatMap { position in
            (0..<table.generations).filter { entersObjective(table.advantage(position: position, response: $0)) }
                .map { (position: position, response: $0) }
        }
        let mine = all[RankShares(count: all.count, ranks: communicator.size).range(of: communicator.rank)]
        var derived: [Int: (index: UInt64, problem: TaskProblem, tokens: [Int32])] = [:]
        for position in Set(mine.map(\.position)) {
            derived[position] = try prompt(step: step, position: position)
        }
        return mine.map { item in
            let prompt = derived[item.position]!
            return ShareItem(promptIndex: prompt.index, prompt: prompt.tokens, responseIndex: item.response,
                             response: table.tokens(position: item.position, response: item.response),
                             advantage: table.advantage(position: item.position, response: item.response))
        }
    }

    /// What the objective passes of a step read, per mini-batch: this rank's share of the
    /// responses that can move the gradient, with their masked samples (drawn once) and
    /// old-policy values.
    private enum PolicyInputs {
        case elbo([[ELBOResponse]])
        /// Per mini-batch the responses, and per inner iteration and mini-batch their old and
        /// reference log-probs.
        case tokens([[TokenPolicyResponse]], old: [[[[Float]]]]?, reference: [[[[Float]]]]?)
    }

    /// Builds the objective's inputs of every mini-batch's share and, off-policy, evaluates the
    /// old policy (and the reference policy) on them once, before the first update.
    private func policyInputs(_ shares: [[ShareItem]], step: Int, offPolicy: Bool) -> PolicyInputs {
        switch objective {
        case .elbo(let elbo):
            var inputs = shares.map { share in
                share.map { item in
                    ELBOResponse(samples: likelihoodSamples(prompt: item.prompt, response: item.response, step: step,
                                                            promptIndex: item.promptIndex, responseIndex: item.responseIndex),
                                 advantage: item.advantage)
                }
            }
            if offPolicy {
                let old = elbo.terms(model: model, responses: inputs.flatMap { $0 })
                var next = 0
                for m in inputs.indices {
                    for r in inputs[m].indices {
                        inputs[m][r].oldTerms = old[next]
                        next += 1
                    }
                }
            }
            return .elbo(inputs)
        case .tokens(let grpo):
            let inputs = shares.map { share in
                share.map { item in
                    TokenPolicyResponse(prompt: item.prompt, response: item.response, advantage: item.advantage,
                                        key: responseKey(step: step, promptIndex: item.promptIndex, response: item.responseIndex),
                                        eosTokenID: tokenizer.eosTokenID)
                }
            }
            let iterations = 0..<config.objective.numIterations
            func perIteration(_ policy: Model) -> [[[[Float]]]] {
                iterations.map { iteration in
                    let flat = grpo.logProbs(model: policy, responses: inputs.flatMap { $0 }, iteration: iteration)
                    var next = 0
                    return inputs.map { share in
                        share.map { _ in
                            defer { next += 1 }
                            return flat[next]
                        }
                    }
                }
            }
            return .tokens(inputs, old: offPolicy ? perIteration(model) : nil, reference: reference.map(perIteration))
        }
    }

    /// The masked copies of one response for the ELBO objectives.
    private func likelihoodSamples(prompt: [Int32], response: [Int32], step: Int, promptIndex: UInt64,
                                   responseIndex: Int) -> [MaskedSample] {
        masking.samples(prompt: prompt, response: response, step: UInt64(step), promptIndex: promptIndex,
                        responseIndex: UInt64(responseIndex))
    }

    /// Accumulates the objective's gradient over this rank's share of mini-batch `miniBatch` in
    /// inner iteration `iteration` and returns its statistics; `onPolicy` (the current parameters
    /// are the old ones) leaves the old-policy values out, so that every log-ratio is exactly 0.
    private func accumulate(_ inputs: PolicyInputs, miniBatch: Int, iteration: Int, onPolicy: Bool) -> ObjectiveStatistics {
        switch (objective, inputs) {
        case let (.elbo(elbo), .elbo(responses)):
            var selected = responses[miniBatch]
            if onPolicy {
                for r in selected.indices { selected[r].oldTerms = nil }
            }
            return elbo.accumulate(model: model, responses: selected, gradients: update.gradients).statistics
        case let (.tokens(grpo), .tokens(responses, old, reference)):
            let selected = responses[miniBatch].enumerated().map { r, response in
                var response = response
                response.oldLogProbs = onPolicy ? nil : old?[iteration][miniBatch][r]
                response.referenceLogProbs = reference?[iteration][miniBatch][r]
                return response
            }
            return grpo.accumulate(model: model, responses: selected, iteration: iteration, gradients: update.gradients)
        default:
            preconditionFailure("RLTrainer: objective and inputs differ")
        }
    }

    /// This rank's count of the units mini-batch `miniBatch`'s loss is averaged over, from the
    /// groups it rolled out (summed over the ranks in the update's all-reduce), zero advantages
    /// included: every response (ELBO objectives), or for diffu-GRPO what its `loss_type` divides
    /// by (``DiffuGRPOObjective/units(lossType:responses:scoredTokens:completionLength:)``).
    private func units(of groups: [Group], miniBatch: Int) -> Double {
        let members = groups.filter { $0.position / promptsPerMiniBatch == miniBatch }
        let responses = members.reduce(0) { $0 + $1.responses.count }
        switch objective {
        case .elbo:
            return Double(responses)
        case .tokens(let grpo):
            let scored = members.reduce(0) { sum, group in
                sum + group.responses.reduce(0) { $0 + TokenPolicyResponse.scoredLength(of: $1, eosTokenID: tokenizer.eosTokenID) }
            }
            return DiffuGRPOObjective.units(lossType: grpo.lossType, responses: responses, scoredTokens: scored,
                                            completionLength: config.rollout.maxCompletionLength)
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
    /// then one sum per reward component (followed, in the all-reduce, by the ``RolloutDigest`` slots).
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
        metrics["rollout_hash"] = RolloutDigest.combine(sums[(6 + task.rewardNames.count)...])
    }

    /// The ``RolloutDigest`` slots of the prompts this rank rolled out: responses, rewards,
    /// advantages and, per response that enters the objective, its likelihood masks (ELBO
    /// objectives) or mask-stream key (diffu-GRPO), whichever rank runs its likelihood passes.
    private func digest(of groups: [Group], step: Int) -> RolloutDigest {
        var digest = RolloutDigest(promptsPerStep: config.train.promptsPerStep)
        for group in groups {
            let masks = group.responses.indices.filter { entersObjective(group.advantages.values[$0]) }.map { g in
                switch objective {
                case .elbo:
                    RolloutDigest.maskWords(likelihoodSamples(prompt: group.prompt, response: group.responses[g], step: step,
                                                              promptIndex: group.promptIndex, responseIndex: g))
                case .tokens:
                    responseKey(step: step, promptIndex: group.promptIndex, response: g)
                }
            }
            digest.add(position: group.position, promptIndex: group.promptIndex, responses: group.responses,
                       rewards: group.scores.map(\.reward), advantages: group.advantages.values, masks: masks)
        }
        return digest
    }
}
