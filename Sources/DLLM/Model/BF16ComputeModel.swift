import Base
import Kernels

/// A ``Model`` or ``BF16Model`` whose matrix products run in bfloat16 (AVX512_BF16 dot products,
/// F32 sums): the rollout forward of `rollout.compute_dtype = "bf16"` and of `bgpo eval
/// --compute-dtype bf16`. Approximate: the logits differ from the F32 forward by about 1e-2
/// relative, so it never computes a likelihood the objectives differentiate.
///
/// A snapshot: the matrices are packed when it is made (about two bytes per parameter), and it
/// reads the embedding and norm weights from the source model, so make a new one after the
/// source's weights change (the trainer makes one per rollout phase). Element-wise work,
/// attention and softmax stay F32.
public final class BF16ComputeModel {
    /// The model's shape.
    public let config: ModelConfig
    private let layout: ParameterLayout
    private let weights: PackedBF16Weights
    /// The source model, kept alive: the embedding and norm weights are read from it.
    private let source: AnyObject

    /// Whether this CPU runs bfloat16 products (AVX-512 with AVX512_BF16).
    public static var isSupported: Bool { BF16Products.isSupported }

    /// Packs the matrices of `model`, rounded to bfloat16. Needs ``isSupported``.
    public init(model: Model) {
        config = model.config
        layout = model.layout
        source = model
        let base = UnsafePointer(model.parameters.pointer)
        weights = PackedBF16Weights(layout: layout, vectors: .f32(base)) { entry in
            BF16PackedMatrix(f32: base + entry.offset, outFeatures: entry.shape[0], inFeatures: entry.shape[1])
        }
    }

    /// Packs the bfloat16 matrices of `model` as they are. Needs ``isSupported``.
    public init(model: BF16Model) {
        config = model.config
        layout = model.layout
        source = model
        let base = UnsafePointer(model.storage.baseAddress!)
        weights = PackedBF16Weights(layout: layout, vectors: .bf16(model.widened)) { entry in
            BF16PackedMatrix(bf16: base + entry.offset, outFeatures: entry.shape[0], inFeatures: entry.shape[1])
        }
    }
}

extension BF16ComputeModel: ForwardModel {
    /// Over a ``Model``, true (the packed matrices and the F32 vectors are only read, each product
    /// rounds its input rows into a buffer of its own); over a ``BF16Model``, false (its norm
    /// weights are widened into its scratch).
    public var allowsConcurrentPasses: Bool { (source as? any ForwardModel)?.allowsConcurrentPasses ?? false }

    /// The pass with bfloat16 matrix products.
    public func forward(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, workspace ws: Workspace,
                        scope: ForwardScope) {
        DLLM.forward(config: config, layout: layout, weights: weights, tokens: tokens, keyMask: keyMask, workspace: ws,
                     scope: scope)
    }
}

/// The weights of a ``BF16ComputeModel``: every matrix but the embedding packed for bfloat16
/// products, the embedding and norm weights read from the source model.
final class PackedBF16Weights: ForwardWeights {
    /// Where the embedding table and the norm weights come from.
    enum Vectors {
        /// A ``Model``'s F32 parameter buffer.
        case f32(UnsafePointer<Float>)
        /// A ``BF16Model``'s weights, widened as read.
        case bf16(BF16Weights)
    }

    private let vectors: Vectors
    /// The packed matrices by their offset in the layout.
    private let matrices: [Int: BF16PackedMatrix]

    /// Packs every two-dimensional tensor of `layout` except the embedding with `pack`.
    init(layout: ParameterLayout, vectors: Vectors, pack: (TensorEntry) -> BF16PackedMatrix) {
        precondition(BF16Products.isSupported, "PackedBF16Weights: this CPU has no AVX512_BF16")
        self.vectors = vectors
        matrices = Dictionary(uniqueKeysWithValues: layout.entries
            .filter { $0.shape.count == 2 && $0.offset != layout.embedding }
            .map { ($0.offset, pack($0)) })
    }

    func embed(tokens: UnsafePointer<Int32>, tableAt offset: Int, out: UnsafeMutablePointer<Float>,
               count: Int, vocab: Int, dim: Int) {
        switch vectors {
        case .f32(let base):
            embeddingForward(tokens: tokens, table: base + offset, out: out, count: count, vocab: vocab, dim: dim)
        case .bf16(let widened):
            widened.embed(tokens: tokens, tableAt: offset, out: out, count: count, vocab: vocab, dim: dim)
        }
    }

    func vector(at offset: Int, count: Int) -> UnsafePointer<Float> {
        switch vectors {
        case .f32(let base): base + offset
        case .bf16(let widened): widened.vector(at: offset, count: count)
        }
    }

    func linear(x: UnsafePointer<Float>, weightAt offset: Int, y: UnsafeMutablePointer<Float>,
                rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool) {
        guard let weight = matrices[offset], weight.inFeatures == inFeatures, weight.outFeatures == outFeatures else {
            preconditionFailure("PackedBF16Weights.linear: no packed [\(outFeatures), \(inFeatures)] matrix at \(offset)")
        }
        // The bfloat16 copy of the input rows, one per product: passes on other threads have their own.
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: BF16PackedMatrix.scratchCount(rows: rows, inFeatures: inFeatures)) {
            bf16LinearForward(x: x, weight: weight, y: y, rows: rows, accumulate: accumulate, scratch: $0.baseAddress!)
        }
    }
}
