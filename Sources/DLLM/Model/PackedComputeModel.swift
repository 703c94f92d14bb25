import Base
import Kernels

/// A ``Model`` or ``BF16Model`` whose matrix products run over weights packed once
/// (``Kernels/PackedMatrix``): the rollout forward, and `bgpo eval`'s.
///
/// - `f32` (AVX-512): F32 products, OpenBLAS's in another summation order, faster because the
///   weights are not packed again at every product. The logits equal the plain F32 forward's up
///   to F32 rounding. The forward of F32 rollouts on AVX-512 CPUs.
/// - `bf16` (AVX512_BF16): inputs rounded to bfloat16, F32 sums; approximate (the logits differ
///   from the F32 forward by about 1e-2 relative): `rollout.compute_dtype = "bf16"`,
///   `bgpo eval --compute-dtype bf16`.
///
/// Neither ever computes a likelihood the objectives differentiate. A snapshot: the matrices are
/// packed when it is made (four bytes per parameter in `f32`, two in `bf16`), and it reads the
/// embedding and norm weights from the source model, so make a new one after the source's weights
/// change (the trainer makes one per rollout phase). Element-wise work, attention and softmax stay
/// F32, as in the plain forward.
public final class PackedComputeModel {
    /// The model's shape.
    public let config: ModelConfig
    /// The precision of the products.
    public let precision: ProductPrecision
    private let layout: ParameterLayout
    private let weights: PackedWeights
    /// The source model, kept alive: the embedding and norm weights are read from it.
    private let source: AnyObject

    /// Packs the matrices of `model` for products in `precision` (rounded to bfloat16 for `bf16`).
    /// Needs `precision.isSupported`.
    public init(model: Model, precision: ProductPrecision) {
        config = model.config
        layout = model.layout
        self.precision = precision
        source = model
        let base = UnsafePointer(model.parameters.pointer)
        weights = PackedWeights(layout: layout, vectors: .f32(base)) { entry -> any PackedMatrix in
            let (out, inputs) = (entry.shape[0], entry.shape[1])
            return switch precision {
            case .f32: F32PackedMatrix(weight: base + entry.offset, outFeatures: out, inFeatures: inputs)
            case .bf16: BF16PackedMatrix(f32: base + entry.offset, outFeatures: out, inFeatures: inputs)
            }
        }
    }

    /// Packs the bfloat16 matrices of `model` as they are, for `bf16` products. Needs
    /// ``Kernels/ProductPrecision/bf16``'s ``Kernels/ProductPrecision/isSupported``.
    public init(bf16 model: BF16Model) {
        config = model.config
        layout = model.layout
        precision = .bf16
        source = model
        let base = UnsafePointer(model.storage.baseAddress!)
        weights = PackedWeights(layout: layout, vectors: .bf16(model.widened)) { entry in
            BF16PackedMatrix(bf16: base + entry.offset, outFeatures: entry.shape[0], inFeatures: entry.shape[1])
        }
    }
}

extension PackedComputeModel: ForwardModel {
    /// Over a ``Model``, true (the packed matrices and the F32 vectors are only read, each bfloat16
    /// product rounds its input rows into a buffer of its own); over a ``BF16Model``, false (its
    /// norm weights are widened into its scratch).
    public var allowsConcurrentPasses: Bool { (source as? any ForwardModel)?.allowsConcurrentPasses ?? false }

    /// The pass with packed matrix products, their rows shared among ``Kernels/BLAS/threads``
    /// threads, and attention's (sequence, head) pairs and the element-wise steps' rows shared the
    /// same way. Any OpenBLAS product inside a share runs single-threaded, so that none of its
    /// workers waits spinning on a core the packed products need (which costs up to a third of the
    /// pass on two cores).
    public func forward(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, workspace ws: Workspace,
                        scope: ForwardScope) {
        let pass = PackedPass(weights: weights, threads: BLAS.threads, keepsProbabilities: false)
        BLAS.singleThreaded {
            DLLM.forward(config: config, layout: layout, weights: pass, tokens: tokens, keyMask: keyMask, workspace: ws,
                         scope: scope)
        }
    }
}

/// The weights of a ``PackedComputeModel``: every matrix but the embedding packed, the embedding
/// and norm weights read from the source model.
final class PackedWeights {
    /// Where the embedding table and the norm weights come from.
    enum Vectors {
        /// A ``Model``'s F32 parameter buffer.
        case f32(UnsafePointer<Float>)
        /// A ``BF16Model``'s weights, widened as read.
        case bf16(BF16Weights)
    }

    private let vectors: Vectors
    /// The packed matrices by their offset in the layout.
    private let matrices: [Int: any PackedMatrix]

    /// Packs every matrix of ``packedEntries(of:)`` with `pack`.
    init(layout: ParameterLayout, vectors: Vectors, pack: (TensorEntry) -> any PackedMatrix) {
        self.vectors = vectors
        matrices = Dictionary(uniqueKeysWithValues: Self.packedEntries(of: layout).map { ($0.offset, pack($0)) })
    }

    /// The tensors a packed model packs: every two-dimensional one but the embedding table (read
    /// row by row).
    static func packedEntries(of layout: ParameterLayout) -> [TensorEntry] {
        layout.entries.filter { $0.shape.count == 2 && $0.offset != layout.embedding }
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

    /// The packed `[outFeatures, inFeatures]` matrix at `offset`.
    func matrix(at offset: Int, outFeatures: Int, inFeatures: Int) -> any PackedMatrix {
        guard let weight = matrices[offset], weight.inFeatures == inFeatures, weight.outFeatures == outFeatures else {
            preconditionFailure("PackedWeights: no packed [\(outFeatures), \(inFeatures)] matrix at \(offset)")
        }
        return weight
    }
}

/// One pass over ``PackedWeights``: its products' rows shared among `threads` threads.
struct PackedPass: ForwardWeights {
    let weights: PackedWeights
    let threads: Int
    /// False for a forward-only model's passes (``PackedComputeModel``), true for a trainer's.
    let keepsProbabilities: Bool

    func embed(tokens: UnsafePointer<Int32>, tableAt offset: Int, out: UnsafeMutablePointer<Float>,
               count: Int, vocab: Int, dim: Int) {
        weights.embed(tokens: tokens, tableAt: offset, out: out, count: count, vocab: vocab, dim: dim)
    }

    func vector(at offset: Int, count: Int) -> UnsafePointer<Float> { weights.vector(at: offset, count: count) }

    func linear(x: UnsafePointer<Float>, weightAt offset: Int, y: UnsafeMutablePointer<Float>,
                rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool) {
        weights.matrix(at: offset, outFeatures: outFeatures, inFeatures: inFeatures)
            .product(x: x, y: y, rows: rows, adding: ProductAddend(accumulate: accumulate), threads: threads)
    }

    /// The residual added as the product stores its output (no copy first).
    func linear(x: UnsafePointer<Float>, weightAt offset: Int, residual: UnsafePointer<Float>,
                y: UnsafeMutablePointer<Float>, rows: Int, inFeatures: Int, outFeatures: Int) {
        weights.matrix(at: offset, outFeatures: outFeatures, inFeatures: inFeatures)
            .product(x: x, y: y, rows: rows, adding: .matrix(residual), threads: threads)
    }
}
