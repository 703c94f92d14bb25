import Base
import Kernels
import Testing

/// `C = alpha * op(A) op(B) + beta * C` in Double, row-major with row strides.
func referenceGEMM(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double, a: [Double], lda: Int,
                   b: [Double], ldb: Int, beta: Double, c: [Double], ldc: Int) -> [Double] {
    var out = c
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
                let av = transA ? a[p * lda + i] : a[i * lda + p]
                let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                s += av * bv
            }
            out[i * ldc + j] = alpha * s + beta * c[i * ldc + j]
        }
    }
    return out
}

@Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
func sgemmMatchesReference(transA: Bool, transB: Bool) {
    let m = 5, n = 7, k = 3
    let lda = (transA ? m : k) + 2, ldb = (transB ? k : n) + 1, ldc = n + 3
    let a = randomValues((transA ? k : m) * lda, seed: 10)
    let b = randomValues((transB ? n : k) * ldb, seed: 11)
    let c = randomValues(m * ldc, seed: 12)
    let expected = referenceGEMM(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5,
                                 a: a.map(Double.init), lda: lda, b: b.map(Double.init), ldb: ldb,
                                 beta: 2, c: c.map(Double.init), ldc: ldc)
    let (ab, bb, cb) = (FlatBuffer(a), FlatBuffer(b), FlatBuffer(c))
    sgemm(transA ? .transposed : .none, transB ? .transposed : .none, m: m, n: n, k: k, alpha: 0.5,
          a: ab.pointer, lda: lda, b: bb.pointer, ldb: ldb, beta: 2, c: cb.pointer, ldc: ldc)
    #expect(relativeError(cb.array, expected) < 1e-6)
}

/// `y = x W^T` in Double; x: [rows, in], w: [out, in].
func referenceLinear(_ x: [Double], _ w: [Double], rows: Int, inFeatures: Int, outFeatures: Int) -> [Double] {
    referenceGEMM(transA: false, transB: true, m: rows, n: outFeatures, k: inFeatures, alpha: 1, a: x, lda: inFeatures,
                  b: w, ldb: inFeatures, beta: 0, c: [Double](repeating: 0, count: rows * outFeatures), ldc: outFeatures)
}

@Test func linearForwardAndBackward() {
    let rows = 4, inF = 6, outF = 5
    let x = randomValues(rows * inF, seed: 20), w = randomValues(outF * inF, seed: 21)
    let y = FlatBuffer(randomValues(rows * outF, seed: 22))
    let before = y.array
    linearForward(x: x, weight: w, y: y.pointer,
                  rows: rows, inFeatures: inF, outFeatures: outF, accumulate: true)
    let expected = zip(referenceLinear(x.map(Double.init), w.map(Double.init), rows: rows, inFeatures: inF, outFeatures: outF),
                       before).map { $0 + Double($1) }
    #expect(relativeError(y.array, expected) < 1e-6)

    checkGradients(inputs: [x, w], wrt: [0, 1], names: ["x", "weight"], seed: 23,
                   reference: { referenceLinear($0[0], $0[1], rows: rows, inFeatures: inF, outFeatures: outF) },
                   backward: { inputs, dOut, grads in
                       linearBackward(x: inputs[0].pointer, weight: inputs[1].pointer, dY: dOut.pointer,
                                      dX: grads[0].pointer, dWeight: grads[1].pointer,
                                      rows: rows, inFeatures: inF, outFeatures: outF)
                   })
}
