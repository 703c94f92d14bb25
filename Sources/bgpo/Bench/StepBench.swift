import ArgumentParser
import Checkpoint
import Cluster
import DLLM
import Foundation
import Kernels
import ModelFiles
import RunConfig
import Tasks
import Training

/// `bgpo bench step`: the `timing_s/*` breakdown of RL steps for several objectives and n_t.
struct StepBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Time RL steps of the trainer: rollout, likelihood, all-reduce, optimizer and checkpoint per objective and n_t.",
        discussion: """
            Each case (objective:n_t) builds the trainer of `bgpo train` from the configuration with \
            objective.objective and objective.mc_num set, runs --steps steps, and writes one \
            checkpoint of the result into a temporary run directory. The columns are the trainer's \
            timing_s metrics averaged over the steps. Responses whose advantage is zero (every \
            reward of the group equal) skip the likelihood passes, so use a trained base model \
            (--model, see docs/base-policies.md): with fresh weights most groups score all zero. \
            Under mpirun the ranks split the work as in training (each rolls out its prompts, then \
            runs an equal share of the likelihood passes); rank 0 prints.
            """
    )

    @OptionGroup var options: ConfigOptions

    @Option(help: ArgumentHelp("The base model directory (default: the configured shape, fresh weights).", valueName: "dir"))
    var model: String?

    @Option(help: "Cases, comma-separated objective:n_t (objectives bgpo, vrpo-ol, elbo-exact, diffu-grpo).")
    var cases = "bgpo:4,bgpo:16,vrpo-ol:4"

    @Option(help: "Steps per case.")
    var steps = 1

    @OptionGroup var threads: RankThreadOptions

    @Flag(help: "Print one JSON object per case instead of the table.")
    var json = false

    func validate() throws {
        guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") }
        _ = try parsedCases()
    }

    private func parsedCases() throws -> [(objective: String, samples: Int)] {
        try cases.split(separator: ",").map { item in
            let parts = item.split(separator: ":")
            guard parts.count == 2, ObjectiveKind(rawValue: String(parts[0])) != nil, let n = Int(parts[1]), n > 0 else {
                throw ValidationError("--cases takes objective:n_t items such as bgpo:16, got \(item)")
            }
            return (String(parts[0]), n)
        }
    }

    func run() throws {
        let base = try RunConfig.resolve(preset: options.preset ?? "countdown-bgpo", configFile: options.configFile,
                                         overrides: options.overrides)
        let tokenizer = try TokenizerRegistry.tokenizer(identifier: base.model.tokenizer)
        let task = try TaskRegistry.task(named: base.task.name)
        try RankContext.run(requestedThreads: threads.threads) { ranks in try measure(base, task: task, tokenizer: tokenizer, ranks: ranks) }
    }

    /// Times `steps` steps of every case on these ranks and prints the table (or JSON lines) on rank 0.
    private func measure(_ base: RunConfig, task: any RewardTask, tokenizer: any Tokenizer, ranks: RankContext) throws {
        let communicator = ranks.communicator, say = ranks.say
        let columns = ["rollout", "likelihood", "allreduce", "optimizer"]
        var table = [["case"] + columns + ["checkpoint", "step_time", "prompts/s", "tokens_per_s"]]
        if !json {
            say("bgpo bench step: \(options.preset ?? "countdown-bgpo"), \(ranks.summary), \(base.train.promptsPerStep) prompts x "
                + "\(base.rollout.numGenerations) responses per step, \(steps) step(s) per case, "
                + "model \(model ?? "fresh weights")" + String(format: ", load average %.2f", CompareBench.loadAverage()))
        }
        for (objective, samples) in try parsedCases() {
            let config = try base.applying(overrides: ["objective.objective=\(objective)", "objective.mc_num=\(samples)"])
            try config.validate()
            let trainer = try makeTrainer(config, task: task, tokenizer: tokenizer, communicator: communicator,
                                          threads: ranks.threads.threads)
            var sums: [String: Double] = [:]
            for _ in 0..<steps {
                let metrics = try trainer.step { false }.metrics
                for key in columns.map({ "timing_s/" + $0 }) + ["step_time", "tokens_per_s"] {
                    sums[key, default: 0] += metrics[key] ?? 0
                }
            }
            let checkpointSeconds = communicator.isRoot ? try timeCheckpoint(trainer, config: config, worldSize: communicator.size) : 0
            let mean = { (key: String) in (sums[key] ?? 0) / Double(steps) }
            let name = "\(objective) n_t=\(samples)"
            let promptsPerSecond = Double(config.train.promptsPerStep) / mean("step_time")
            if json {
                var object: [String: Any] = ["objective": objective, "mc_num": samples, "ranks": communicator.size,
                                             "threads": ranks.threads.threads, "steps": steps, "blas_core": BLAS.coreName,
                                             "timing_s/checkpoint": checkpointSeconds, "prompts_per_s": promptsPerSecond,
                                             "load_average": CompareBench.loadAverage()]
                for key in sums.keys { object[key] = mean(key) }
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                say(String(decoding: data, as: UTF8.self))
            }
            table.append([name] + columns.map { String(format: "%.2f", mean("timing_s/" + $0)) }
                         + [String(format: "%.2f", checkpointSeconds), String(format: "%.2f", mean("step_time")),
                            String(format: "%.3f", promptsPerSecond), String(format: "%.0f", mean("tokens_per_s"))])
        }
        if communicator.isRoot, !json {
            print("seconds per step (timing_s/*, mean over steps; checkpoint: one save of the result):")
            MemoryBench.printTable(table)
        }
    }

    /// The trainer of `config` over the base model (and, for diffu-GRPO with beta > 0, a frozen copy as reference).
    private func makeTrainer(_ config: RunConfig, task: any RewardTask, tokenizer: any Tokenizer,
                             communicator: any Communicator, threads: Int) throws -> RLTrainer {
        func load() throws -> Model {
            if let model { return try ModelStore.load(from: URL(fileURLWithPath: model, isDirectory: true)).model }
            return Model(config: try config.model.modelConfig(tokenizer: tokenizer), seed: UInt64(config.train.seed))
        }
        let needsReference = config.objective.needsReferencePolicy
        return try RLTrainer(config: config, model: try load(), reference: needsReference ? try load() : nil, task: task,
                             tokenizer: tokenizer, communicator: communicator, threads: threads)
    }

    /// Seconds of one checkpoint save of `trainer` into a temporary run directory (removed after).
    private func timeCheckpoint(_ trainer: RLTrainer, config: RunConfig, worldSize: Int) throws -> Double {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bgpo-bench-step-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = CheckpointStore(runDirectory: directory,
                                    compression: CompressionOptions(level: config.checkpoint.compressionLevel,
                                                                    workers: config.checkpoint.compressionThreads))
        let start = ContinuousClock.now
        _ = try trainer.saveCheckpoint(to: store, worldSize: worldSize)
        let elapsed = ContinuousClock.now - start
        return elapsed.seconds
    }
}
