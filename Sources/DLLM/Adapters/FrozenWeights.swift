import Kernels

/// Weight storage that a backward pass propagates gradients through without taking gradients of
/// its own: the frozen base of a ``LoRAModel``.
protocol FrozenWeights: ForwardWeights {
    /// `dX = dY W` (or `dX += dY W` when `accumulate`) with W the `[outFeatures, inFeatures]` matrix at `offset`.
    /// dY: [rows, outFeatures]; dX: [rows, inFeatures].
    func linearInputGradient(dY: UnsafePointer<Float>, weightAt offset: Int, dX: UnsafeMutablePointer<Float>,
                             rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool)
}

extension F32Weights: FrozenWeights {
    /// One product with the F32 matrix in place.
    func linearInputGradient(dY: UnsafePointer<Float>, weightAt offset: Int, dX: UnsafeMutablePointer<Float>,
                             rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool) {
        linearInputBackward(weight: base + offset, dY: dY, dX: dX, rows: rows, inFeatures: inFeatures,
                            outFeatures: outFeatures, accumulate: accumulate)
    }
}

extension BF16Weights: FrozenWeights {
    /// Widens W a chunk of output rows at a time, as the forward does: rows `first ..< first + count`
    /// of W meet columns `first ..< first + count` of dY, and the chunks' products add up in dX.
    func linearInputGradient(dY: UnsafePointer<Float>, weightAt offset: Int, dX: UnsafeMutablePointer<Float>,
                             rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool) {
        forEachRowChunk(weightAt: offset, inFeatures: inFeatures, outFeatures: outFeatures) { first, count, chunk in
            sgemm(.none, .none, m: rows, n: inFeatures, k: count, a: dY + first, lda: outFeatures,
                  b: chunk, ldb: inFeatures, beta: accumulate || first > 0 ? 1 : 0, c: dX, ldc: inFeatures)
        }
    }
}
