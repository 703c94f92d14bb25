import Base
import Kernels

/// A LLaDA-style mask predictor whose weights stay bfloat16 in memory: half the memory of a
/// ``Model``, for inference (sampling, evaluation, logits of large imported models) and as the
/// frozen base of a ``LoRAModel``.
///
/// The forward pass widens one weight matrix at a time (in chunks of at most ``scratchLimit``
/// elements) into an F32 scratch buffer before its matrix product, and gathers embedding rows
/// directly, so the extra memory is the scratch, not a second copy of the model.
public final class BF16Model {
    /// The model's shape.
    public let config: ModelConfig
    /// Where each named tensor lives in ``storage``.
    public let layout: ParameterLayout
    /// All weights as bfloat16 bits, in the layout of ``Model/parameters``.
    public let storage: UnsafeMutableBufferPointer<UInt16>

    /// The most F32 elements a forward widens at once (64 MiB).
    public static let scratchLimit = 16 << 20

    /// The weights as passes read them, with the one widening scratch every pass over this model
    /// shares (so passes over it run one at a time).
    private(set) lazy var widened = BF16Weights(model: self)

    /// A model with zeroed weights, to be filled through ``storage``; `config` must pass `validate()`.
    public init(config: ModelConfig) {
        precondition((try? config.validate()) != nil, "BF16Model: invalid configuration \(config)")
        self.config = config
        layout = ParameterLayout(config: config)
        storage = .allocate(capacity: layout.totalCount)
        storage.initialize(repeating: 0)
    }

    /// The weights of `model` rounded to bfloat16 (nearest even).
    public convenience init(model: Model) {
        self.init(config: model.config)
        let source = UnsafeRawPointer(model.parameters.pointer).assumingMemoryBound(to: UInt32.self)
        for i in 0..<layout.totalCount { storage[i] = bfloat16Bits(source[i]) }
    }

    deinit { storage.deallocate() }
}

/// The weights of a ``BF16Model``, widened into a scratch buffer as the forward pass needs them.
final class BF16Weights: ForwardWeights {
    private let base: UnsafePointer<UInt16>
    private let scratch: UnsafeMutableBufferPointer<Float>

    /// Scratch for the largest matrix without the embedding and the head (those go in row chunks),
    /// at most ``BF16Model/scratchLimit`` elements, at least one row of the head.
    init(model: BF16Model) {
        base = UnsafePointer(model.storage.baseAddress!)
        let c = model.config
        let largest = max(c.dModel * c.mlpHidden, c.dModel * c.dModel)
        scratch = .allocate(capacity: max(c.dModel, min(largest, BF16Model.scratchLimit)))
    }

    deinit { scratch.deallocate() }

    func embed(tokens: UnsafePointer<Int32>, tableAt offset: Int, out: UnsafeMutablePointer<Float>,
               count: Int, vocab: Int, dim: Int) {
        for i in 0..<count {
            let token = Int(tokens[i])
            precondition(token >= 0 && token < vocab, "embed: token \(token) at \(i) outside 0..<\(vocab)")
            bfloat16Widen(base + offset + token * dim, out + i * dim, count: dim)
        }
    }

    func vector(at offset: Int, count: Int) -> UnsafePointer<Float> {
        bfloat16Widen(base + offset, scratch.baseAddress!, count: count)
        return UnsafePointer(scratch.baseAddress!)
    }

    /// Widens as many output rows of W as the scratch holds, multiplies, and moves on.
    func linear(x: UnsafePointer<Float>, weightAt offset: Int, y: UnsafeMutablePointer<Float>,
                rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool) {
        forEachRowChunk(weightAt: offset, inFeatures: inFeatures, outFeatures: outFeatures) { first, count, chunk in
            sgemm(.none, .transposed, m: rows, n: count, k: inFeatures, a: x, lda: inFeatures,
                  b: chunk, ldb: inFeatures, beta: accumulate ? 1 : 0, c: y + first, ldc: outFeatures)
        }
    }

    /// Widens the `[outFeatures, inFeatures]` matrix at `offset` into the scratch as many rows at a
    /// time as it holds and calls `body(first, count, rows)` with rows `first ..< first + count` as F32.
    func forEachRowChunk(weightAt offset: Int, inFeatures: Int, outFeatures: Int,
                         _ body: (Int, Int, UnsafePointer<Float>) -> Void) {
        let chunk = max(1, scratch.count / inFeatures)
        for first in stride(from: 0, to: outFeatures, by: chunk) {
            let count = min(chunk, outFeatures - first)
            bfloat16Widen(base + offset + first * inFeatures, scratch.baseAddress!, count: count * inFeatures)
            body(first, count, UnsafePointer(scratch.baseAddress!))
        }
    }
}
