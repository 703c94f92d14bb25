import ArgumentParser
import Base
import Checkpoint
import DLLM
import Foundation
import Kernels
import ModelFiles

/// `bgpo bench compare`: bgpo against the PyTorch reference on the same model, weights, batch,
/// sequence length and threads, alternating runs.
struct CompareBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Time bgpo and the PyTorch reference side by side: forward and forward+backward tokens/s.",
        discussion: """
            Both sides run the passes of `bgpo bench model` (forward, as rollouts run it; forward plus \
            backward of the mean log-probability of fixed targets at every position, as the trainer runs \
            them; on an AVX-512 CPU bgpo's over F32 weights packed once) on the same weights, written once to a \
            temporary model directory that env/reference/bench_torch.py loads. Each round times bgpo in \
            this process and PyTorch in a fresh Python process, in alternating order; the table shows \
            the median over rounds. The % of peak columns use the nominal peak of `bgpo bench model` and \
            the FMA peak measured once before the rounds, each per core times the threads. PyTorch runs eagerly with torch.set_num_threads(threads), its \
            attention through scaled_dot_product_attention. Install PyTorch with env/setup-torch.sh. \
            bgpo chooses the OpenBLAS kernels for the CPU at start unless OPENBLAS_CORETYPE is set \
            (then it is kept, with a warning when slower than the CPU allows); the header says which.
            """
    )

    @Option(help: "Model preset: \(ModelConfig.presetNames.joined(separator: ", ")).")
    var preset = "small"

    @Option(help: ArgumentHelp("A bgpo model directory to compare on instead of a preset (its shape and weights).",
                               valueName: "dir"))
    var model: String?

    @Option(help: "Sequences per pass.")
    var batch = 8

    @Option(help: "Tokens per sequence (default: the preset's maximum).")
    var seq: Int?

    @Option(help: "Thread counts to compare, comma-separated (OpenBLAS threads for bgpo, torch.set_num_threads for PyTorch).")
    var threads = "1"

    @Option(help: "Rounds per thread count; each round times both sides once, in alternating order.")
    var rounds = 3

    @Option(help: "Timed runs per pass per side in each round (median).")
    var runs = 1

    @Option(help: "The Python with torch (default: $BGPO_TORCH_VENV/bin/python, else .build/torch-venv/bin/python).")
    var python: String?

    @Option(help: "The PyTorch timing script.")
    var script = "env/reference/bench_torch.py"

    @Option(help: "PyTorch attention: sdpa (fused kernel) or reference (explicit softmax(q k^T) v).")
    var attention = "sdpa"

    @Flag(help: "Print one JSON object per thread count instead of the table.")
    var json = false

    func validate() throws {
        for (name, value) in [("batch", batch), ("rounds", rounds), ("runs", runs), ("seq", seq ?? 1)] where value <= 0 {
            throw ValidationError("--\(name) must be positive, got \(value)")
        }
        _ = try threadCounts()
        guard ["sdpa", "reference"].contains(attention) else {
            throw ValidationError("--attention must be sdpa or reference, got \(attention)")
        }
    }

    private func threadCounts() throws -> [Int] {
        let counts = threads.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) ?? 0 }
        guard !counts.isEmpty, counts.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--threads must be positive integers separated by commas, got \(threads)")
        }
        for count in counts { try checkThreadCount(count) }
        return counts
    }

    func run() throws {
        let python = try pythonPath()
        let directory: URL, model: Model
        var temporary: URL?
        if let path = self.model {
            directory = URL(fileURLWithPath: path, isDirectory: true)
            model = try ModelStore.load(from: directory).model
        } else {
            let config = try ModelConfig.preset(preset)
            try config.validate()
            model = Model(config: config, seed: 1)
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("bgpo-compare-\(UUID().uuidString)")
            temporary = directory
            try Self.export(model, to: directory)
        }
        defer { if let temporary { try? FileManager.default.removeItem(at: temporary) } }
        let config = model.config
        let seq = self.seq ?? config.maxSeq
        guard seq <= config.maxSeq else {
            throw ValidationError("--seq \(seq) exceeds the model's max_sequence_length \(config.maxSeq)")
        }
        let timer = try ModelTimer(model: model, batch: batch, seq: seq)
        let coretype = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
        let loadBefore = Self.loadAverage()
        let fmaPeak = FMAPeak.measure()
        var rows: [CompareRow] = []
        for threads in try threadCounts() {
            BLAS.setThreads(threads)
            timer.forward()  // warm-up
            timer.forwardBackward()
            var ours: [PassTimes] = [], theirs: [PassTimes] = []
            var torchInfo: [String: Any] = [:]
            for round in 0..<rounds {
                let bgpoFirst = round % 2 == 0
                if bgpoFirst { ours.append(time(timer)) }
                torchInfo = try runTorch(python: python, model: directory, seq: seq, threads: threads)
                theirs.append(try PassTimes(torch: torchInfo))
                if !bgpoFirst { ours.append(time(timer)) }
            }
            rows.append(CompareRow(threads: threads, config: config, seq: seq, tokens: timer.tokenCount,
                                   measuredPeakPerCore: fmaPeak?.gflopsPerCore,
                                   bgpo: PassTimes(medianOf: ours), torch: PassTimes(medianOf: theirs),
                                   torchVersion: torchInfo["torch_version"] as? String ?? "unknown",
                                   torchCapability: torchInfo["cpu_capability"] as? String ?? "unknown"))
        }
        let loadAfter = Self.loadAverage()
        if json {
            for row in rows {
                print(row.jsonLine(preset: self.model ?? preset, batch: batch, rounds: rounds, runs: runs, attention: attention,
                                   blasCore: BLAS.coreName, products: timer.products, coretype: coretype, load: (loadBefore, loadAfter),
                                   fmaPeakWidth: fmaPeak?.width.key))
            }
            return
        }
        print("bgpo bench compare: \(self.model ?? "preset " + preset) (d_model \(config.dModel), \(config.nLayers) layers), "
              + "batch \(batch), seq \(seq); \(rounds) rounds alternating bgpo and "
              + "PyTorch, \(runs) timed run(s) per pass per side per round, medians over rounds")
        print("bgpo: \(BLASCore.current.summary)"
              + "; PyTorch \(rows.first?.torchVersion ?? "?") eager, \(attention) attention, CPU capability "
              + "\(rows.first?.torchCapability ?? "?")")
        print(String(format: "load average (1 min): %.2f at start, %.2f at end; nominal peak %.0f GFLOPS per core",
                     loadBefore, loadAfter, ModelBench.nominalPeakGFLOPSPerCore))
        print(measuredPeakLine(fmaPeak))
        print("bgpo \(timer.products)")
        CompareRow.printTable(rows)
    }

    /// Times one forward median and one forward+backward median of bgpo.
    private func time(_ timer: ModelTimer) -> PassTimes {
        let forward = ModelTimer.medianSeconds(runs, timer.forward)
        let training = ModelTimer.medianSeconds(runs, timer.forwardBackward)
        return PassTimes(forward: forward.wall, training: training.wall, forwardCPU: forward.cpu, trainingCPU: training.cpu)
    }

    /// Runs bench_torch.py once and returns its JSON object.
    private func runTorch(python: String, model: URL, seq: Int, threads: Int) throws -> [String: Any] {
        let arguments = [script, "--model", model.path, "--batch", "\(batch)", "--seq", "\(seq)",
                         "--threads", "\(threads)", "--runs", "\(runs)", "--attention", attention]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let command = ([python] + arguments).joined(separator: " ")
        guard process.terminationStatus == 0, process.terminationReason == .exit,
              let line = String(decoding: output, as: UTF8.self).split(separator: "\n").last,
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw BenchError.toolFailed(command: command, status: process.terminationStatus)
        }
        return object
    }

    /// `--python`, else `$BGPO_TORCH_VENV/bin/python`, else `.build/torch-venv/bin/python`; it must exist.
    private func pythonPath() throws -> String {
        let venv = ProcessInfo.processInfo.environment["BGPO_TORCH_VENV"] ?? ".build/torch-venv"
        let path = python ?? venv + "/bin/python"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BenchError.toolMissing(path: path, hint: "install PyTorch with env/setup-torch.sh, or pass --python")
        }
        guard FileManager.default.fileExists(atPath: script) else {
            throw BenchError.toolMissing(path: script, hint: "run from the repository's top directory, or pass --script")
        }
        return path
    }

    /// Writes `model` as a model directory bench_torch.py loads: model.safetensors (LLaDA names, F32)
    /// and a model.json whose `config` holds LLaDA's config.json fields.
    static func export(_ model: Model, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let views = model.layout.tensorViews(of: model.parameters)
        _ = try Safetensors.write(views, metadata: ["format": "pt"],
                                  to: directory.appendingPathComponent(ModelStore.weightsFile))
        let description = ModelDescription(config: model.config, tokenizer: "none", metadata: ["purpose": "bench compare"])
        try JSONEncoder().encode(description).write(to: directory.appendingPathComponent(ModelStore.descriptionFile))
    }

    /// The one-minute load average (0 where unavailable).
    static func loadAverage() -> Double {
        var load = [0.0, 0.0, 0.0]
        return getloadavg(&load, 3) > 0 ? load[0] : 0
    }
}
