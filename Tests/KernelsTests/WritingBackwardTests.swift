import Base
import Kernels
import Testing

/// The backward kernels that can write their gradients instead of accumulating them
/// (`accumulate: false`, so that the model's backward zeroes nothing first): the written result is
/// bit for bit the accumulating one started from zeros, and ignores what the buffers held (NaN here).
struct WritingBackwardTests {
    /// Runs `backward` into buffers of the given sizes, filled with `start` before.
    private func run(_ counts: [Int], start: Float, _ backward: ([FlatBuffer]) -> Void) -> [[Float]] {
        let buffers = counts.map { FlatBuffer([Float](repeating: start, count: $0)) }
        backward(buffers)
        return buffers.map(\.array)
    }

    /// Grouped heads (two query heads per key/value head): dK and dV are written by a group's first head.
    @Test func attention() {
        let batch = 2, seq = 13, heads = 4, kvHeads = 2, headDim = 8
        let q = randomValues(batch * seq * heads * headDim, seed: 90)
        let k = randomValues(batch * seq * kvHeads * headDim, seed: 91)
        let v = randomValues(k.count, seed: 92), dOut = randomValues(q.count, seed: 93)
        let probs = FlatBuffer(count: batch * heads * seq * seq), out = FlatBuffer(count: q.count)
        attentionForward(q: q, k: k, v: v, keyMask: nil, probs: probs.pointer, out: out.pointer, batch: batch, seq: seq,
                         heads: heads, kvHeads: kvHeads, headDim: headDim)
        func gradients(start: Float, accumulate: Bool) -> [[Float]] {
            run([q.count, k.count, v.count], start: start) { g in
                attentionBackward(q: q, k: k, v: v, probs: probs.pointer, dOut: dOut, dQ: g[0].pointer, dK: g[1].pointer,
                                  dV: g[2].pointer, batch: batch, seq: seq, heads: heads, kvHeads: kvHeads,
                                  headDim: headDim, accumulate: accumulate)
            }
        }
        let accumulated = gradients(start: 0, accumulate: true)
        #expect(accumulated.allSatisfy { $0.contains { $0 != 0 } })
        #expect(gradients(start: .nan, accumulate: false) == accumulated)
    }

    @Test func rotary() {
        let batch = 2, seq = 5, heads = 3, headDim = 32, half = headDim / 2
        let cos = FlatBuffer(randomValues(seq * half, seed: 94)), sin = FlatBuffer(randomValues(seq * half, seed: 95))
        let dY = randomValues(batch * seq * heads * headDim, seed: 96)
        func gradient(start: Float, accumulate: Bool) -> [[Float]] {
            run([dY.count], start: start) { g in
                rotaryBackward(dY: dY, dX: g[0].pointer, cos: cos.pointer, sin: sin.pointer, batch: batch, seq: seq,
                               heads: heads, headDim: headDim, accumulate: accumulate)
            }
        }
        #expect(gradient(start: .nan, accumulate: false) == gradient(start: 0, accumulate: true))
    }

    /// Every path this CPU runs, with a partial last vector.
    @Test(arguments: KernelPath.available)
    func swiglu(path: KernelPath) {
        let count = 45
        let gate = randomValues(count, seed: 97, scale: 6), up = randomValues(count, seed: 98)
        let dOut = randomValues(count, seed: 99)
        func gradients(start: Float, accumulate: Bool) -> [[Float]] {
            run([count, count], start: start) { g in
                swigluBackward(gate: gate, up: up, dOut: dOut, dGate: g[0].pointer, dUp: g[1].pointer, count: count,
                               path: path, accumulate: accumulate)
            }
        }
        #expect(gradients(start: .nan, accumulate: false) == gradients(start: 0, accumulate: true))
    }
}
