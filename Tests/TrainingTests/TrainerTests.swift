import Base
import Cluster
import DLLM
import Kernels
import Records
import RunConfig
import Testing
import Training

private let stepKeys = ["reward", "reward_std", "rewards/digit/mean", "frac_reward_zero_std", "rollout/accuracy",
                        "rollout/frac_all_solved", "rollout/frac_none_solved", "loss", "kl", "clip_ratio",
                        "completions/mean_length", "grad_norm", "learning_rate", "step_time", "timing_s/rollout",
                        "timing_s/likelihood", "timing_s/allreduce", "timing_s/optimizer", "tokens_per_s", "max_rss_mb"]

@Test(arguments: ["bgpo", "vrpo-ol", "elbo-exact", "diffu-grpo"])
func trainingStepsAreDeterministic(objective: String) throws {
    let config = try tinyRunConfig(objective: objective, overrides: ["objective.num_iterations=2"])
    let reference = objective == "diffu-grpo" ? try tinyModel(config) : nil
    let runs = try (0..<2).map { _ in
        let trainer = try tinyTrainer(config, reference: reference)
        let initial = Array(trainer.model.trainableParameters.buffer)
        let reports = try (0..<2).map { _ in try trainer.step { false } }
        return (trainer, initial, reports)
    }
    let (first, initial, reports) = runs[0]
    #expect(Array(first.model.trainableParameters.buffer) == Array(runs[1].0.model.trainableParameters.buffer))
    #expect(Array(first.optimizer.m.buffer) == Array(runs[1].0.optimizer.m.buffer))
    #expect(Array(first.model.trainableParameters.buffer) != initial, "the steps moved the weights")
    #expect(first.completedSteps == 2 && first.optimizer.updates == 4)
    for report in reports {
        #expect(!report.stopRequested)
        for key in stepKeys {
            #expect(report.metrics[key]?.isFinite == true, "metric \(key) of step \(report.metrics.step)")
        }
        // The values known in advance: the constant rate, no clip outside diffu-GRPO, the update count.
        #expect(report.metrics["learning_rate"] == 0.01)
        if objective != "diffu-grpo" { #expect(report.metrics["clip_ratio"] == 0) }
        #expect(report.updates.count == 2)
        let loss = report.updates.reduce(0) { $0 + $1.statistics.lossSum / $1.units } / 2
        #expect(abs(report.metrics["loss"]! - loss) <= 1e-12 * max(1, abs(loss)))
    }
    let (metrics, other) = (reports[1].metrics, runs[1].2[1].metrics)
    for key in ["reward", "loss", "grad_norm", "kl"] { #expect(metrics[key] == other[key]) }
}

@Test func stopRequestIsReported() throws {
    let trainer = try tinyTrainer(try tinyRunConfig())
    #expect(try trainer.step { true }.stopRequested)
}

@Test func nonFiniteLossStopsWithExitCode70() throws {
    let trainer = try tinyTrainer(try tinyRunConfig(), task: DigitTask(poisoned: true))
    let before = Array(trainer.model.trainableParameters.buffer)
    #expect {
        try trainer.step { false }
    } throws: { error in
        guard let error = error as? TrainingError, case .nonFinite(let step, let quantity, _) = error else { return false }
        return step == 1 && quantity == "loss" && error.exitCode == 70 && "\(error)".contains("step 1")
    }
    #expect(Array(trainer.model.trainableParameters.buffer) == before, "no update was applied")
}

@Test func evaluationScoresTheTestSplit() throws {
    let config = try tinyRunConfig()
    let evaluator = Evaluator(config: config, task: DigitTask(), tokenizer: CharTokenizer(),
                              communicator: SingleProcessCommunicator())
    let problems = try evaluator.evaluationProblems(limit: 4)
    #expect(problems.count == 4)
    let model = try tinyModel(config)
    let result = try evaluator.evaluate(model: model, problems: problems)
    // Expected: each problem decoded alone by the greedy sampler and scored by the task.
    let sampler = try DiffusionSampler(options: config.rollout.evaluationOptions, maskTokenID: 1, padTokenID: 0, seed: 9)
    let tokenizer = CharTokenizer()
    let scores = try problems.enumerated().map { index, problem in
        let response = try sampler.generate(model: ModelRunner(model: model), prompts: [try tokenizer.encodePrompt(problem.prompt)],
                                            keys: [[UInt64(index)]])[0]
        return DigitTask().score(completion: tokenizer.decodeResponse(response), problem: problem)
    }
    #expect(result.problems == 4)
    #expect(result.accuracy == scores.reduce(0) { $0 + $1.correct } / 4)
    #expect(abs(result.reward - scores.reduce(0) { $0 + $1.reward } / 4) < 1e-12)
    let p = result.accuracy
    #expect(abs(result.standardError - (p * (1 - p) / 4).squareRoot()) < 1e-15, "the binomial standard error")
    var record = MetricsRecord(step: 0)
    result.record(into: &record)
    #expect(record["eval/accuracy_se"] == result.standardError && record["eval/problems"] == 4)
}

/// Two mini-batches of two prompts: the first update runs at the rollout parameters, the
/// second after it.
private func twoMiniBatchConfig() throws -> RunConfig {
    try tinyRunConfig(overrides: ["train.mini_batches=2", "train.prompts_per_step=4", "train.max_steps=1"])
}

@Test func firstUpdateIsOnPolicyAndTheSecondIsNot() throws {
    let trainer = try tinyTrainer(try twoMiniBatchConfig(), task: FirstCharacterTask())
    let report = try trainer.step { false }
    #expect(report.updates.count == 2)
    // klSum = sum over responses of B_old - B_theta: exactly 0 when every d_j is 0.
    #expect(report.updates[0].statistics.klSum == 0)
    #expect(report.updates[0].statistics.klCount > 0)
    #expect(abs(report.updates[1].statistics.klSum) > 1e-9, "the second update runs after the first moved the weights")
}

@Test func theGradientIsDividedByTheMiniBatchResponseCount() throws {
    // Hand-computed N: 2 prompts x 4 generations = 8 responses in mini-batch 0, equal rewards or not.
    let config = try twoMiniBatchConfig()
    let task = FirstCharacterTask()
    let trainer = try tinyTrainer(config, task: task)
    let model = try tinyModel(config)
    let report = try trainer.step { false }

    // The first mini-batch rebuilt here: rollouts, rewards, advantages and masked samples, then the
    // raw gradient sum of -sum_r R_r at the initial weights.
    let tokenizer = CharTokenizer()
    let sampler = try DiffusionSampler(options: config.rollout.rolloutOptions, maskTokenID: 1, padTokenID: 0, seed: 9)
    let masking = config.objective.likelihoodMasking(maskTokenID: 1, seed: 9)
    var responses: [ELBOResponse] = []
    for promptIndex in [UInt64(0), 1] {
        let problem = task.trainingProblem(seed: 9, index: promptIndex)
        let prompt = try tokenizer.encodePrompt(problem.prompt)
        let generated = try sampler.generate(model: ModelRunner(model: model), prompts: Array(repeating: prompt, count: 4),
                                             keys: (0..<4).map { [1, promptIndex, UInt64($0)] })
        let rewards = generated.map { task.score(completion: tokenizer.decodeResponse($0), problem: problem).reward }
        let advantages = GroupAdvantages(rewards: rewards, scaleRewards: true).values
        for (g, response) in generated.enumerated() {
            responses.append(ELBOResponse(samples: masking.samples(prompt: prompt, response: response, step: 1,
                                                                   promptIndex: promptIndex, responseIndex: UInt64(g)),
                                          advantage: advantages[g]))
        }
    }
    let gradients = FlatBuffer(count: model.layout.totalCount)
    let sum = ELBOObjective(method: .bgpo(clip: nil), masking: masking, microBatchSize: 5, padTokenID: 0)
        .accumulate(model: model, responses: responses, gradients: gradients)
    let sumNorm = gradients.buffer.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    try #require(sumNorm > 0)
    #expect(report.updates[0].units == 8)
    #expect(abs(report.updates[0].gradientNorm - sumNorm / 8) <= 1e-5 * sumNorm / 8,
            "update norm \(report.updates[0].gradientNorm), expected \(sumNorm / 8)")
    #expect(abs(report.updates[0].statistics.lossSum - sum.statistics.lossSum) <= 1e-9 * (1 + abs(sum.statistics.lossSum)))
}

/// The approximate rollout accelerations reach the rollouts: with parallel decoding and block-wise
/// caching a run trains (finite metrics, weights moved) on rollouts other than the exact sampler's.
@Test func approximateRolloutOptionsReachTheRollouts() throws {
    func hashes(_ overrides: [String]) throws -> [Double] {
        let trainer = try tinyTrainer(try tinyRunConfig(overrides: overrides))
        // Larger weights, sharper logits: bfloat16's rounding then changes some sampled tokens.
        for i in trainer.model.trainableParameters.buffer.indices { trainer.model.trainableParameters.buffer[i] *= 4 }
        let initial = Array(trainer.model.trainableParameters.buffer)
        let reports = try (0..<2).map { _ in try trainer.step { false } }
        #expect(Array(trainer.model.trainableParameters.buffer) != initial, "\(overrides): the steps moved the weights")
        for report in reports { #expect(report.metrics["loss"]?.isFinite == true, "\(overrides)") }
        return reports.compactMap { $0.metrics["rollout_hash"] }
    }
    let exact = try hashes([])
    #expect(exact.count == 2)
    let bf16 = ProductPrecision.bf16.isSupported ? [["rollout.compute_dtype=bf16"]] : []
    for overrides in [["rollout.block_cache=true"], ["rollout.confidence_threshold=0.5"],
                      ["rollout.confidence_threshold=0.5", "rollout.block_cache=true"]] + bf16 {
        #expect(try hashes(overrides) != exact, "\(overrides)")
    }
}

/// With several BLAS threads a step's prompts are decoded side by side: the same rollouts (their
/// digest) and rewards as with one thread, one prompt after another.
@Test func rolloutsOnSeveralThreadsAreThoseOfOne() throws {
    let saved = BLAS.threads
    defer { BLAS.setThreads(saved) }
    func firstStep(threads: Int) throws -> MetricsRecord {
        BLAS.setThreads(threads)
        let trainer = try tinyTrainer(try tinyRunConfig(overrides: ["train.prompts_per_step=5"]))
        for i in trainer.model.trainableParameters.buffer.indices { trainer.model.trainableParameters.buffer[i] *= 4 }
        return try trainer.step { false }.metrics
    }
    let alone = try firstStep(threads: 1), together = try firstStep(threads: 3)
    #expect(alone["frac_reward_zero_std"].map { $0 < 1 } == true, "the rewards differ within some group")
    for key in ["rollout_hash", "reward", "reward_std", "completions/mean_length"] {
        #expect(together[key] != nil && together[key] == alone[key], "\(key)")
    }
}

/// A step whose likelihood passes run side by side on three threads: the step of one thread up to
/// the gradient's float summation order (loss and weights within float rounding), and the same
/// bits when run again on three.
@Test(arguments: ["bgpo", "vrpo-ol", "diffu-grpo"])
func aStepWithLikelihoodPassesSideBySideIsTheStepOfOneThread(objective: String) throws {
    func step(threads: Int) throws -> (metrics: MetricsRecord, weights: [Float]) {
        let config = try tinyRunConfig(overrides: ["train.prompts_per_step=5", "train.micro_batch_size=2",
                                                   "objective.objective=\(objective)", "objective.beta=0"])
        let trainer = try tinyTrainer(config, threads: threads)
        for i in trainer.model.trainableParameters.buffer.indices { trainer.model.trainableParameters.buffer[i] *= 4 }
        let metrics = try trainer.step { false }.metrics
        return (metrics, InProcessRanks.elements(trainer.model.trainableParameters))
    }
    let alone = try step(threads: 1), together = try step(threads: 3), again = try step(threads: 3)
    #expect(alone.metrics["frac_reward_zero_std"].map { $0 < 1 } == true, "some group carries a gradient")
    #expect(together.metrics["rollout_hash"] == alone.metrics["rollout_hash"])
    let loss = alone.metrics["loss"]!, gradNorm = alone.metrics["grad_norm"]!
    #expect(gradNorm > 0)
    #expect(abs(together.metrics["loss"]! - loss) <= 1e-6 * (1 + abs(loss)))
    #expect(abs(together.metrics["grad_norm"]! - gradNorm) <= 1e-4 * gradNorm)
    #expect(InProcessRanks.largestDifference(together.weights, alone.weights) <= 1e-5)
    #expect(InProcessRanks.differingElements(together.weights, again.weights) == 0)
}
