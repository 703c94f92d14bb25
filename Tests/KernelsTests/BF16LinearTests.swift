import Base
import Kernels
import Testing

/// `x` rounded to the nearest even bfloat16, as a Double.
private func bf16(_ x: Float) -> Double {
    Double(Float(bitPattern: UInt32(bfloat16Bits(x.bitPattern)) << 16))
}

@Suite(.enabled(if: BF16Products.isSupported, "this CPU has no AVX512_BF16"))
struct BF16LinearTests {
    /// Shapes with every tail: rows not a multiple of the 6-row tile or the 96-row block, an odd
    /// input width (padded), widths above the 256-wide k block, outputs not a multiple of 16 or 64.
    static let shapes = [(rows: 1, inFeatures: 1, outFeatures: 1), (7, 13, 70), (13, 300, 129), (100, 256, 64),
                         (6, 2, 65), (97, 515, 17)]

    /// The product equals a Double product of the bfloat16-rounded inputs up to F32 summation error
    /// (the products of two bfloat16 values are exact in F32).
    @Test(arguments: shapes, [false, true])
    func productOfRoundedInputs(shape: (rows: Int, inFeatures: Int, outFeatures: Int), accumulate: Bool) {
        let (rows, inFeatures, outFeatures) = shape
        let x = randomValues(rows * inFeatures, seed: 40), w = randomValues(outFeatures * inFeatures, seed: 41)
        let start = randomValues(rows * outFeatures, seed: 42)
        var expected = [Double](repeating: 0, count: rows * outFeatures)
        var scale = [Double](repeating: 0, count: rows * outFeatures)
        for i in 0..<rows {
            for j in 0..<outFeatures {
                for p in 0..<inFeatures {
                    let term = bf16(x[i * inFeatures + p]) * bf16(w[j * inFeatures + p])
                    expected[i * outFeatures + j] += term
                    scale[i * outFeatures + j] += abs(term)
                }
                if accumulate {
                    expected[i * outFeatures + j] += Double(start[i * outFeatures + j])
                    scale[i * outFeatures + j] += abs(Double(start[i * outFeatures + j]))
                }
            }
        }
        let weight = FlatBuffer(w)
        let packed = BF16PackedMatrix(f32: weight.pointer, outFeatures: outFeatures, inFeatures: inFeatures)
        let xb = FlatBuffer(x), yb = FlatBuffer(start)
        let scratch = [UInt16](repeating: 0xffff, count: BF16PackedMatrix.scratchCount(rows: rows, inFeatures: inFeatures))
        var worst = 0.0
        scratch.withUnsafeBufferPointer { s in
            bf16LinearForward(x: xb.pointer, weight: packed, y: yb.pointer, rows: rows, accumulate: accumulate,
                              scratch: UnsafeMutablePointer(mutating: s.baseAddress!))
        }
        for i in expected.indices {
            let bound = 1.2e-7 * Double(inFeatures + 2) * scale[i] + 1e-30  // 2 x unit roundoff x terms x sum of |terms|
            worst = max(worst, abs(Double(yb.pointer[i]) - expected[i]) / bound)
        }
        #expect(worst <= 1, "\(shape), accumulate \(accumulate): error \(worst) x the F32 summation bound")
    }

    /// Bfloat16 weights pack as they are: the same product as their F32 widening.
    @Test func bf16WeightsPackLikeTheirWidening() {
        let (rows, inFeatures, outFeatures) = (9, 33, 70)
        let w = randomValues(outFeatures * inFeatures, seed: 43).map { bfloat16Bits($0.bitPattern) }
        let widened = FlatBuffer(w.map { Float(bitPattern: UInt32($0) << 16) })
        let fromBF16 = w.withUnsafeBufferPointer { BF16PackedMatrix(bf16: $0.baseAddress!, outFeatures: outFeatures, inFeatures: inFeatures) }
        let fromF32 = BF16PackedMatrix(f32: widened.pointer, outFeatures: outFeatures, inFeatures: inFeatures)
        let x = FlatBuffer(randomValues(rows * inFeatures, seed: 44))
        func product(_ weight: BF16PackedMatrix) -> [Float] {
            let y = FlatBuffer(count: rows * outFeatures)
            var scratch = [UInt16](repeating: 0, count: BF16PackedMatrix.scratchCount(rows: rows, inFeatures: inFeatures))
            scratch.withUnsafeMutableBufferPointer {
                bf16LinearForward(x: x.pointer, weight: weight, y: y.pointer, rows: rows, accumulate: false, scratch: $0.baseAddress!)
            }
            return y.array
        }
        #expect(product(fromBF16) == product(fromF32))
    }

    /// Two threads share the output panels: the same numbers as one thread, bit for bit.
    @Test func twoThreadsGiveTheOneThreadResult() {
        let (rows, inFeatures, outFeatures) = (50, 40, 300)
        let weight = FlatBuffer(randomValues(outFeatures * inFeatures, seed: 45))
        let packed = BF16PackedMatrix(f32: weight.pointer, outFeatures: outFeatures, inFeatures: inFeatures)
        let x = FlatBuffer(randomValues(rows * inFeatures, seed: 46))
        func product(threads: Int) -> [Float] {
            let saved = BLAS.threads
            BLAS.setThreads(threads)
            defer { BLAS.setThreads(saved) }
            let y = FlatBuffer(count: rows * outFeatures)
            var scratch = [UInt16](repeating: 0, count: BF16PackedMatrix.scratchCount(rows: rows, inFeatures: inFeatures))
            scratch.withUnsafeMutableBufferPointer {
                bf16LinearForward(x: x.pointer, weight: packed, y: y.pointer, rows: rows, accumulate: false, scratch: $0.baseAddress!)
            }
            return y.array
        }
        #expect(product(threads: 2) == product(threads: 1))
    }
}
