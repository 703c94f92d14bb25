import ArgumentParser
import Base
import Cluster
import DLLM
import Foundation
import Kernels
import ModelFiles
import Records
import RunConfig
import Tasks
import Training

extension StudyCommand {
    /// `bgpo study gradients`: the noise and bias of each objective's gradient as n_t grows, on one
    /// fixed batch of rollouts (the paper's Figures 3 and 4).
    struct Gradients: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure the noise and bias of each objective's gradient against n_t on one fixed batch of rollouts.",
            discussion: """
                Rolls out step 1 of the configuration (its prompts, group size and train.seed) from the base \
                model once, then for every objective and n_t computes the full gradient of the step's first \
                (on-policy) update --repeats times, each with fresh likelihood masks, one process. For each cell \
                it reports the gradient's standard deviation over the repeats relative to |theta| (the root of the \
                summed per-parameter variances over the parameters' norm, and the median of std_i / |theta_i|), \
                and its bias: |mean gradient - reference| / |reference|, beside the part of it that noise alone \
                explains. The reference is the mean of BGPO gradients totalling --reference-samples likelihood \
                samples per response, at the largest n_t the estimator is unbiased at (for the stratified \
                estimator a divisor of the response length). diffu-GRPO has one pass whatever n_t: it is run once \
                per repeat, with its mask seed varied. VRPO-OL keeps every sample's activations: it stops at the \
                first n_t whose estimated memory exceeds --memory-limit and says so. Writes the JSON report \
                (--out), drawn by bgpo report --gradients.
                Exit codes: 0 done, 64 bad options or configuration, 65 a model that cannot be read.
                """)

        @OptionGroup var options: ConfigOptions

        @Option(help: "Objectives, comma-separated (bgpo, vrpo-ol, elbo-exact, diffu-grpo).")
        var objectives = "bgpo,vrpo-ol,diffu-grpo"

        @Option(help: "n_t values, comma-separated.")
        var samples = "1,2,4,8,16,32,64"

        @Option(help: "Gradients per objective and n_t.")
        var repeats = 8

        @Option(help: "Likelihood samples per response of the reference gradient.")
        var referenceSamples = 256

        @Option(help: ArgumentHelp("Memory VRPO-OL may use, MiB (default: 80% of the available memory).", valueName: "MiB"))
        var memoryLimit: Int?

        @Option(help: ArgumentHelp("The JSON report to write.", valueName: "file"))
        var out = "gradients.json"

        @OptionGroup var threads: ThreadOptions

        func validate() throws {
            try checkCount(repeats, option: "--repeats", minimum: 2)  // two for a standard deviation
            try checkCount(referenceSamples, option: "--reference-samples")
            if let memoryLimit { try checkCount(memoryLimit, option: "--memory-limit") }
            _ = try parsedObjectives()
            for n in try parsedSamples() { try checkCount(n, option: "--samples") }
        }

        private func parsedObjectives() throws -> [ObjectiveKind] {
            try objectives.split(separator: ",").map { name in
                guard let kind = ObjectiveKind(rawValue: String(name)) else {
                    throw ValidationError("--objectives: unknown objective \(name) (known: "
                                          + ObjectiveKind.allCases.map(\.rawValue).joined(separator: ", ") + ")")
                }
                return kind
            }
        }

        private func parsedSamples() throws -> [Int] {
            let values = samples.split(separator: ",").map { Int($0) }
            guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw ValidationError("--samples takes positive integers separated by commas, got \(samples)")
            }
            return values.map { $0! }.sorted()
        }

        func run() throws {
            var config = try options.resolve()
            guard config.model.lora == nil else {
                throw ValidationError("model.lora_rank must be 0: the study measures the gradient of every weight")
            }
            let kinds = try parsedObjectives()
            guard config.objective.beta == 0 || !kinds.contains(.diffuGRPO) else {
                throw ValidationError("objective.beta must be 0 for diffu-grpo: the study measures the policy-gradient term alone")
            }
            config.run.threads = try threads.apply()
            let tokenizer = try config.model.makeTokenizer()
            let task = try TaskRegistry.task(named: config.task.name)
            try config.checkFits(task: task, tokenizer: tokenizer)
            let model = config.model.path.isEmpty
                ? Model(config: try config.model.modelConfig(tokenizer: tokenizer), seed: UInt64(config.train.seed))
                : try ModelStore.load(from: URL(fileURLWithPath: config.model.path, isDirectory: true)).model
            let trainer = try RLTrainer(config: config, model: model, reference: nil, task: task, tokenizer: tokenizer,
                                        communicator: SingleProcessCommunicator())
            let probe = try GradientProbe(trainer: trainer)
            printLine("bgpo study gradients: \(options.preset ?? options.configFile ?? "configuration"), model "
                      + "\(config.model.path.isEmpty ? "fresh weights" : config.model.path), \(probe.responses.count) responses "
                      + "(\(probe.responsesWithAdvantage) with a non-zero advantage), \(config.run.threads) thread(s), "
                      + BLASCore.current.summary)
            guard probe.responsesWithAdvantage > 0 else {
                throw ValidationError("every group of step 1 scored equal rewards: no gradient to study (use a base "
                                      + "policy with room to learn, or another train.seed)")
            }
            let report = try measure(config, model: model, probe: probe)
            let url = URL(fileURLWithPath: out)
            do {
                try report.json.write(to: url, options: .atomic)
            } catch {
                throw RecordError.io(path: url.path, reason: "cannot write: \(error.localizedDescription)")
            }
            printLine("wrote \(out)")
        }

        /// Every cell of the study on `probe`'s rollouts.
        private func measure(_ config: RunConfig, model: Model, probe: GradientProbe) throws -> GradientQualityReport {
            let length = config.rollout.maxCompletionLength
            let estimator = config.objective.estimator
            let gradient = FlatBuffer(count: model.parameters.count)
            // Mask seeds: repeat r uses seed + 1 + r; the reference's passes follow the repeats.
            let seed = UInt64(config.train.seed)
            func settings(_ kind: ObjectiveKind, _ n: Int) -> ObjectiveSettings {
                var settings = config.objective
                settings.objective = kind
                settings.mcNum = n
                return settings
            }
            func moments(_ kind: ObjectiveKind, _ n: Int, seeds: Range<UInt64>) -> (GradientMoments, seconds: Double) {
                var moments = GradientMoments(parameters: gradient.count)
                var times: [Double] = []
                for r in seeds {
                    let start = ContinuousClock.now
                    probe.gradient(of: settings(kind, n), maskSeed: seed &+ 1 &+ r, into: gradient)
                    times.append((ContinuousClock.now - start).seconds)
                    moments.add(gradient)
                }
                return (moments, times.sorted()[times.count / 2])
            }

            let referencePass = Self.unbiasedSamples(atMost: referenceSamples, estimator: estimator, length: length)
            // At least two passes, for the reference's own noise.
            let passes = max(2, (referenceSamples + referencePass - 1) / referencePass)
            let r = UInt64(repeats)
            printLine("reference: the mean of \(passes) BGPO gradients at n_t = \(referencePass) "
                      + "(\(passes * referencePass) samples per response)")
            let (reference, _) = moments(.bgpo, referencePass, seeds: r..<(r + UInt64(passes)))
            let referenceNorm = reference.squaredMeanNorm.squareRoot()
            let referenceNoise = reference.totalVariance / Double(reference.count)
            let thetaNorm = (0..<model.parameters.count).reduce(0.0) { $0 + Double(model.parameters.pointer[$1]) * Double(model.parameters.pointer[$1]) }
                .squareRoot()

            var cells: [GradientQualityReport.Cell] = [], stopped: [GradientQualityReport.Stop] = []
            var rows = [["objective", "n_t", "std/|theta|", "median std_i/|theta_i|", "bias", "noise floor", "s/gradient"]]
            for kind in try parsedObjectives() {
                for n in kind == .diffuGRPO ? [1] : try parsedSamples() {
                    if kind == .vrpoOL, let reason = vrpoMemoryExcess(config, model: model, probe: probe, samples: n) {
                        stopped.append(.init(objective: kind.rawValue, samples: n, reason: reason))
                        printLine("vrpo-ol stops at n_t = \(n): \(reason)")
                        break
                    }
                    let (cell, seconds) = moments(kind, n, seeds: 0..<r)
                    let noise = cell.totalVariance / Double(cell.count)
                    let result = GradientQualityReport.Cell(
                        objective: kind.rawValue, samples: n, repeats: repeats,
                        relativeStd: cell.totalVariance.squareRoot() / thetaNorm,
                        medianStdOverTheta: cell.medianRelativeStd(theta: model.parameters),
                        bias: cell.squaredDistance(to: reference).squareRoot() / referenceNorm,
                        noiseFloor: (noise + referenceNoise).squareRoot() / referenceNorm,
                        estimatorBiased: kind != .diffuGRPO && estimator == .stratified && length % n != 0,
                        secondsPerGradient: seconds)
                    cells.append(result)
                    rows.append([kind.rawValue, "\(n)", String(format: "%.3e", result.relativeStd),
                                 String(format: "%.3e", result.medianStdOverTheta), String(format: "%.4f", result.bias),
                                 String(format: "%.4f", result.noiseFloor), String(format: "%.2f", seconds)])
                    printLine("\(kind.rawValue) n_t=\(n): std/|theta| \(rows.last![2]), bias \(rows.last![4]) "
                              + "(noise floor \(rows.last![5])), \(rows.last![6]) s per gradient")
                }
            }
            MemoryBench.printTable(rows)
            let source = options.preset.map { "preset \($0)" } ?? options.configFile.map { "config \($0)" } ?? "defaults"
            return GradientQualityReport(
                machine: "\(CPUInfo.current.model) (\(CPUInfo.current.features)), \(BLASCore.current.summary), "
                    + "\(config.run.threads) thread(s)",
                configuration: ([source] + options.overrides.map { "--set \($0)" }).joined(separator: " "),
                model: config.model.path.isEmpty ? "fresh weights" : config.model.path, seed: config.train.seed, step: probe.step,
                responses: probe.responses.count, responsesWithAdvantage: probe.responsesWithAdvantage, completionLength: length,
                estimator: estimator.rawValue, parameters: model.parameters.count, thetaNorm: thetaNorm,
                reference: .init(objective: "bgpo", samplesPerPass: referencePass, passes: reference.count, norm: referenceNorm),
                cells: cells, stopped: stopped)
        }

        /// The largest n_t not above `limit` at which `estimator` is unbiased: any for the continuous
        /// one, a divisor of the response length for the stratified one.
        static func unbiasedSamples(atMost limit: Int, estimator: ELBOEstimator, length: Int) -> Int {
            guard estimator == .stratified else { return limit }
            return (1...min(limit, length)).last { length % $0 == 0 } ?? 1
        }

        /// Why VRPO-OL at `samples` does not fit, or nil: it keeps `samples` activation workspaces of a
        /// micro-batch (estimated with 10% slack) beside the model, its gradients and moments.
        private func vrpoMemoryExcess(_ config: RunConfig, model: Model, probe: GradientProbe, samples: Int) -> String? {
            let limit = Double(memoryLimit ?? MemoryBench.defaultMemoryLimitMiB())
            let seq = (probe.responses.map(\.prompt.count).max() ?? 0) + config.rollout.maxCompletionLength
            let workspace = Double(Workspace(config: model.config, batch: config.train.microBatchSize, seq: seq).byteCount) / 1_048_576
            let estimate = Double(4 * 4 * model.parameters.count) / 1_048_576 + Double(samples) * workspace * 1.1
            guard estimate > limit else { return nil }
            return String(format: "an estimated %.0f MiB (%d workspaces of %.1f MiB) exceeds the memory limit of %.0f MiB",
                          estimate, samples, workspace, limit)
        }
    }
}
