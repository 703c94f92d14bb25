/// A bias-free linear layer with a low-rank adapter, as PEFT's LoRA `Linear`:
/// `y = x W^T + scale * (x A^T) B^T` with `scale = alpha / rank`. W is frozen; A and B train.
///
/// x: [rows, inFeatures]; weight: [outFeatures, inFeatures]; a: [rank, inFeatures];
/// b: [outFeatures, rank]; hidden: [rows, rank], receives `x A^T`, which the backward needs;
/// y: [rows, outFeatures], overwritten (or added to when `accumulate`).
///
/// With B = 0 (PEFT's initialisation) y is exactly the base layer's `x W^T`: the adapter's product
/// is added as zeros.
public func loraLinearForward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                              a: UnsafePointer<Float>, b: UnsafePointer<Float>, scale: Float,
                              hidden: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>,
                              rows: Int, inFeatures: Int, outFeatures: Int, rank: Int, accumulate: Bool = false) {
    linearForward(x: x, weight: weight, y: y, rows: rows, inFeatures: inFeatures, outFeatures: outFeatures,
                  accumulate: accumulate)
    loraAdapterForward(x: x, a: a, b: b, scale: scale, hidden: hidden, y: y, rows: rows, inFeatures: inFeatures,
                       outFeatures: outFeatures, rank: rank)
}

/// The adapter's share of ``loraLinearForward(x:weight:a:b:scale:hidden:y:rows:inFeatures:outFeatures:rank:accumulate:)``,
/// added to a base layer's output already in `y`: `hidden = x A^T`, `y += scale * hidden B^T`.
///
/// x: [rows, inFeatures]; a: [rank, inFeatures]; b: [outFeatures, rank]; hidden: [rows, rank], overwritten;
/// y: [rows, outFeatures], added to.
public func loraAdapterForward(x: UnsafePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>, scale: Float,
                               hidden: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>,
                               rows: Int, inFeatures: Int, outFeatures: Int, rank: Int) {
    // hidden = x A^T: [rows, rank]
    linearForward(x: x, weight: a, y: hidden, rows: rows, inFeatures: inFeatures, outFeatures: rank)
    // y += scale * hidden B^T
    sgemm(.none, .transposed, m: rows, n: outFeatures, k: rank, alpha: scale,
          a: hidden, lda: rank, b: b, ldb: rank, beta: 1, c: y, ldc: outFeatures)
}

/// Backward of ``loraLinearForward(x:weight:a:b:scale:hidden:y:rows:inFeatures:outFeatures:rank:accumulate:)``.
/// The frozen weight gets no gradient.
///
/// `dX (+)= dY W` (`=` when `accumulate` is false), then the adapter's share as
/// ``loraAdapterBackward(x:a:b:scale:hidden:dY:dHidden:dX:dA:dB:rows:inFeatures:outFeatures:rank:)``.
///
/// x: [rows, inFeatures]; weight: [outFeatures, inFeatures]; a, dA: [rank, inFeatures];
/// b, dB: [outFeatures, rank]; hidden: the forward's [rows, rank]; dY: [rows, outFeatures];
/// dHidden: [rows, rank] scratch; dX: [rows, inFeatures].
public func loraLinearBackward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                               a: UnsafePointer<Float>, b: UnsafePointer<Float>, scale: Float,
                               hidden: UnsafePointer<Float>, dY: UnsafePointer<Float>,
                               dHidden: UnsafeMutablePointer<Float>, dX: UnsafeMutablePointer<Float>,
                               dA: UnsafeMutablePointer<Float>, dB: UnsafeMutablePointer<Float>,
                               rows: Int, inFeatures: Int, outFeatures: Int, rank: Int, accumulate: Bool = true) {
    linearInputBackward(weight: weight, dY: dY, dX: dX, rows: rows, inFeatures: inFeatures, outFeatures: outFeatures,
                        accumulate: accumulate)
    loraAdapterBackward(x: x, a: a, b: b, scale: scale, hidden: hidden, dY: dY, dHidden: dHidden, dX: dX, dA: dA, dB: dB,
                        rows: rows, inFeatures: inFeatures, outFeatures: outFeatures, rank: rank)
}

/// Backward of ``loraAdapterForward(x:a:b:scale:hidden:y:rows:inFeatures:outFeatures:rank:)``, the base
/// layer's input gradient being the caller's: `dHidden = scale * dY B` ([rows, rank], scratch,
/// overwritten); `dB += scale * dY^T hidden`; `dA += dHidden^T x`; `dX += dHidden A`.
///
/// x: [rows, inFeatures]; a, dA: [rank, inFeatures]; b, dB: [outFeatures, rank]; hidden: the
/// forward's [rows, rank]; dY: [rows, outFeatures]; dX: [rows, inFeatures], added to.
public func loraAdapterBackward(x: UnsafePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>, scale: Float,
                                hidden: UnsafePointer<Float>, dY: UnsafePointer<Float>,
                                dHidden: UnsafeMutablePointer<Float>, dX: UnsafeMutablePointer<Float>,
                                dA: UnsafeMutablePointer<Float>, dB: UnsafeMutablePointer<Float>,
                                rows: Int, inFeatures: Int, outFeatures: Int, rank: Int) {
    // dHidden = scale * dY B: [rows, outFeatures] x [outFeatures, rank]
    sgemm(.none, .none, m: rows, n: rank, k: outFeatures, alpha: scale,
          a: dY, lda: outFeatures, b: b, ldb: rank, beta: 0, c: dHidden, ldc: rank)
    // dB += scale * dY^T hidden: [outFeatures, rows] x [rows, rank]
    sgemm(.transposed, .none, m: outFeatures, n: rank, k: rows, alpha: scale,
          a: dY, lda: outFeatures, b: hidden, ldb: rank, beta: 1, c: dB, ldc: rank)
    // dA += dHidden^T x: [rank, rows] x [rows, inFeatures]
    sgemm(.transposed, .none, m: rank, n: inFeatures, k: rows,
          a: dHidden, lda: rank, b: x, ldb: inFeatures, beta: 1, c: dA, ldc: inFeatures)
    // dX += dHidden A
    sgemm(.none, .none, m: rows, n: inFeatures, k: rank,
          a: dHidden, lda: rank, b: a, ldb: inFeatures, beta: 1, c: dX, ldc: inFeatures)
}

/// Folds an adapter into its frozen weight, as PEFT's `merge_and_unload`: `W += scale * B A`, after
/// which ``linearForward(x:weight:y:rows:inFeatures:outFeatures:accumulate:)`` with W alone gives
/// ``loraLinearForward(x:weight:a:b:scale:hidden:y:rows:inFeatures:outFeatures:rank:accumulate:)``'s output
/// up to rounding.
///
/// weight: [outFeatures, inFeatures], added to; a: [rank, inFeatures]; b: [outFeatures, rank].
public func loraMerge(weight: UnsafeMutablePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                      scale: Float, inFeatures: Int, outFeatures: Int, rank: Int) {
    // W += scale * B A: [outFeatures, rank] x [rank, inFeatures]
    sgemm(.none, .none, m: outFeatures, n: inFeatures, k: rank, alpha: scale,
          a: b, lda: rank, b: a, ldb: inFeatures, beta: 1, c: weight, ldc: inFeatures)
}
