import Cluster
import DLLM
import Kernels
import RL
import Testing

private let stepKeys = ["reward", "reward_std", "rewards/digit/mean", "frac_reward_zero_std", "loss", "kl", "clip_ratio",
                        "completions/mean_length", "grad_norm", "learning_rate", "step_time", "timing_s/rollout",
                        "timing_s/likelihood", "timing_s/allreduce", "timing_s/optimizer", "tokens_per_s", "max_rss_mb"]

@Test(arguments: ["bgpo", "vrpo-ol", "elbo-exact", "diffu-grpo"])
func trainingStepsAreDeterministic(objective: String) throws {
    let config = try tinyRunConfig(objective: objective, overrides: ["objective.num_iterations=2"])
    let reference = objective == "diffu-grpo" ? try tinyModel(config) : nil
    let runs = try (0..<2).map { _ in
        let trainer = try tinyTrainer(config, reference: reference)
        let initial = Array(trainer.model.parameters.buffer)
        let reports = try (0..<2).map { _ in try trainer.step { false } }
        return (trainer, initial, reports)
    }
    let (first, initial, reports) = runs[0]
    #expect(Array(first.model.parameters.buffer) == Array(runs[1].0.model.parameters.buffer))
    #expect(Array(first.optimizer.m.buffer) == Array(runs[1].0.optimizer.m.buffer))
    #expect(Array(first.model.parameters.buffer) != initial, "the steps moved the weights")
    #expect(first.completedSteps == 2 && first.optimizer.updates == 4)
    for report in reports {
        #expect(!report.stopRequested)
        for key in stepKeys {
            #expect(report.metrics[key]?.isFinite == true, "metric \(key) of step \(report.metrics.step)")
        }
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
    let before = Array(trainer.model.parameters.buffer)
    #expect {
        try trainer.step { false }
    } throws: { error in
        guard let error = error as? TrainingError, case .nonFinite(let step, let quantity, _) = error else { return false }
        return step == 1 && quantity == "loss" && error.exitCode == 70 && "\(error)".contains("step 1")
    }
    #expect(Array(trainer.model.parameters.buffer) == before, "no update was applied")
}

@Test func evaluationScoresTheTestSplit() throws {
    let config = try tinyRunConfig()
    let evaluator = Evaluator(config: config, task: DigitTask(), tokenizer: CharTokenizer(),
                              communicator: SingleProcessCommunicator())
    let problems = try evaluator.testProblems(limit: 4)
    #expect(problems.count == 4)
    let result = try evaluator.evaluate(model: try tinyModel(config), problems: problems)
    #expect(result.problems == 4 && (0...1).contains(result.accuracy))
    #expect(result == (try evaluator.evaluate(model: try tinyModel(config), problems: problems)))
}
