import Base
import Kernels
import Testing

/// The element-wise steps a pass shares among its threads (SwiGLU, RMSNorm, rotary) give the
/// one-thread result bit for bit, on sizes large enough to be split (above 16,384 elements, 16 rows).
@Suite struct ElementwiseThreadsTests {
    static let rows = 67, width = 520

    @Test func swigluSharesGiveTheOneThreadResult() {
        let count = Self.rows * Self.width
        let gate = randomValues(count, seed: 80, scale: 3), up = randomValues(count, seed: 81), dOut = randomValues(count, seed: 82)
        func run(_ threads: Int) -> [[Float]] {
            let out = FlatBuffer(count: count), dGate = FlatBuffer(randomValues(count, seed: 83))
            let dUp = FlatBuffer(randomValues(count, seed: 84))
            swigluForward(gate: gate, up: up, out: out.pointer, count: count, threads: threads)
            swigluBackward(gate: gate, up: up, dOut: dOut, dGate: dGate.pointer, dUp: dUp.pointer, count: count,
                           threads: threads)
            return [out.array, dGate.array, dUp.array]
        }
        let one = run(1)
        #expect(one[0].allSatisfy { $0 != 0 })
        #expect(run(3) == one)
    }

    @Test func rmsnormSharesGiveTheOneThreadResult() {
        let x = randomValues(Self.rows * Self.width, seed: 85), weight = randomValues(Self.width, seed: 86)
        func run(_ threads: Int) -> [[Float]] {
            let y = FlatBuffer(count: x.count), rstd = FlatBuffer(count: Self.rows)
            rmsnormForward(x: x, weight: weight, y: y.pointer, rstd: rstd.pointer, rows: Self.rows, dim: Self.width,
                           eps: 1e-5, threads: threads)
            return [y.array, rstd.array]
        }
        let one = run(1)
        #expect(one[1].allSatisfy { $0 > 0 })
        #expect(run(3) == one)
    }

    @Test func rotarySharesGiveTheOneThreadResult() {
        let (batch, seq, heads, headDim) = (3, 23, 4, 16)
        let half = headDim / 2
        let cos = FlatBuffer(count: seq * half), sin = FlatBuffer(count: seq * half)
        rotaryTables(cos: cos.pointer, sin: sin.pointer, seq: seq, headDim: headDim, theta: 10_000)
        let x = randomValues(batch * seq * heads * headDim, seed: 87), dY = randomValues(x.count, seed: 88)
        func run(_ threads: Int) -> [[Float]] {
            let y = FlatBuffer(count: x.count), dX = FlatBuffer(randomValues(x.count, seed: 89))
            rotaryForward(x: x, y: y.pointer, cos: cos.pointer, sin: sin.pointer, batch: batch, seq: seq, heads: heads,
                          headDim: headDim, threads: threads)
            rotaryBackward(dY: dY, dX: dX.pointer, cos: cos.pointer, sin: sin.pointer, batch: batch, seq: seq,
                           heads: heads, headDim: headDim, threads: threads)
            return [y.array, dX.array]
        }
        let one = run(1)
        #expect(run(3) == one)
    }
}
