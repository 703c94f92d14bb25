import Checkpoint
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the multi-rank, resume and crash tests of `bgpo train` share: a base model whose
/// rollouts earn different rewards, a tiny RL configuration of well under a second per step, and
/// readers for metrics and checkpoints.

/// Why the shared base model could not be made.
struct FixtureError: Error, CustomStringConvertible {
    var description: String
}

/// Where the shared base model lives; removed when the test process exits.
private let warmStartedBaseDirectory = FileManager.default.temporaryDirectory
    .appendingPathComponent("bgpo-cli-base-\(UUID().uuidString)", isDirectory: true)

/// A countdown model warm-started once per test process (`bgpo sft`, tiny preset, 400 steps,
/// about 10 s): it writes `<answer>` tags often enough that a group's rewards differ (0 or 0.1),
/// so advantages are non-zero, likelihood masks are drawn and the gradient all-reduce carries
/// data. A random model earns reward 0 everywhere and would exercise none of that.
private let warmStartedBase: Result<URL, FixtureError> = {
    let directory = warmStartedBaseDirectory
    atexit { try? FileManager.default.removeItem(at: warmStartedBaseDirectory) }
    let result: ProcessResult
    do {
        result = try runBGPO(tinySFTArguments(directory, tinySFTOverrides + [
            "sft.steps=400", "sft.batch_size=16", "train.micro_batch_size=16", "sft.learning_rate=0.01", "sft.warmup_steps=10",
            "sft.logging_steps=100", "task.test_size=1"]))
    } catch {
        return .failure(FixtureError(description: "bgpo sft did not start: \(error)"))
    }
    guard result.status == 0 else {
        return .failure(FixtureError(description: "bgpo sft exited \(result.status): \(result.stderr)"))
    }
    return .success(directory)
}()

/// The shared warm-started base model directory (model.json, model.safetensors).
func warmStartedBaseModel() throws -> URL {
    try warmStartedBase.get()
}

/// The environment of every training run of these tests: no Slurm variables from a test run
/// that itself runs inside a Slurm job (an empty variable counts as unset), and mpirun bounded
/// to 120 s in case ranks hang.
let rlRunEnvironment = ["SLURM_JOB_ID": "", "SLURM_STEP_ID": "", "SLURM_NTASKS": "", "SLURM_CPUS_PER_TASK": "",
                        "SLURM_PROCID": "", "MPIEXEC_TIMEOUT": "120"]

/// `bgpo train` of `steps` BGPO steps from the shared base model into `run`: 4 prompts of 4
/// responses of 32 tokens per step, 2 masked samples each, a learning rate high enough that the
/// weights move visibly, a checkpoint every `saveSteps` (0: only at a stop and at the end).
///
/// Rollouts at temperature 1: at the preset's 0.6 the base's four responses to a prompt are often
/// all alike, and whether any group's rewards differ within 3 steps then depends on the BLAS
/// kernels' rounding (with `OPENBLAS_CORETYPE=SkylakeX` none did). At 1.0 every step of every
/// core type tried (Cooperlake, SkylakeX, Haswell, Zen, Sandybridge) has a non-zero gradient.
/// With `lora`, rank-4 adapters on every module over the base stored as bfloat16, at a learning
/// rate 10 times higher (the adapters start at B = 0).
func tinyRLArguments(_ run: URL, base: URL, steps: Int, saveSteps: Int = 0, lora: Bool = false) -> [String] {
    let adapters = ["--set", "model.lora_rank=4", "--set", "model.lora_alpha=8", "--set", "model.dtype=bf16",
                    "--set", "model.lora_target_modules=[\"q_proj\", \"k_proj\", \"v_proj\", \"attn_out\", \"ff_proj\", \"up_proj\", \"ff_out\"]"]
    return ["train", "--preset", "countdown-tiny", "--output-dir", run.path, "--threads", "1",
     "--set", "model.path=\(base.path)", "--set", "sft.steps=0", "--set", "train.max_steps=\(steps)",
     "--set", "train.prompts_per_step=4", "--set", "train.micro_batch_size=4", "--set", "train.eval_steps=0",
     "--set", "task.test_size=4", "--set", "rollout.num_generations=4", "--set", "rollout.temperature=1.0", "--set", "rollout.max_completion_length=32",
     "--set", "rollout.block_length=8", "--set", "rollout.diffusion_steps=16", "--set", "objective.mc_num=2",
     "--set", "optim.learning_rate=\(lora ? "1e-2" : "1e-3")", "--set", "checkpoint.save_steps=\(saveSteps)"]
        + (lora ? adapters : [])
}

/// The keys of a metrics line that measure time or memory, and so differ between equal runs.
private func isMeasurement(_ key: String) -> Bool {
    key.hasPrefix("timing_s/") || ["step_time", "tokens_per_s", "max_rss_mb"].contains(key)
}

/// The lines of `run`'s metrics.jsonl as dictionaries, without the time and memory keys.
func deterministicMetrics(_ run: URL) throws -> [[String: Double]] {
    let text = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    return try text.split(separator: "\n").map { line in
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        var values: [String: Double] = [:]
        for (key, value) in object where !isMeasurement(key) {
            values[key] = try #require(value as? NSNumber, "\(key) in \(line)").doubleValue
        }
        return values
    }
}

/// The values of `key` in `run`'s metrics.jsonl, time and memory measurements included.
func metricsValues(_ run: URL, _ key: String) throws -> [Double] {
    let text = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    return text.split(separator: "\n").compactMap { line in
        (((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?[key] as? NSNumber)?.doubleValue
    }
}

/// The steps recorded in `run`'s metrics.jsonl so far, in file order.
func recordedSteps(_ run: URL) -> [Int] {
    guard let text = try? String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8) else { return [] }
    return text.split(separator: "\n").compactMap { line in
        ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?["step"] as? Int
    }
}

/// `RUN_DIR/checkpoints/step-NNNNNN`.
func checkpointDirectory(_ run: URL, step: Int) -> URL {
    run.appendingPathComponent("checkpoints/\(CheckpointDirectory.name(forStep: step))", isDirectory: true)
}

/// The step `LATEST` of `run` names, if any.
func latestStep(_ run: URL) throws -> Int? {
    try CheckpointStore(runDirectory: run).latestName().flatMap(CheckpointDirectory.step(fromName:))
}

/// The model and optimizer files of `run`'s checkpoint of `step`, as stored (zstd frames).
func checkpointFiles(_ run: URL, step: Int) throws -> [String: Data] {
    var files: [String: Data] = [:]
    for name in [CheckpointDirectory.modelFile, CheckpointDirectory.optimizerFile] {
        files[name] = try Data(contentsOf: checkpointDirectory(run, step: step).appendingPathComponent(name))
    }
    return files
}

/// Every tensor of a plain safetensors file.
func safetensorsTensors(_ url: URL) throws -> [String: [Float]] {
    let file = try SafetensorsFile(url: url)
    var tensors: [String: [Float]] = [:]
    for entry in file.header.entries {
        let descriptor = entry.descriptor
        var values = [Float](repeating: 0, count: descriptor.elementCount)
        try values.withUnsafeMutableBufferPointer {
            try file.read(TensorDestination(name: descriptor.name, shape: descriptor.shape, floats: $0))
        }
        tensors[descriptor.name] = values
    }
    return tensors
}

/// The model weights of `run`'s checkpoint of `step`, exported with `bgpo checkpoint export`.
func exportedWeights(_ run: URL, step: Int) throws -> [String: [Float]] {
    let out = run.appendingPathComponent("exported-\(step).safetensors")
    let export = try runBGPO(["checkpoint", "export", checkpointDirectory(run, step: step).path, "--out", out.path])
    guard export.status == 0 else { throw FixtureError(description: "bgpo checkpoint export: \(export.stderr)") }
    return try safetensorsTensors(out)
}

/// The largest absolute difference between two sets of tensors with the same names and shapes.
func largestDifference(_ a: [String: [Float]], _ b: [String: [Float]]) throws -> Float {
    try #require(Set(a.keys) == Set(b.keys), "different tensor names")
    var largest: Float = 0
    for (name, values) in a {
        let other = try #require(b[name])
        try #require(values.count == other.count, "\(name): different sizes")
        for (x, y) in zip(values, other) { largest = max(largest, abs(x - y)) }
    }
    return largest
}
