import COpenBLAS

/// Whether a matrix operand of ``sgemm(_:_:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` is used as stored or transposed.
public enum Transpose: Sendable {
    /// Use the matrix as stored.
    case none
    /// Use the transpose of the stored matrix.
    case transposed

    var cblas: CBLAS_TRANSPOSE {
        switch self {
        case .none: CblasNoTrans
        case .transposed: CblasTrans
        }
    }
}

/// Row-major single-precision matrix product through OpenBLAS: `C = alpha * op(A) * op(B) + beta * C`.
///
/// op(A): [m, k], op(B): [k, n], C: [m, n]. `lda`, `ldb`, `ldc` are the row strides of the matrices
/// as stored (so a head of a `[rows, heads * headDim]` tensor is a strided sub-matrix).
@inline(__always)
public func sgemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Float = 1,
                  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                  beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas, blasint(m), blasint(n), blasint(k),
                alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
}

/// A bias-free linear layer: `y = x W^T`, or `y += x W^T` when `accumulate`.
///
/// x: [rows, inFeatures]; weight: [outFeatures, inFeatures] (PyTorch layout); y: [rows, outFeatures].
public func linearForward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                          rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool = false) {
    sgemm(.none, .transposed, m: rows, n: outFeatures, k: inFeatures,
          a: x, lda: inFeatures, b: weight, ldb: inFeatures, beta: accumulate ? 1 : 0, c: y, ldc: outFeatures)
}

/// Backward of ``linearForward(x:weight:y:rows:inFeatures:outFeatures:accumulate:)``:
/// `dX += dY W` (or `dX = dY W` when `accumulate` is false, for a fresh scratch buffer) and
/// `dWeight += dY^T x` (always accumulated).
///
/// x: [rows, inFeatures]; weight, dWeight: [outFeatures, inFeatures]; dY: [rows, outFeatures];
/// dX: [rows, inFeatures].
public func linearBackward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dY: UnsafePointer<Float>,
                           dX: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
                           rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool = true) {
    linearInputBackward(weight: weight, dY: dY, dX: dX, rows: rows, inFeatures: inFeatures, outFeatures: outFeatures,
                        accumulate: accumulate)
    linearWeightBackward(x: x, dY: dY, dWeight: dWeight, rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
}

/// The weight half of ``linearBackward(x:weight:dY:dX:dWeight:rows:inFeatures:outFeatures:accumulate:)``:
/// `dWeight += dY^T x`.
///
/// x: [rows, inFeatures]; dY: [rows, outFeatures] with row stride `dYStride` (default
/// outFeatures: a column slice of a wider dY otherwise); dWeight: [outFeatures, inFeatures].
@inline(__always)
public func linearWeightBackward(x: UnsafePointer<Float>, dY: UnsafePointer<Float>, dYStride: Int? = nil,
                                 dWeight: UnsafeMutablePointer<Float>, rows: Int, inFeatures: Int, outFeatures: Int) {
    sgemm(.transposed, .none, m: outFeatures, n: inFeatures, k: rows,
          a: dY, lda: dYStride ?? outFeatures, b: x, ldb: inFeatures, beta: 1, c: dWeight, ldc: inFeatures)
}

/// The input half of ``linearBackward(x:weight:dY:dX:dWeight:rows:inFeatures:outFeatures:accumulate:)``, for
/// a frozen weight: `dX += dY W` (or `dX = dY W` when `accumulate` is false).
///
/// weight: [outFeatures, inFeatures]; dY: [rows, outFeatures]; dX: [rows, inFeatures].
@inline(__always)
public func linearInputBackward(weight: UnsafePointer<Float>, dY: UnsafePointer<Float>, dX: UnsafeMutablePointer<Float>,
                                rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool = true) {
    sgemm(.none, .none, m: rows, n: inFeatures, k: outFeatures,
          a: dY, lda: outFeatures, b: weight, ldb: inFeatures, beta: accumulate ? 1 : 0, c: dX, ldc: inFeatures)
}
