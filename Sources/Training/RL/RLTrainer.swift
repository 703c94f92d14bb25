import Cluster
import DLLM
import Foundation
import Records
import RunConfig
import Tasks

/// The RL training step of docs/design.md "The path of one RL step", on one rank.
///
/// Every rank holds the whole model and optimiser state and runs the same sequence of collectives
/// through its ``Communicator``: per step one all-reduce of the compact ``RolloutTable`` (every
/// prompt's responses and advantages), and per optimiser update one all-reduce of the flat gradient
/// buffer and one small all-reduce of the ``StepScalars`` (statistics, units, the stop votes, the
/// rollout sums). A rank rolls out the prompts of its ``PromptSchedule``, then runs the likelihood
/// passes of its ``RankShares`` share of each mini-batch's responses that enter the objective,
/// whoever rolled them out: ranks do equal likelihood work even when the groups with equal
/// rewards (no gradient) fall unevenly. Nothing depends on the rank beyond which prompts and
/// responses it handles, so a single process and N ranks compute the same thing up to float
/// summation order; all randomness is keyed by (seed, step, global prompt index, response index,
/// sample index), so a resumed run repeats an uninterrupted one bit for bit.
public final class RLTrainer {
    /// The run configuration.
    public let config: RunConfig
    /// The policy being trained: every weight of a ``DLLM/Model``, or the adapters of a ``DLLM/LoRAModel``.
    public let model: any TrainableModel
    /// With LoRA, the digest of the frozen base (``TrainingState/baseDigest``) that checkpoints record.
    public let baseDigest: String?
    /// AdamW's state.
    public var optimizer: OptimizerState { update.optimizer }
    /// Steps completed so far.
    public private(set) var completedSteps = 0

    let communicator: any Communicator
    private let task: any RewardTask
    let tokenizer: any Tokenizer
    private let prompts: PromptSchedule
    private let sampler: DiffusionSampler
    private let update: DataParallelUpdate
    /// The objective, with the state its passes keep (workspaces); each step opens it once, so
    /// that the step's inputs are of its own ``PolicyObjective/Inputs`` type.
    private let objective: any PolicyObjective
    private let seed: UInt64

    /// Optimiser updates per RL step: `num_iterations` passes over `mini_batches` shares.
    public var updatesPerStep: Int { config.objective.numIterations * config.train.miniBatches }

    /// Prompts per mini-batch: mini-batch m holds the step's prompt positions `m*n ..< (m+1)*n`.
    private var promptsPerMiniBatch: Int { config.train.promptsPerStep / config.train.miniBatches }

    /// Creates the trainer of one rank.
    ///
    /// - Parameters:
    ///   - model: the policy; its trainable parameters are trained in place.
    ///   - reference: the frozen reference policy of diffu-GRPO's KL term (a copy of the base, or
    ///     with LoRA the base with the adapters off); required when the objective is diffu-grpo with
    ///     beta > 0 (`ObjectiveSettings.needsReferencePolicy`), ignored otherwise.
    ///   - baseDigest: with LoRA, the digest of the frozen base, for the checkpoints.
    ///   - threads: the rank's threads, over which the likelihood passes run side by side
    ///     (``PassLanes``: the gradients' float summation order depends on it); the rollouts
    ///     decode side by side over the BLAS threads, with the same responses whatever their count.
    public init(config: RunConfig, model: any TrainableModel, reference: (any ForwardModel)?, baseDigest: String? = nil,
                task: any RewardTask, tokenizer: any Tokenizer, communicator: any Communicator, threads: Int = 1) throws {
        try config.rollout.computeDtype.check(model, key: "rollout.compute_dtype")
        self.config = config
        self.model = model
        self.baseDigest = baseDigest
        self.task = task
        self.tokenizer = tokenizer
        self.communicator = communicator
        seed = UInt64(config.train.seed)
        prompts = PromptSchedule(promptsPerStep: config.train.promptsPerStep, worldSize: communicator.size,
                                 rank: communicator.rank)
        sampler = try DiffusionSampler(options: config.rollout.rolloutOptions, maskTokenID: tokenizer.maskTokenID,
                                       padTokenID: tokenizer.padTokenID, seed: seed)
        let updates = config.objective.numIterations * config.train.miniBatches
        let schedule = LearningRateSchedule(peak: config.optim.learningRate, warmupUpdates: config.optim.warmupSteps,
                                            totalUpdates: config.train.maxSteps * updates, shape: config.optim.lrSchedulerType)
        update = DataParallelUpdate(parameters: model.trainableParameters, schedule: schedule,
                                    settings: AdamWSettings(config.optim), communicator: communicator)
        objective = config.objective.policyObjective(microBatchSize: config.train.microBatchSize, tokenizer: tokenizer,
                                                     seed: seed, reference: reference, lanes: threads)
    }

    /// Sets the step and update counters after weights and optimiser moments were loaded from a
    /// checkpoint.
    public func restore(completedSteps: Int, updates: Int) {
        self.completedSteps = completedSteps
        optimizer.updates = updates
    }

    // MARK: - One step

    /// One prompt's group of responses, on the rank that rolled it out.
    struct Group {
        var position: Int
        var promptIndex: UInt64
        var prompt: [Int32]
        var responses: [[Int32]]
        var scores: [TaskScore]
        var advantages: GroupAdvantages

        /// Response `g` of the group in step `step`, as an objective sees it.
        func response(_ g: Int, step: Int) -> PolicyResponse {
            PolicyResponse(step: step, promptIndex: promptIndex, responseIndex: g, prompt: prompt,
                           response: responses[g], advantage: advantages.values[g])
        }
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
        try step(objective, stopRequested: stopRequested)
    }

    /// ``step(stopRequested:)`` with the objective's concrete type: its inputs are built and read
    /// as `Objective.Inputs`.
    private func step<Objective: PolicyObjective>(_ objective: Objective, stopRequested: () -> Bool) throws -> StepReport {
        let step = completedSteps + 1
        let watch = Stopwatch()
        var timing = StepTiming()
        let groups = try Stopwatch.time(&timing.rollout) { try rollouts(step: step) }
        var table = RolloutTable(promptsPerStep: config.train.promptsPerStep, generations: config.rollout.numGenerations,
                                 length: config.rollout.maxCompletionLength)
        for group in groups {
            table.fill(position: group.position, responses: group.responses, advantages: group.advantages.values)
        }
        try Stopwatch.time(&timing.allreduce) { try table.gather(over: communicator) }

        let miniBatches = config.train.miniBatches
        // The likelihood passes read the weights through a snapshot (``DLLM/trainingPasses(of:)``:
        // packed on an AVX-512 CPU) made at the rollout weights and again after every update.
        var passes = trainingPasses(of: model)
        let inputs = try Stopwatch.time(&timing.likelihood) {
            let shares = try (0..<miniBatches).map { try share(of: table, miniBatch: $0, step: step) }
            return objective.inputs(of: shares, model: passes, iterations: config.objective.numIterations,
                                    offPolicy: updatesPerStep > 1)
        }
        let rollout = rolloutSums(of: groups, step: step)

        var total = ObjectiveStatistics()
        var lossSum = 0.0, gradNormSum = 0.0, learningRate = 0.0
        var global = StepScalars(rollout: rollout)  // each update's sums over the ranks
        var updateReports: [UpdateReport] = []
        for iteration in 0..<config.objective.numIterations {
            for miniBatch in 0..<miniBatches {
                update.zeroGradients()
                let first = iteration == 0 && miniBatch == 0
                let statistics = Stopwatch.time(&timing.likelihood) {
                    if !first { passes = trainingPasses(of: model) }
                    // The step's first update runs at the rollout parameters: on-policy exactly
                    // (d = 0, rho = 1), without the old-policy values.
                    return objective.accumulate(inputs[miniBatch], iteration: iteration, onPolicy: first,
                                                model: passes, gradients: update.gradients)
                }
                let local = StepScalars(statistics: statistics, units: units(of: groups, miniBatch: miniBatch),
                                        stopVotes: stopRequested() ? 1 : 0, rollout: rollout)
                global = try Stopwatch.time(&timing.allreduce) { try allReduce(local) }
                let loss = global.statistics.lossSum / global.units
                guard loss.isFinite else { throw TrainingError.nonFinite(step: step, quantity: "loss", value: loss) }
                let applied = try Stopwatch.time(&timing.optimizer) {
                    try update.apply(step: step, gradientScale: Float(1 / global.units))
                }
                learningRate = applied.learningRate
                gradNormSum += applied.gradientNorm
                updateReports.append(UpdateReport(statistics: global.statistics, units: global.units,
                                                  gradientNorm: applied.gradientNorm))
                total.add(global.statistics)
                lossSum += loss
            }
        }
        objective.releaseWorkspaces()
        completedSteps = step

        var metrics = MetricsRecord(step: step)
        global.rollout.record(into: &metrics, rewardNames: task.rewardNames)
        let updates = Double(updatesPerStep)
        metrics["loss"] = lossSum / updates
        metrics["kl"] = total.klCount > 0 ? total.klSum / total.klCount : 0
        metrics["clip_ratio"] = total.clipCandidates > 0 ? total.clippedCount / total.clipCandidates : 0
        metrics["grad_norm"] = gradNormSum / updates
        metrics["learning_rate"] = learningRate
        record(timing, stepTime: watch.elapsed, into: &metrics)
        return StepReport(metrics: metrics, stopRequested: global.stopVotes > 0, updates: updateReports)
    }

    /// Sums the update's gradients and `local` over the ranks (``DataParallelUpdate/allReduce(scalars:)``).
    private func allReduce(_ local: StepScalars) throws -> StepScalars {
        StepScalars(packed: try update.allReduce(scalars: local.packed), rewardComponents: task.rewardNames.count,
                    digestSlots: config.train.promptsPerStep)
    }

    /// Seconds spent in the phases of a step.
    private struct StepTiming {
        var rollout = 0.0, likelihood = 0.0, allreduce = 0.0, optimizer = 0.0
    }

    /// Writes the step's time, its phases, throughput and peak memory.
    private func record(_ timing: StepTiming, stepTime: Double, into metrics: inout MetricsRecord) {
        metrics["step_time"] = stepTime
        metrics["timing_s/rollout"] = timing.rollout
        metrics["timing_s/likelihood"] = timing.likelihood
        metrics["timing_s/allreduce"] = timing.allreduce
        metrics["timing_s/optimizer"] = timing.optimizer
        let generated = Double(config.train.promptsPerStep * config.rollout.numGenerations * config.rollout.maxCompletionLength)
        metrics["tokens_per_s"] = generated / stepTime
        metrics["max_rss_mb"] = ResourceUsage.peakResidentMB
    }

    /// Draws this rank's prompts of `step`, generates `num_generations` responses for each (the
    /// responses of one prompt in one batch), scores them and computes their advantages.
    ///
    /// With several BLAS threads the prompts' batches are decoded side by side, one per thread with
    /// single-threaded products (``generateConcurrently(model:sampler:requests:threads:)``): the same
    /// responses as one batch after another, faster, since a rollout's products are too small for
    /// threads inside them to pay.
    func rollouts(step: Int) throws -> [Group] {
        let generations = config.rollout.numGenerations
        let drawn = try prompts.localPositions.map { position in
            let (promptIndex, problem, prompt) = try self.prompt(step: step, position: position)
            try checkLength(prompt, problem: problem)
            return (position: position, promptIndex: promptIndex, problem: problem, prompt: prompt)
        }
        let requests = drawn.map { drawn in
            GenerationRequest(prompts: Array(repeating: drawn.prompt, count: generations), keys: (0..<generations).map {
                PolicyResponse.key(step: step, promptIndex: drawn.promptIndex, responseIndex: $0)
            })
        }
        let forwardModel = try config.rollout.computeDtype.forwardModel(model, key: "rollout.compute_dtype")
        let responses = try generateConcurrently(model: forwardModel, sampler: sampler, requests: requests)
        return zip(drawn, responses).map { drawn, responses in
            let scores = responses.map { task.score(completion: tokenizer.decodeResponse($0), problem: drawn.problem) }
            let advantages = GroupAdvantages(rewards: scores.map(\.reward), scaleRewards: config.objective.scaleRewards)
            return Group(position: drawn.position, promptIndex: drawn.promptIndex, prompt: drawn.prompt, responses: responses,
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

    private func checkLength(_ prompt: [Int32], problem: TaskProblem) throws {
        let tokens = prompt.count + config.rollout.maxCompletionLength
        guard tokens <= model.config.maxSeq else {
            throw TrainingError.sequenceTooLong(problem: problem.id, tokens: tokens, maxSeq: model.config.maxSeq)
        }
    }

    // MARK: - Shares and units

    /// This rank's ``RankShares`` share of mini-batch `miniBatch`: of the responses that
    /// enter the objective, ordered by prompt position and then response index, one contiguous
    /// run of nearly equal length per rank.
    private func share(of table: RolloutTable, miniBatch: Int, step: Int) throws -> [PolicyResponse] {
        let positions = (miniBatch * promptsPerMiniBatch)..<((miniBatch + 1) * promptsPerMiniBatch)
        let all = positions.flatMap { position in
            (0..<table.generations).filter { objective.entersObjective(advantage: table.advantage(position: position, response: $0)) }
                .map { (position: position, response: $0) }
        }
        let mine = all[RankShares(count: all.count, ranks: communicator.size).range(of: communicator.rank)]
        var derived: [Int: (index: UInt64, problem: TaskProblem, tokens: [Int32])] = [:]
        for position in Set(mine.map(\.position)) {
            derived[position] = try prompt(step: step, position: position)
        }
        return mine.map { item in
            let prompt = derived[item.position]!
            return PolicyResponse(step: step, promptIndex: prompt.index, responseIndex: item.response, prompt: prompt.tokens,
                                  response: table.tokens(position: item.position, response: item.response),
                                  advantage: table.advantage(position: item.position, response: item.response))
        }
    }

    /// This rank's count of the units mini-batch `miniBatch`'s loss is averaged over, from the
    /// groups it rolled out (summed over the ranks in the update's all-reduce), zero advantages
    /// included (``PolicyObjective/units(of:completionLength:)``).
    private func units(of groups: [Group], miniBatch: Int) -> Double {
        let members = groups.filter { $0.position / promptsPerMiniBatch == miniBatch }
        return objective.units(of: members.flatMap(\.responses), completionLength: config.rollout.maxCompletionLength)
    }

    // MARK: - Rollout statistics

    /// This rank's sums of the rollout metrics over the groups it rolled out, with their
    /// ``RolloutDigest`` slots.
    private func rolloutSums(of groups: [Group], step: Int) -> RolloutSums {
        var sums = RolloutSums(componentSums: [Double](repeating: 0, count: task.rewardNames.count),
                               digestSlots: digest(of: groups, step: step).slots)
        for group in groups {
            let lengths = group.responses.map { TokenPolicyResponse.scoredLength(of: $0, eosTokenID: tokenizer.eosTokenID) }
            sums.add(scores: group.scores, isZeroStd: group.advantages.isZeroStd, scoredLengths: lengths,
                     rewardNames: task.rewardNames)
        }
        return sums
    }

    /// The ``RolloutDigest`` slots of the prompts this rank rolled out: responses, rewards,
    /// advantages and, per response that enters the objective, what decides its likelihood masks
    /// (``PolicyObjective/maskWords(of:)``), whichever rank runs its likelihood passes.
    private func digest(of groups: [Group], step: Int) -> RolloutDigest {
        var digest = RolloutDigest(promptsPerStep: config.train.promptsPerStep)
        for group in groups {
            let masks = group.responses.indices.filter { objective.entersObjective(advantage: group.advantages.values[$0]) }
                .map { objective.maskWords(of: group.response($0, step: step)) }
            digest.add(position: group.position, promptIndex: group.promptIndex, responses: group.responses,
                       rewards: group.scores.map(\.reward), advantages: group.advantages.values, masks: masks)
        }
        return digest
    }
}
