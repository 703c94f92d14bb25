import Base
import DLLM
import Foundation

/// The largest values the configuration accepts: beyond them a value cannot be held by the types,
/// the libraries or the memory it ends up in, so validation refuses it instead of a crash later.
public enum ConfigLimits {
    /// The largest count, step number, size or number of seconds of a key without a tighter limit:
    /// 2^31 - 1 (token positions and BLAS dimensions are 32-bit integers).
    public static let maximumCount = Int(Int32.max)
    /// The largest BLAS thread count per rank (`run.threads`, `--threads`, `SLURM_CPUS_PER_TASK`).
    public static let maximumThreads = ThreadLimit.maximum
    /// The largest number of zstd worker threads: zstd's own maximum on 64-bit systems.
    public static let maximumCompressionThreads = 256
    /// How many times this machine's physical memory a run's estimated memory may be.
    public static let memoryFactor = 16
    /// The smallest memory bound, whatever the machine: 1 TiB (a configuration checked on a small
    /// login node may be meant for bigger compute nodes).
    public static let minimumMemoryBound = 1 << 40

    /// The most bytes a run may need (the model's training state, one workspace, one step's
    /// tokens): ``memoryFactor`` times this machine's physical memory, at least ``minimumMemoryBound``.
    public static var memoryBound: Int {
        let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        return max(minimumMemoryBound, checkedProduct(physical, memoryFactor) ?? Int.max)
    }

    /// Throws unless the training state of `shape` (weights, gradients, Adam m and v: 16 bytes per
    /// parameter) and one workspace of `microBatch` sequences of its `maxSeq` tokens fit in
    /// ``memoryBound``; the error names `modelKey` (= `modelValue`) when the state alone does
    /// not fit, else `microBatchKey`.
    public static func checkTrainingMemory(_ shape: ModelConfig, microBatch: Int, modelKey: String, modelValue: String,
                                           microBatchKey: String) throws {
        let state = shape.checkedParameterCount.flatMap { checkedProduct($0, 4 * MemoryLayout<Float>.stride) }
        guard let state, state <= memoryBound else {
            throw ConfigError.invalidValue(
                key: modelKey, value: modelValue,
                expected: "a model whose training state (16 bytes per parameter: \(gibibytes(state))) fits in \(memoryBoundText)")
        }
        let workspace = shape.checkedWorkspaceBytes(batch: microBatch, seq: shape.maxSeq)
        guard let total = checkedSum(state, workspace), total <= memoryBound else {
            throw ConfigError.invalidValue(
                key: microBatchKey, value: "\(microBatch)",
                expected: "a micro-batch whose workspace (\(gibibytes(workspace)) for sequences of max_seq \(shape.maxSeq) "
                    + "tokens) and the model's training state fit in \(memoryBoundText)")
        }
    }

    /// ``memoryBound`` in words, for messages.
    static var memoryBoundText: String {
        let physical = Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30)
        return String(format: "%.0f GiB (%d x this machine's %.1f GiB of physical memory, at least %d GiB)",
                      Double(memoryBound) / Double(1 << 30), memoryFactor, physical, minimumMemoryBound >> 30)
    }

    /// `bytes` in GiB for messages ("more than Int holds" when nil).
    static func gibibytes(_ bytes: Int?) -> String {
        bytes.map { String(format: "%.1f GiB", Double($0) / Double(1 << 30)) } ?? "more than \(Int.max) bytes"
    }
}
