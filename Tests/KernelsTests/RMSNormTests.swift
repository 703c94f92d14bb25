import Base
import Kernels
import Testing

/// RMSNorm in Double; x: [rows, dim], w: [dim].
func referenceRMSNorm(_ x: [Double], _ w: [Double], rows: Int, dim: Int, eps: Double) -> [Double] {
    var y = [Double](repeating: 0, count: rows * dim)
    for r in 0..<rows {
        var ss = 0.0
        for j in 0..<dim { ss += x[r * dim + j] * x[r * dim + j] }
        let s = 1 / (ss / Double(dim) + eps).squareRoot()
        for j in 0..<dim { y[r * dim + j] = x[r * dim + j] * s * w[j] }
    }
    return y
}

@Test(arguments: [5, 16, 37])
func rmsnormForwardAndBackward(dim: Int) {
    let rows = 3, eps: Float = 1e-5
    let x = randomValues(rows * dim, seed: 40), w = randomValues(dim, seed: 41, scale: 2)
    let y = FlatBuffer(count: rows * dim), rstd = FlatBuffer(count: rows)
    rmsnormForward(x: x, weight: w, y: y.pointer, rstd: rstd.pointer,
                   rows: rows, dim: dim, eps: eps)
    let expected = referenceRMSNorm(x.map(Double.init), w.map(Double.init), rows: rows, dim: dim, eps: Double(eps))
    #expect(relativeError(y.array, expected) < 1e-6)

    checkGradients(inputs: [x, w], wrt: [0, 1], names: ["x", "weight"], seed: 42,
                   reference: { referenceRMSNorm($0[0], $0[1], rows: rows, dim: dim, eps: Double(eps)) },
                   backward: { inputs, dOut, grads in
                       let y = FlatBuffer(count: rows * dim), rstd = FlatBuffer(count: rows)
                       rmsnormForward(x: inputs[0].pointer, weight: inputs[1].pointer, y: y.pointer, rstd: rstd.pointer,
                                      rows: rows, dim: dim, eps: eps)
                       rmsnormBackward(x: inputs[0].pointer, weight: inputs[1].pointer, rstd: rstd.pointer,
                                       dY: dOut.pointer, dX: grads[0].pointer, dWeight: grads[1].pointer,
                                       rows: rows, dim: dim)
                   })
}
