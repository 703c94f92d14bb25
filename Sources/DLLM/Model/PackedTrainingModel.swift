import Base
import Kernels

/// A ``Model``'s training passes over its matrices packed once (AVX-512): the forward's products
/// over the packed weights (the F32 pass of ``PackedComputeModel``), the backward's input
/// gradients `dX = dY W` over the packed transposes, the weights' gradients `dW += dY^T x`
/// through OpenBLAS into the gradient buffer. F32 throughout: values and gradients are the plain
/// passes' up to summation order. Made by ``trainingPasses(of:)``.
///
/// A snapshot of the weights for the passes between two optimizer updates: make one after every
/// update and never keep one across an update (its products would use the old weights). It holds
/// eight bytes per parameter while it lives, and trains `model`'s parameters.
public final class PackedTrainingModel {
    /// The model whose parameters the passes read (through the snapshot) and train.
    public let model: Model
    private let weights: PackedWeights
    /// The matrices' transposes, packed, by their offset in the layout.
    private let transposed: [Int: F32PackedMatrix]

    /// Packs `model`'s matrices and their transposes. Needs ``Kernels/ProductPrecision/f32``'s
    /// ``Kernels/ProductPrecision/isSupported``.
    init(model: Model) {
        self.model = model
        let base = UnsafePointer(model.parameters.pointer), layout = model.layout
        weights = PackedWeights(layout: layout, vectors: .f32(base)) { entry in
            F32PackedMatrix(weight: base + entry.offset, outFeatures: entry.shape[0], inFeatures: entry.shape[1])
        }
        transposed = Dictionary(uniqueKeysWithValues: PackedWeights.packedEntries(of: layout).map { entry in
            (entry.offset, F32PackedMatrix(transposeOf: base + entry.offset, outFeatures: entry.shape[1],
                                           inFeatures: entry.shape[0]))
        })
    }
}

/// The passes a trainer runs on `model` until its next optimizer update: a ``Model`` on an AVX-512
/// CPU as a ``PackedTrainingModel`` snapshot (the same F32 products, faster), any other model as
/// it is.
public func trainingPasses(of model: any TrainableModel) -> any TrainableModel {
    guard let full = model as? Model, ProductPrecision.f32.isSupported else { return model }
    return PackedTrainingModel(model: full)
}

extension PackedTrainingModel: TrainableModel {
    /// The model's shape.
    public var config: ModelConfig { model.config }
    /// True: the passes only read the packed matrices and the parameters.
    public var allowsConcurrentPasses: Bool { true }
    /// The model's parameters: what the optimizer updates (after which this snapshot is stale).
    public var trainableParameters: FlatBuffer { model.parameters }
    /// The ``ParameterLayout``.
    public var trainableLayout: any TensorLayout { model.layout }

    /// The pass over the packed matrices, their rows shared among ``Kernels/BLAS/threads`` threads,
    /// attention and the element-wise steps shared the same way, OpenBLAS single-threaded inside
    /// each share (as in ``PackedComputeModel``: none of its workers spins on a core the packed
    /// products need).
    public func forward(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, workspace ws: Workspace,
                        scope: ForwardScope) {
        precondition(ws.config == config, "PackedTrainingModel.forward: workspace was built for another model configuration")
        let pass = PackedPass(weights: weights, threads: BLAS.threads, keepsProbabilities: true)
        BLAS.singleThreaded {
            DLLM.forward(config: config, layout: model.layout, weights: pass, tokens: tokens, keyMask: keyMask, workspace: ws,
                         scope: scope)
        }
    }

    /// The backward of the last forward of every position in `workspace`, ACCUMULATING into
    /// `gradients` (`[trainableParameters.count]`), as ``modelBackward(_:workspace:gradients:)``.
    public func backward(workspace ws: Workspace, gradients: FlatBuffer) {
        precondition(ws.config == config, "PackedTrainingModel.backward: workspace was built for another model configuration")
        precondition(gradients.count == model.layout.totalCount,
                     "PackedTrainingModel.backward: gradient buffer has \(gradients.count) elements, layout needs \(model.layout.totalCount)")
        let full = FullGradients(weights: model.parameters.pointer, gradients: gradients.pointer)
        let parameters = PackedGradients(full: full, transposed: transposed, threads: BLAS.threads)
        BLAS.singleThreaded {
            DLLM.backward(config: config, layout: model.layout, parameters: parameters, workspace: ws)
        }
    }
}

/// Full fine-tuning's gradients with the input gradients over packed transposes, their rows shared
/// among `threads` threads; the weights' gradients are split by output rows among them (each
/// element's sum is the same whatever the split).
struct PackedGradients: ParameterGradients {
    /// The plain gradients: the weights' and the norms' and embedding's.
    let full: FullGradients
    let transposed: [Int: F32PackedMatrix]
    /// Threads sharing the rows of each input-gradient product.
    let threads: Int

    func linear(x: UnsafePointer<Float>, weightAt offset: Int, dY: UnsafePointer<Float>, dX: UnsafeMutablePointer<Float>,
                rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool) {
        guard let weight = transposed[offset], weight.outFeatures == inFeatures, weight.inFeatures == outFeatures else {
            preconditionFailure("PackedGradients.linear: no packed transpose of a [\(outFeatures), \(inFeatures)] matrix at \(offset)")
        }
        weight.product(x: dY, y: dX, rows: rows, adding: ProductAddend(accumulate: accumulate), threads: threads)
        // dW[o0..<o1] += dY[:, o0..<o1]^T x, one share of the output rows per thread.
        nonisolated(unsafe) let (input, gradient, dW) = (x, dY, full.gradients + offset)
        forEachShare(of: outFeatures, threads: threads, minimumShare: packedTileRows) { first, end in
            linearWeightBackward(x: input, dY: gradient + first, dYStride: outFeatures, dWeight: dW + first * inFeatures,
                                 rows: rows, inFeatures: inFeatures, outFeatures: end - first)
        }
    }

    func norm(x: UnsafePointer<Float>, weightAt offset: Int, rstd: UnsafePointer<Float>, dY: UnsafePointer<Float>,
              dX: UnsafeMutablePointer<Float>, rows: Int, dim: Int) {
        full.norm(x: x, weightAt: offset, rstd: rstd, dY: dY, dX: dX, rows: rows, dim: dim)
    }

    func embedding(tokens: UnsafePointer<Int32>, dOut: UnsafePointer<Float>, tableAt offset: Int, count: Int,
                   vocab: Int, dim: Int) {
        full.embedding(tokens: tokens, dOut: dOut, tableAt: offset, count: count, vocab: vocab, dim: dim)
    }
}
