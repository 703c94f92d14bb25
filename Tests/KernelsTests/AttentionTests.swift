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
                       let out = FlatBuffer(count: q.count)
                       attentionForward(q: inputs[0].pointer, k: inputs[1].pointer, v: inputs[2].pointer, keyMask: mask,
                                        probs: probs.pointer, out: out.pointer,
                                        batch: batch, seq: seq, heads: heads, kvHeads: kvHeads, headDim: headDim)
                       attentionBackward(q: inputs[0].pointer, k: inputs[1].pointer, v: inputs[2].pointer,
                                         probs: probs.pointer, dOut: dOut.pointer,
                                         dQ: grads[0].pointer, dK: grads[1].pointer, dV: grads[2].pointer,
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

/// Threads share (sequence, key/value head) pairs bit for bit, for all queries and for the last 9
/// (the compact pass), which match the reference, on every path this CPU runs (several key
/// panels and a partial value panel: seq 70, headDim 72); a pass that keeps no probabilities
/// gives the same outputs bit for bit.
@Test(arguments: KernelPath.available)
func attentionForwardThreadsBitForBit(path: KernelPath) {
    let batch = 3, seq = 70, heads = 4, kvHeads = 2, headDim = 72, queries = 9
    let mask: [UInt8] = (0..<(batch * seq)).map { $0 % seq < 3 && $0 >= seq ? 0 : 1 }
    let q = randomValues(batch * seq * heads * headDim, seed: 70)
    let k = randomValues(batch * seq * kvHeads * headDim, seed: 71)
    let v = randomValues(batch * seq * kvHeads * headDim, seed: 72)
    let expected = referenceAttention(q: q.map(Double.init), k: k.map(Double.init), v: v.map(Double.init), mask: mask,
                                      batch: batch, seq: seq, heads: heads, kvHeads: kvHeads, headDim: headDim)
    func run(threads: Int, keepsProbabilities: Bool = true) -> (out: [Float], compact: [Float]) {
        let kept = FlatBuffer(count: batch * heads * seq * seq)
        let probs = keepsProbabilities ? kept.pointer : nil
        let out = FlatBuffer(count: q.count), compact = FlatBuffer(count: batch * queries * heads * headDim)
        // The last `queries` query rows of every sequence.
        let lastQueries = lastRows(q, of: batch, seq: seq, count: queries, width: heads * headDim)
        BLAS.singleThreaded {
            attentionForward(q: q, k: k, v: v, keyMask: mask, probs: probs, out: out.pointer, batch: batch,
                             queries: seq, seq: seq, heads: heads, kvHeads: kvHeads, headDim: headDim, threads: threads,
                             path: path)
            attentionForward(q: lastQueries, k: k, v: v, keyMask: mask, probs: probs, out: compact.pointer,
                             batch: batch, queries: queries, seq: seq, heads: heads, kvHeads: kvHeads, headDim: headDim,
                             threads: threads, path: path)
        }
        return (out.array, compact.array)
    }
    let one = run(threads: 1)
    #expect(relativeError(one.out, expected) < 1e-5)
    let expectedCompact = lastRows(expected, of: batch, seq: seq, count: queries, width: heads * headDim)
    #expect(relativeError(one.compact, expectedCompact) < 1e-5)
    let three = run(threads: 3)
    #expect(three.out == one.out && three.compact == one.compact)
    let unkept = run(threads: 2, keepsProbabilities: false)
    #expect(unkept.out == one.out && unkept.compact == one.compact)
}

/// A sequence whose every key is padding gets all-zero probabilities and outputs; the padding keys
/// of the other get probability exactly 0; every path this CPU runs.
@Test(arguments: KernelPath.available)
func attentionOverPaddingKeys(path: KernelPath) {
    let batch = 2, seq = 11, heads = 2, headDim = 16
    let mask: [UInt8] = (0..<(batch * seq)).map { $0 < seq || $0 % seq < 4 ? 0 : 1 }
    let q = randomValues(batch * seq * heads * headDim, seed: 77)
    let k = randomValues(q.count, seed: 78), v = randomValues(q.count, seed: 79)
    let probs = FlatBuffer(count: batch * heads * seq * seq), out = FlatBuffer(count: q.count)
    probs.pointer.update(repeating: .nan, count: probs.count)
    attentionForward(q: q, k: k, v: v, keyMask: mask, probs: probs.pointer, out: out.pointer, batch: batch, queries: seq,
                     seq: seq, heads: heads, kvHeads: heads, headDim: headDim, path: path)
    let firstSequence = heads * seq * seq
    #expect(probs.array[..<firstSequence].allSatisfy { $0 == 0 } && out.array[..<(q.count / 2)].allSatisfy { $0 == 0 })
    let second = Array(probs.array[firstSequence...])
    #expect((0..<(heads * seq)).allSatisfy { row in (0..<4).allSatisfy { second[row * seq + $0] == 0 } })
    let expected = referenceAttention(q: q.map(Double.init), k: k.map(Double.init), v: v.map(Double.init), mask: mask,
                                      batch: batch, seq: seq, heads: heads, kvHeads: heads, headDim: headDim)
    #expect(relativeError(Array(out.array[(q.count / 2)...]), Array(expected[(q.count / 2)...])) < 1e-5)
}

/// A NaN in one query makes that query's probabilities and output NaN, and a NaN in one key makes
/// every query's (a NaN score never becomes probability 0), on every path.
@Test(arguments: KernelPath.available)
func attentionPropagatesNaN(path: KernelPath) {
    let seq = 10, headDim = 16
    func attention(nanInQuery: Bool) -> (probs: [Float], out: [Float]) {
        var q = randomValues(seq * headDim, seed: 80), k = randomValues(seq * headDim, seed: 81)
        if nanInQuery { q[3 * headDim + 5] = .nan } else { k[6 * headDim + 2] = .nan }
        let v = randomValues(q.count, seed: 82)
        let probs = FlatBuffer(count: seq * seq), out = FlatBuffer(count: q.count)
        attentionForward(q: q, k: k, v: v, keyMask: nil, probs: probs.pointer, out: out.pointer, batch: 1, queries: seq,
                         seq: seq, heads: 1, kvHeads: 1, headDim: headDim, path: path)
        return (probs.array, out.array)
    }
    let query = attention(nanInQuery: true)
    #expect(query.probs[(3 * seq)..<(4 * seq)].allSatisfy(\.isNaN) && query.out[(3 * headDim)..<(4 * headDim)].allSatisfy(\.isNaN))
    #expect(query.probs[..<(3 * seq)].allSatisfy(\.isFinite) && query.out[(4 * headDim)...].allSatisfy(\.isFinite))
    let key = attention(nanInQuery: false)
    #expect(key.probs.allSatisfy(\.isNaN) && key.out.allSatisfy(\.isNaN))
}

/// The last `count` rows of each of the `batch` sequences of `seq` rows of `width` values in `x`.
func lastRows<T>(_ x: [T], of batch: Int, seq: Int, count: Int, width: Int) -> [T] {
    var rows: [T] = []
    for b in 0..<batch {
        let end = (b + 1) * seq * width
        rows += x[(end - count * width)..<end]
    }
    return rows
}

/// The backward's gradients are the same bit for bit whatever the number of threads sharing its
/// (sequence, key/value head) pairs.
@Test func attentionBackwardThreadsBitForBit() {
    let batch = 2, seq = 21, heads = 4, kvHeads = 2, headDim = 8
    let q = randomValues(batch * seq * heads * headDim, seed: 73)
    let k = randomValues(batch * seq * kvHeads * headDim, seed: 74)
    let v = randomValues(batch * seq * kvHeads * headDim, seed: 75)
    let dOut = randomValues(q.count, seed: 76)
    let probs = FlatBuffer(count: batch * heads * seq * seq), out = FlatBuffer(count: q.count)
    attentionForward(q: q, k: k, v: v, keyMask: nil, probs: probs.pointer, out: out.pointer, batch: batch, seq: seq,
                     heads: heads, kvHeads: kvHeads, headDim: headDim)
    func gradients(threads: Int) -> [[Float]] {
        let dQ = FlatBuffer(count: q.count), dK = FlatBuffer(count: k.count), dV = FlatBuffer(count: v.count)
        BLAS.singleThreaded {
            attentionBackward(q: q, k: k, v: v, probs: probs.pointer, dOut: dOut, dQ: dQ.pointer, dK: dK.pointer,
                              dV: dV.pointer, batch: batch, seq: seq, heads: heads, kvHeads: kvHeads, headDim: headDim,
                              threads: threads)
        }
        return [dQ.array, dK.array, dV.array]
    }
    let one = gradients(threads: 1)
    #expect(one.allSatisfy { $0.contains { $0 != 0 } })
    #expect(gradients(threads: 4) == one)
}
