import Base
import Foundation
import Kernels
import Testing

/// Rotary embedding in Double, written from docs/algorithm.md §1; x: [batch * seq, heads * headDim].
func referenceRotary(_ x: [Double], batch: Int, seq: Int, heads: Int, headDim: Int, theta: Double) -> [Double] {
    let half = headDim / 2
    var y = x
    for row in 0..<(batch * seq) {
        let position = Double(row % seq)
        for h in 0..<heads {
            let base = (row * heads + h) * headDim
            for i in 0..<headDim {
                let angle = position * pow(theta, -2.0 * Double(i % half) / Double(headDim))
                let rotated = i < half ? -x[base + i + half] : x[base + i - half]
                y[base + i] = x[base + i] * cos(angle) + rotated * sin(angle)
            }
        }
    }
    return y
}

@Test(arguments: [8, 40])
func rotaryForwardAndBackward(headDim: Int) {
    let batch = 2, seq = 5, heads = 3, theta = 10_000.0
    let half = headDim / 2
    let cosTable = FlatBuffer(count: seq * half), sinTable = FlatBuffer(count: seq * half)
    rotaryTables(cos: cosTable.pointer, sin: sinTable.pointer, seq: seq, headDim: headDim, theta: theta)
    let x = randomValues(batch * seq * heads * headDim, seed: 50)
    let expected = referenceRotary(x.map(Double.init), batch: batch, seq: seq, heads: heads, headDim: headDim, theta: theta)
    let y = FlatBuffer(x)
    rotaryForward(x: y.pointer, y: y.pointer, cos: cosTable.pointer, sin: sinTable.pointer,
                  batch: batch, seq: seq, heads: heads, headDim: headDim)
    #expect(relativeError(y.array, expected) < 1e-6)

    checkGradients(inputs: [x], wrt: [0], names: ["x"], seed: 51,
                   reference: { referenceRotary($0[0], batch: batch, seq: seq, heads: heads, headDim: headDim, theta: theta) },
                   backward: { _, dOut, grads in
                       rotaryBackward(dY: dOut.pointer, dX: grads[0].pointer, cos: cosTable.pointer, sin: sinTable.pointer,
                                      batch: batch, seq: seq, heads: heads, headDim: headDim)
                   })
}
