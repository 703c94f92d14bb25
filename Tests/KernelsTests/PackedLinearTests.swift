import Base
import Kernels
import Testing

/// `x` rounded to the nearest even bfloat16, as a Double.
private func bf16(_ x: Float) -> Double {
    Double(Float(bitPattern: UInt32(bfloat16Bits(x.bitPattern)) << 16))
}

/// The precisions this CPU runs packed products in.
private let supported = ProductPrecision.allCases.filter(\.isSupported)

/// `weight` ([outFeatures, inFeatures]) packed in `precision`.
private func packed(_ precision: ProductPrecision, _ weight: FlatBuffer, outFeatures: Int, inFeatures: Int) -> any PackedMatrix {
    switch precision {
    case .f32: F32PackedMatrix(weight: weight.pointer, outFeatures: outFeatures, inFeatures: inFeatures)
    case .bf16: BF16PackedMatrix(f32: weight.pointer, outFeatures: outFeatures, inFeatures: inFeatures)
    }
}

/// `x W^T` ([rows, outFeatures]) from a fresh output buffer.
private func product(_ weight: any PackedMatrix, _ x: FlatBuffer, rows: Int, threads: Int = 1) -> [Float] {
    let y = FlatBuffer(count: rows * weight.outFeatures)
    weight.product(x: x.pointer, y: y.pointer, rows: rows, adding: .none, threads: threads)
    return y.array
}

@Suite(.enabled(if: !supported.isEmpty, "this CPU runs no packed products (no AVX-512)"))
struct PackedLinearTests {
    /// Shapes with every tail: every remainder of rows after the 6-row tiles, rows beyond the 96-row block, an odd
    /// input width (bf16 pads it), widths above bf16's 256-wide k block and above the F32 kernel's
    /// 768 (cut into equal blocks), outputs not a multiple of 16 or 64: a last panel of every width in
    /// vectors of 16 (1 to 4: 70, 17, 110, 60).
    static let shapes = [(rows: 1, inFeatures: 1, outFeatures: 1), (11, 13, 70), (9, 300, 129), (100, 256, 64),
                         (6, 2, 65), (97, 515, 17), (20, 1601, 80), (101, 40, 130), (7, 33, 110), (13, 70, 60)]

    /// The product equals a Double product of the inputs (rounded to bfloat16 for `bf16`) up to F32
    /// summation error (the products of two bfloat16 values are exact in F32), added to nothing, to
    /// the output's values, or to a residual matrix (the output's values then ignored: NaN here).
    @Test(arguments: supported, ["none", "output", "residual"])
    func productOfTheInputs(precision: ProductPrecision, addend: String) {
        let accumulate = addend != "none"
        func round(_ value: Float) -> Double { precision == .bf16 ? bf16(value) : Double(value) }
        for (rows, inFeatures, outFeatures) in Self.shapes {
            let x = randomValues(rows * inFeatures, seed: 40), w = randomValues(outFeatures * inFeatures, seed: 41)
            let start = randomValues(rows * outFeatures, seed: 42)
            var expected = [Double](repeating: 0, count: rows * outFeatures)
            var scale = [Double](repeating: 0, count: rows * outFeatures)
            for i in 0..<rows {
                for j in 0..<outFeatures {
                    for p in 0..<inFeatures {
                        let term = round(x[i * inFeatures + p]) * round(w[j * inFeatures + p])
                        expected[i * outFeatures + j] += term
                        scale[i * outFeatures + j] += abs(term)
                    }
                    if accumulate {
                        expected[i * outFeatures + j] += Double(start[i * outFeatures + j])
                        scale[i * outFeatures + j] += abs(Double(start[i * outFeatures + j]))
                    }
                }
            }
            let weight = packed(precision, FlatBuffer(w), outFeatures: outFeatures, inFeatures: inFeatures)
            let xb = FlatBuffer(x), residual = FlatBuffer(start)
            let yb = addend == "residual" ? FlatBuffer([Float](repeating: .nan, count: start.count)) : FlatBuffer(start)
            weight.product(x: xb.pointer, y: yb.pointer, rows: rows,
                           adding: addend == "residual" ? .matrix(residual.pointer) : ProductAddend(accumulate: accumulate),
                           threads: 1)
            #expect(residual.array == start && !yb.array.contains(where: \.isNaN))
            var worst = 0.0
            for i in expected.indices {
                // F32 products are rounded too: one more unit roundoff per term.
                let bound = 1.2e-7 * Double(inFeatures + 3) * scale[i] + 1e-30  // 2 x unit roundoff x terms x sum of |terms|
                worst = max(worst, abs(Double(yb.pointer[i]) - expected[i]) / bound)
            }
            let shape = "[\(rows), \(inFeatures)] x [\(outFeatures), \(inFeatures)]^T"
            #expect(worst <= 1, "\(precision) \(shape), adding \(addend): error \(worst) x the F32 summation bound")
        }
    }

    /// Bfloat16 weights pack as they are: the same product as their F32 widening.
    @Test(.enabled(if: ProductPrecision.bf16.isSupported, "this CPU has no AVX512_BF16"))
    func bf16WeightsPackLikeTheirWidening() {
        let (rows, inFeatures, outFeatures) = (9, 33, 70)
        let w = randomValues(outFeatures * inFeatures, seed: 43).map { bfloat16Bits($0.bitPattern) }
        let widened = FlatBuffer(w.map { Float(bitPattern: UInt32($0) << 16) })
        let fromBF16 = w.withUnsafeBufferPointer { BF16PackedMatrix(bf16: $0.baseAddress!, outFeatures: outFeatures, inFeatures: inFeatures) }
        let fromF32 = BF16PackedMatrix(f32: widened.pointer, outFeatures: outFeatures, inFeatures: inFeatures)
        let x = FlatBuffer(randomValues(rows * inFeatures, seed: 44))
        #expect(product(fromBF16, x, rows: rows) == product(fromF32, x, rows: rows))
    }

    /// Three threads share the rows: the same numbers as one thread, bit for bit.
    @Test(arguments: supported)
    func threadsGiveTheOneThreadResult(precision: ProductPrecision) {
        let (rows, inFeatures, outFeatures) = (50, 40, 300)
        let weight = packed(precision, FlatBuffer(randomValues(outFeatures * inFeatures, seed: 45)),
                            outFeatures: outFeatures, inFeatures: inFeatures)
        let x = FlatBuffer(randomValues(rows * inFeatures, seed: 46))
        #expect(product(weight, x, rows: rows, threads: 3) == product(weight, x, rows: rows, threads: 1))
    }
}
