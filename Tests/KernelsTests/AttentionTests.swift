import Base
import Foundation
import Kernels
import Testing

/// Bidirectional grouped-query attention in Double with a key padding mask.
/// q: [batch * seq, heads * headDim]; k, v: [batch * seq, kvHeads * headDim]; mask: [batch * seq].
func referenceAttention(q: [Double], k: [Double], v: [Double], mask: [UInt8], batch: Int, seq: Int,
                        heads: Int, kvHeads: Int, headDim: Int) -> [Double] {
    var out = [Double](repeating: 0, count: batch * seq * heads * headDim)
    let scale = 1 / Double(headDim).squareRoot()
    for b in 0..<batch {
        for h in 0..<heads {
            let g = h / (heads / kvHeads)
            for i in 0..<seq {
                var scores = [Double](repeating: -.infinity, count: seq)
                for j in 0..<seq where mask[b * seq + j] != 0 {
                    var s = 0.0
                    for d in 0..<headDim {
                        s += q[((b * seq + i) * heads + h) * headDim + d] * k[((b * seq + j) * kvHeads + g) * headDim + d]
                    }
                    scores[j] = s * scale
                }
                let m = scores.max()!
                let weights = scores.map { exp($0 - m) }
                let total = weights.reduce(0, +)
                for j in 0..<seq where mask[b * seq + j] != 0 {
                    for d in 0..<headDim {
                        out[((b * seq + i) * heads + h) * headDim + d] +=
                            weights[j] / total * v[((b * seq + j) * kvHeads + g) * headDim + d]
                    }
                }
            }
        }
    }
    return out
}

@Test(arguments: [(4, 4), (4, 2), (6, 1)])
func attentionForwardAndBackward(heads: Int, kvHeads: Int) {
    let batch = 2, seq = 19, headDim = 4
    // The second sequence ends in four padding keys.
    let mask: [UInt8] = (0..<(batch * seq)).map { $0 >= 2 * seq - 4 ? 0 : 1 }
    let q = randomValues(batch * seq * heads * headDim, seed: 60, scale: 2)
    let k = randomValues(batch * seq * kvHeads * headDim, seed: 61, scale: 2)
    let v = randomValues(batch * seq * kvHeads * headDim, seed: 62)
    func reference(_ x: [[Double]]) -> [Double] {
        referenceAttention(q: x[0], k: x[1], v: x[2], mask: mask, batch: batch, seq: seq,
                           heads: heads, kvHeads: kvHeads, headDim: headDim)
    }
    let probs = FlatBuffer(count: batch * heads * seq * seq)
    let out = FlatBuffer(count: q.count)
    attentionForward(q: q, k: k, v: v, keyMask: mask,
                     probs: probs.pointer, out: out.pointer,
                     batch: batch, seq: seq, heads: heads, kvHeads: kvHeads, headDim: headDim)
    #expect(relativeError(out.array, reference([q, k, v].map { $0.map(Double.init) })) < 1e-5)
    // Padding keys get probability exactly 0.
    let paddedKey = seq - 1
    #expect((0..<seq).allSatisfy { probs.pointer[((1 * heads) * seq + $0) * seq + paddedKey] == 0 })

    checkGradients(inputs: [q, k, v], wrt: [0, 1, 2], names: ["q", "k", "v"], seed: 63,
                   reference: reference,
                   backward: { inputs, dOut, grads in
                       let probs = FlatBuffer(count: batch * heads * seq * seq)
                       let out = FlatBuffer(count: q.count), scratch = FlatBuffer(count: seq * seq)
                       attentionForward(q: inputs[0].pointer, k: inputs[1].pointer, v: inputs[2].pointer, keyMask: mask,
                                        probs: probs.pointer, out: out.pointer,
                                        batch: batch, seq: seq, heads: heads, kvHeads: kvHeads, headDim: headDim)
                       attentionBackward(q: inputs[0].pointer, k: inputs[1].pointer, v: inputs[2].pointer,
                                         probs: probs.pointer, dOut: dOut.pointer,
                                         dQ: grads[0].pointer, dK: grads[1].pointer, dV: grads[2].pointer,
                                         scratch: scratch.pointer,
                                         batch: batch, seq: seq, heads: heads, kvHeads: kvHeads, headDim: headDim)
                   })
}

@Test func attentionWithoutMaskEqualsAllRealMask() {
    let batch = 1, seq = 20, heads = 2, headDim = 8
    let q = FlatBuffer(randomValues(seq * heads * headDim, seed: 64))
    let k = FlatBuffer(randomValues(seq * heads * headDim, seed: 65))
    let v = FlatBuffer(randomValues(seq * heads * headDim, seed: 66))
    let ones = [UInt8](repeating: 1, count: seq)
    let probs = FlatBuffer(count: heads * seq * seq)
    let a = FlatBuffer(count: q.count), b = FlatBuffer(count: q.count)
    attentionForward(q: q.pointer, k: k.pointer, v: v.pointer, keyMask: nil, probs: probs.pointer, out: a.pointer,
                     batch: batch, seq: seq, heads: heads, kvHeads: heads, headDim: headDim)
    attentionForward(q: q.pointer, k: k.pointer, v: v.pointer, keyMask: ones, probs: probs.pointer, out: b.pointer,
                     batch: batch, seq: seq, heads: heads, kvHeads: heads, headDim: headDim)
    #expect(a.array == b.array)
}
