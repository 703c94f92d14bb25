import ArgumentParser
import Base
import Cluster
import DLLM
import Foundation
import Kernels
import Records
import RunConfig
import Training

/// `bgpo bench memory`: peak resident memory of one optimiser step per objective and n_t, each
/// in a fresh process.
struct MemoryBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Peak memory of one optimiser step of each objective for n_t = 1 ... 64, one process per cell.",
        discussion: """
            Each cell runs, in a fresh process, one optimiser step of one objective: the masked \
            samples of every response, the objective's forward and backward passes, the all-reduced \
            gradient's clipping and the AdamW update, on random responses (rollouts are left out: \
            they are forward passes of the same size for every objective). The process's peak \
            resident set (getrusage ru_maxrss, and procfs VmHWM) is reported per cell, with the part \
            above the memory the process held before the step (weights, gradients, Adam moments). \
            VRPO-OL keeps n_t workspaces alive, so it runs only while its estimate fits in the \
            available memory. diffu-grpo makes one pass per response whatever n_t, so it runs once.
            """
    )

    @Option(help: "Model preset: \(ModelConfig.presetNames.joined(separator: ", ")) (char-v1 vocabulary).")
    var preset = "large"

    @Option(help: "Tokens per sequence, prompt and response together.")
    var seq = 256

    @Option(help: "Prompt tokens of each sequence (the rest is the response).")
    var promptLength = 32

    @Option(help: "Responses in the step.")
    var responses = 2

    @Option(help: "Responses per forward/backward pass (train.micro_batch_size).")
    var microBatch = 2

    @Option(help: "Values of n_t (objective.mc_num), comma-separated.")
    var samples = "1,2,4,8,16,32,64"

    @Option(help: "Objectives, comma-separated.")
    var objectives = "bgpo,vrpo-ol,elbo-exact,diffu-grpo"

    @Option(help: "LoRA rank: train adapters of this rank over a frozen base (0: every weight trains).")
    var loraRank = 0

    @Option(help: "LoRA alpha (default: twice the rank).")
    var loraAlpha: Double?

    @Option(help: "Adapted modules, comma-separated (LLaDA's names; default: all seven).")
    var loraTargets = LoRATarget.allCases.map(\.rawValue).joined(separator: ",")

    @Option(help: "Storage of the frozen base under LoRA: f32 or bf16.")
    var dtype = WeightType.f32

    @Flag(help: "Use the preset's own vocabulary size (126,464 for llada-8b) instead of char-v1's 99.")
    var presetVocabulary = false

    @Option(help: "Threads of each cell: its likelihood passes side by side, as in bgpo train (a workspace and a gradient buffer per thread).")
    var threads = AvailableCores.count

    @Option(help: "Memory the cells may use, in MiB (default: 80% of MemAvailable).")
    var memoryLimit: Int?

    @Flag(help: "Print one JSON object per cell instead of the table.")
    var json = false

    @Option(help: ArgumentHelp("Run a single cell, objective:n_t, and print its JSON line (used by the table).",
                               visibility: .hidden))
    var cell: String?

    func validate() throws {
        for (name, value) in [("seq", seq), ("responses", responses), ("micro-batch", microBatch), ("threads", threads)]
            where value <= 0 {
            throw ValidationError("--\(name) must be positive, got \(value)")
        }
        try checkThreadCount(threads)
        guard promptLength >= 1, promptLength < seq else {
            throw ValidationError("--prompt-length must be in 1..<\(seq), got \(promptLength)")
        }
        _ = try sampleCounts()
        _ = try objectiveKinds()
        guard loraRank >= 0 else { throw ValidationError("--lora-rank must be at least 0, got \(loraRank)") }
        guard dtype == .f32 || loraRank > 0 else {
            throw ValidationError("--dtype bf16 needs --lora-rank > 0: only a frozen base can be bfloat16")
        }
        if let lora = try loraConfig() {
            do { try lora.validate(for: try modelConfig()) } catch let error as LoRAConfigError {
                throw ValidationError("--lora-rank, --lora-alpha or --lora-targets: \(error)")
            }
        }
    }

    /// The adapters of the cells, or nil when every weight trains.
    func loraConfig() throws -> LoRAConfig? {
        guard loraRank > 0 else { return nil }
        let names = loraTargets.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let targets: Set<LoRATarget>
        do { targets = try LoRATarget.parse(names) } catch {
            throw ValidationError("--lora-targets: \(error) (known: \(LoRATarget.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return LoRAConfig(rank: loraRank, alpha: loraAlpha ?? Double(2 * loraRank), targetModules: targets)
    }

    func run() throws {
        if let cell {
            let parts = cell.split(separator: ":")
            guard parts.count == 2, let kind = ObjectiveKind(rawValue: String(parts[0])), let n = Int(parts[1]), n > 0 else {
                throw ValidationError("--cell must be objective:n_t, got \(cell)")
            }
            print(try MemoryCell(bench: self, objective: kind, samples: n).run().jsonLine)
            return
        }
        try table()
    }

    // MARK: - The table

    private func sampleCounts() throws -> [Int] {
        let counts = samples.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("--samples must be positive integers separated by commas, got \(samples)")
        }
        return counts.map { $0! }
    }

    private func objectiveKinds() throws -> [ObjectiveKind] {
        try objectives.split(separator: ",").map { name in
            guard let kind = ObjectiveKind(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("unknown objective \(name) (known: \(ObjectiveKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return kind
        }
    }

    private func table() throws {
        let counts = try sampleCounts()
        let kinds = try objectiveKinds()
        let config = try modelConfig()
        let workspaceMB = Double(Workspace(config: config, batch: microBatch, seq: seq).byteCount) / 1_048_576
        let limit = Double(memoryLimit ?? Self.defaultMemoryLimitMiB())
        let parameters = ParameterLayout(config: config).totalCount
        // Held before any pass: the base (F32 or bfloat16) and four F32 buffers of what trains
        // (weights or adapters, gradients, two AdamW moments).
        let trained = try loraConfig().map { try AdapterLayout(config: config, lora: $0).totalCount }
        let staticMB = Double((trained == nil ? 0 : parameters * (dtype == .bf16 ? 2 : 4))
                              + 16 * (trained ?? parameters)) / 1_048_576
        if !json {
            print("bgpo bench memory: one optimiser step per cell, each in a fresh process (objective passes, backward, AdamW; "
                  + "no rollouts, one rollout forward timed apart)")
            print("CPU \(CPUInfo.current.model) (\(CPUInfo.current.features))")
            print(String(format: "model %@: d_model %d, %d layers, %d heads, vocab %d, %.1fM parameters",
                         preset, config.dModel, config.nLayers, config.nHeads, config.vocabSize, Double(parameters) / 1e6))
            if let lora = try loraConfig() {
                let adapters = try AdapterLayout(config: config, lora: lora).totalCount
                print(String(format: "training LoRA adapters: rank %d, alpha %g, %@ (%.1fM parameters) over a frozen %@ base",
                             lora.rank, lora.alpha, lora.orderedTargets.map(\.rawValue).joined(separator: ", "),
                             Double(adapters) / 1e6, dtype.rawValue))
            } else {
                print("training every weight (F32 weights, gradients and AdamW moments)")
            }
            print("step: \(responses) response(s) of \(seq) tokens (prompt \(promptLength) + response \(seq - promptLength)), "
                  + "micro-batch \(microBatch), \(threads) thread(s), \(BLASCore.current.summary)")
            print(String(format: "one activation workspace (micro-batch %d x %d tokens): %.1f MiB; weights and optimiser "
                         + "state %.0f MiB; memory limit for cells %.0f MiB", microBatch, seq, workspaceMB, staticMB, limit))
            print("")
        }
        var results: [ObjectiveKind: [Int: MemoryCell.Result]] = [:]
        var memoryRows: [[String]] = [["objective"] + counts.map { "n_t=\($0)" }]
        var timeRows = memoryRows
        for kind in kinds {
            var memoryRow = [kind.rawValue], timeRow = [kind.rawValue]
            var fitting = true
            for n in counts {
                if kind == .diffuGRPO, n != counts[0] {
                    memoryRow.append("(one pass)")
                    timeRow.append("")
                    continue
                }
                if kind == .vrpoOL, staticMB + Double(n) * workspaceMB * 1.1 > limit { fitting = false }
                guard fitting else {
                    memoryRow.append(String(format: "no fit (%.0f)", staticMB + Double(n) * workspaceMB))
                    timeRow.append("")
                    continue
                }
                let result = try runCell(kind, n)
                results[kind, default: [:]][n] = result
                if json { print(result.jsonLine) }
                memoryRow.append(String(format: "%.0f (+%.0f)", result.peakMB, result.peakMB - result.staticMB))
                timeRow.append(String(format: "%.2f", result.seconds))
            }
            memoryRows.append(memoryRow)
            timeRows.append(timeRow)
        }
        if !json {
            print("peak RSS, MiB (in parentheses: above the memory held before the step):")
            Self.printTable(memoryRows)
            print("\nseconds per step:")
            Self.printTable(timeRows)
            let rollout = results.values.flatMap(\.values).map(\.rolloutSeconds).sorted()
            if !rollout.isEmpty {
                print(String(format: "\none rollout step (a forward of %d sequences for the logits of %d positions): median %.2f s over %d cells",
                             responses, min(32, seq - promptLength), rollout[rollout.count / 2], rollout.count))
            }
        }
        guard !json else { return }
        print("")
        if let bgpo = results[.bgpo], let low = bgpo[counts.min()!], let high = bgpo[counts.max()!] {
            print(String(format: "BGPO: peak at n_t=%d is %.1f%% of n_t=%d (%.0f vs %.0f MiB)",
                         counts.max()!, 100 * high.peakMB / low.peakMB, counts.min()!, high.peakMB, low.peakMB))
        }
        if let vrpo = results[.vrpoOL], vrpo.count >= 2 {
            let points = vrpo.sorted { $0.key < $1.key }.map { (Double($0.key), $0.value.peakMB) }
            let slope = Self.leastSquaresSlope(points)
            print(String(format: "VRPO-OL: %.1f MiB more per extra sample (least squares over n_t = %@; one workspace is %.1f MiB)",
                         slope, points.map { String(Int($0.0)) }.joined(separator: ", "), workspaceMB))
        }
        if threads > 1 {
            print("with \(threads) threads the likelihood passes run side by side, up to one per thread (BGPO: one per micro-batch "
                  + "and sample), each thread with a workspace and a gradient buffer: memory grows with the passes that run at "
                  + "once, up to \(threads), then stays flat; --threads 1 shows n_t alone")
        }
    }

    private func runCell(_ kind: ObjectiveKind, _ n: Int) throws -> MemoryCell.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        process.arguments = Array(CommandLine.arguments.dropFirst()) + ["--cell", "\(kind.rawValue):\(n)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, process.terminationReason == .exit,
              let line = String(decoding: output, as: UTF8.self).split(separator: "\n").last,
              let result = MemoryCell.Result(jsonLine: String(line)) else {
            throw BenchError.cellFailed(cell: "\(kind.rawValue):\(n)", status: process.terminationStatus)
        }
        return result
    }

    /// The model shape of the cells: the preset with the char-v1 vocabulary (or with
    /// `--preset-vocabulary` its own) and room for `seq`.
    func modelConfig() throws -> ModelConfig {
        var settings = ModelSettings()
        settings.preset = preset
        settings.maxSeq = max(seq, try ModelConfig.preset(preset).maxSeq)
        if presetVocabulary { settings.vocabSize = try ModelConfig.preset(preset).vocabSize }
        return try settings.modelConfig(tokenizer: CharTokenizer())
    }

    /// Prints rows as left-aligned columns.
    static func printTable(_ rows: [[String]]) {
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max()! + 2 }
        for row in rows {
            print(zip(row, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined())
        }
    }

    /// `MemAvailable` of /proc/meminfo, in bytes.
    /// The memory a cell that keeps growing workspaces may use by default: 80% of the available
    /// memory (8 GiB assumed when /proc/meminfo cannot be read), in MiB.
    static func defaultMemoryLimitMiB() -> Int {
        Int(0.8 * Double(availableMemoryBytes() ?? (8 << 30)) / 1_048_576)
    }

    static func availableMemoryBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kb = Int(fields[1]) { return kb * 1024 }
        }
        return nil
    }

    static func leastSquaresSlope(_ points: [(Double, Double)]) -> Double {
        let n = Double(points.count)
        let mx = points.reduce(0) { $0 + $1.0 } / n, my = points.reduce(0) { $0 + $1.1 } / n
        let sxy = points.reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let sxx = points.reduce(0) { $0 + ($1.0 - mx) * ($1.0 - mx) }
        return sxx > 0 ? sxy / sxx : 0
    }
}

/// One cell of the memory benchmark: one optimiser step of one objective at one n_t.
struct MemoryCell {
    /// What a cell measured.
    struct Result {
        var objective: String
        var samples: Int
        /// Peak resident set of the process (ru_maxrss), MiB.
        var peakMB: Double
        /// procfs VmHWM, MiB (0 where there is no procfs).
        var highWaterMB: Double
        /// Peak resident set before the step: model, gradients, Adam moments, samples.
        var staticMB: Double
        /// Seconds of the step.
        var seconds: Double
        /// Seconds of one rollout step after it: a forward for the logits of one 32-token block.
        var rolloutSeconds: Double

        var jsonLine: String {
            String(format: "{\"objective\": \"%@\", \"mc_num\": %d, \"peak_rss_mb\": %.1f, \"vm_hwm_mb\": %.1f, "
                   + "\"before_step_mb\": %.1f, \"seconds\": %.3f, \"seconds_per_sample\": %.3f, \"rollout_step_s\": %.3f}",
                   objective, samples, peakMB, highWaterMB, staticMB, seconds, seconds / Double(samples), rolloutSeconds)
        }

        init(objective: String, samples: Int, peakMB: Double, highWaterMB: Double, staticMB: Double, seconds: Double,
             rolloutSeconds: Double) {
            (self.objective, self.samples, self.peakMB, self.highWaterMB, self.staticMB, self.seconds, self.rolloutSeconds) =
                (objective, samples, peakMB, highWaterMB, staticMB, seconds, rolloutSeconds)
        }

        init?(jsonLine: String) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(jsonLine.utf8)) as? [String: Any],
                  let objective = object["objective"] as? String, let samples = object["mc_num"] as? Int,
                  let peak = object["peak_rss_mb"] as? Double, let hwm = object["vm_hwm_mb"] as? Double,
                  let before = object["before_step_mb"] as? Double, let seconds = object["seconds"] as? Double,
                  let rollout = object["rollout_step_s"] as? Double else { return nil }
            self.init(objective: objective, samples: samples, peakMB: peak, highWaterMB: hwm, staticMB: before, seconds: seconds,
                      rolloutSeconds: rollout)
        }
    }

    let bench: MemoryBench
    let objective: ObjectiveKind
    let samples: Int

    func run() throws -> Result {
        BLAS.setThreads(bench.threads)
        let config = try bench.modelConfig()
        let model = try trainedModel(config)
        let update = DataParallelUpdate(parameters: model.trainableParameters,
                                        schedule: LearningRateSchedule(peak: 1e-5, warmupUpdates: 0, totalUpdates: 1,
                                                                       shape: .constant),
                                        settings: AdamWSettings(), communicator: SingleProcessCommunicator())
        let gradients = update.gradients
        // Random responses and advantages of alternating sign (none zero).
        let responseLength = bench.seq - bench.promptLength
        var rng = CounterRandom(seed: 1, purpose: .test)
        let sequences = (0..<bench.responses).map { _ in
            (prompt: [Int32(2)] + (1..<bench.promptLength).map { _ in Int32(4 + rng.nextIndex(below: 95)) },
             response: (0..<responseLength).map { _ in Int32(4 + rng.nextIndex(below: 95)) })
        }
        let advantages = (0..<bench.responses).map { $0 % 2 == 0 ? 1.0 : -1.0 }
        let before: Double
        let watch: ContinuousClock.Instant
        switch objective {
        case .bgpo, .vrpoOL, .elboExact:
            let masking = LikelihoodMasking(estimator: .stratified, normalizedByLength: true, samples: samples,
                                            maskTokenID: config.maskTokenID, seed: 1)
            let elboResponses = sequences.enumerated().map { index, sequence in
                ELBOResponse(samples: masking.samples(prompt: sequence.prompt, response: sequence.response, step: 1,
                                                      promptIndex: UInt64(index), responseIndex: 0),
                             advantage: advantages[index])
            }
            before = ResourceUsage.peakResidentMB
            watch = ContinuousClock.now
            let method: ELBOObjective.Method = objective == .bgpo ? .bgpo(clip: nil) : objective == .vrpoOL ? .vrpoOL : .elboExact
            _ = ELBOObjective(method: method, masking: masking, microBatchSize: bench.microBatch, padTokenID: config.padTokenID,
                              lanes: bench.threads)
                .accumulate(model: trainingPasses(of: model), responses: elboResponses, gradients: gradients)
        case .diffuGRPO:
            let grpo = DiffuGRPOObjective(epsilon: 0.5, beta: 0, promptMaskProbability: 0.15, seed: 1,
                                          maskTokenID: config.maskTokenID, padTokenID: config.padTokenID,
                                          eosTokenID: config.eosTokenID, microBatchSize: bench.microBatch, lanes: bench.threads)
            let inputs = sequences.enumerated().map { index, sequence in
                TokenPolicyResponse(prompt: sequence.prompt, response: sequence.response, advantage: advantages[index],
                                    key: [1, UInt64(index), 0], eosTokenID: config.eosTokenID)
            }
            before = ResourceUsage.peakResidentMB
            watch = ContinuousClock.now
            _ = grpo.accumulate(model: trainingPasses(of: model), responses: inputs, iteration: 0, gradients: gradients)
        }
        _ = try update.apply(step: 1, gradientScale: 1 / Float(bench.responses))
        let elapsed = ContinuousClock.now - watch
        let peak = ResourceUsage.peakResidentMB, highWater = Double(ResourceUsage.highWaterMarkBytes ?? 0) / 1_048_576
        return Result(objective: objective.rawValue, samples: samples, peakMB: peak, highWaterMB: highWater,
                      staticMB: before, seconds: elapsed.seconds,
                      rolloutSeconds: rolloutStep(model, sequences.map { $0.prompt + $0.response }))
    }

    /// What trains: every weight of a random model, or random-base LoRA adapters (B = 0, as PEFT starts).
    private func trainedModel(_ config: ModelConfig) throws -> any TrainableModel {
        guard let lora = try bench.loraConfig() else { return Model(config: config, seed: 1) }
        let base: FrozenBase
        switch bench.dtype {
        case .f32: base = .f32(Model(config: config, seed: 1))
        case .bf16: base = .bf16(Self.randomBF16(config))
        }
        return try LoRAModel(base: base, lora: lora, seed: 1)
    }

    /// A bfloat16 model with weights uniform in [-0.02, 0.02] and norm weights 1, without an F32 copy.
    private static func randomBF16(_ config: ModelConfig) -> BF16Model {
        let model = BF16Model(config: config)
        let one = bfloat16Bits(Float(1).bitPattern)
        for entry in model.layout.entries {
            let range = entry.offset..<(entry.offset + entry.count)
            guard entry.shape.count > 1 else {  // a norm's weight
                for i in range { model.storage[i] = one }
                continue
            }
            var rng = CounterRandom(seed: 1, purpose: .test, UInt64(entry.offset))
            for i in range { model.storage[i] = bfloat16Bits(Float(0.04 * rng.nextDouble() - 0.02).bitPattern) }
        }
        return model
    }

    /// Seconds of one forward for the logits of the first response block (32 positions at most):
    /// what each rollout step costs at this shape.
    private func rolloutStep(_ model: any ForwardModel, _ sequences: [[Int32]]) -> Double {
        let runner = ModelRunner(model: model)
        let tokens = sequences.flatMap { $0 }
        let block = bench.promptLength..<min(bench.seq, bench.promptLength + 32)
        let watch = ContinuousClock.now
        tokens.withUnsafeBufferPointer { pointer in
            _ = runner.logits(tokens: pointer.baseAddress!, keyMask: nil, batch: sequences.count, seq: bench.seq,
                              positions: block)
        }
        return (ContinuousClock.now - watch).seconds
    }
}
