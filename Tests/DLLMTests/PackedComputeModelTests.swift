import DLLM
import Kernels
import TestSupport
import Testing

/// The precisions this CPU runs packed products in.
private let supported = ProductPrecision.allCases.filter(\.isSupported)

@Suite(.enabled(if: !supported.isEmpty, "this CPU runs no packed products (no AVX-512)"))
struct PackedComputeModelTests {
    /// Odd widths (padded input pairs), a head wider than one 64-column panel.
    static let config = ModelConfig(dModel: 24, nLayers: 2, nHeads: 4, nKVHeads: 2, mlpHidden: 37, vocabSize: 70,
                                    maxSeq: 16, maskTokenID: 1, eosTokenID: 0, padTokenID: 0)
    /// Two sequences of five tokens, the second with a padding key.
    private static let tokens: [Int32] = [2, 7, 69, 1, 1, 0, 5, 9, 3, 3]
    private static let mask: [UInt8] = [1, 1, 1, 1, 1, 0, 1, 1, 1, 1]

    private func logits(_ model: any ForwardModel, positions: Range<Int>? = nil) -> [Float] {
        let runner = ModelRunner(model: model)
        let out = positions.map { runner.logits(tokens: Self.tokens, keyMask: Self.mask, batch: 2, seq: 5, positions: $0) }
            ?? runner.logits(tokens: Self.tokens, keyMask: Self.mask, batch: 2, seq: 5)
        return Array(UnsafeBufferPointer(start: out, count: 10 * 70))
    }

    private func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
        let diff = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        let norm = b.reduce(0.0) { $0 + Double($1) * Double($1) }
        return (diff / norm).squareRoot()
    }

    /// F32 products: the plain forward's logits up to F32 rounding (another summation order).
    @Test(.enabled(if: ProductPrecision.f32.isSupported, "this CPU has no AVX-512"))
    func f32LogitsAreThoseOfThePlainForward() {
        let model = Model(config: Self.config, seed: 6)
        let difference = relativeDifference(logits(PackedComputeModel(model: model, precision: .f32)), logits(model))
        #expect(difference < 1e-6, "relative difference \(difference)")
    }

    /// Close to the F32 forward (bfloat16's 8-bit mantissa), and not equal to it: the products are
    /// really in bfloat16.
    @Test(.enabled(if: ProductPrecision.bf16.isSupported, "this CPU has no AVX512_BF16"))
    func bf16LogitsAreCloseToTheF32Forward() {
        let model = Model(config: Self.config, seed: 6)
        let difference = relativeDifference(logits(PackedComputeModel(model: model, precision: .bf16)), logits(model))
        #expect(difference > 1e-5 && difference < 2e-2, "relative difference \(difference)")
    }

    /// On weights already in bfloat16, a BF16Model's packing and a Model's give the same logits as
    /// far as the norm weights allow (the BF16Model widens them; the Model's are the same values).
    @Test(.enabled(if: ProductPrecision.bf16.isSupported, "this CPU has no AVX512_BF16"))
    func bf16StorageGivesTheSameLogits() {
        let model = roundToBFloat16(Model(config: Self.config, seed: 7))
        let fromF32 = logits(PackedComputeModel(model: model, precision: .bf16))
        let fromBF16 = logits(PackedComputeModel(bf16: BF16Model(model: model)))
        #expect(fromF32 == fromBF16)
    }

    /// A pass for some positions gives those rows of the full pass (every product is row by row).
    @Test(arguments: supported, [1..<3, 4..<5])
    func somePositionsMatchTheFullPass(precision: ProductPrecision, positions: Range<Int>) {
        let packed = PackedComputeModel(model: Model(config: Self.config, seed: 8), precision: precision)
        let full = logits(packed), part = logits(packed, positions: positions)
        var maxDiff: Float = 0
        for s in 0..<2 {
            for i in positions {
                for j in 0..<70 { maxDiff = max(maxDiff, abs(full[(s * 5 + i) * 70 + j] - part[(s * 5 + i) * 70 + j])) }
            }
        }
        #expect(maxDiff < 1e-5, "\(precision), positions \(positions): max abs difference \(maxDiff)")
    }

    /// With several BLAS threads the products share their rows among them: the logits of one
    /// thread, bit for bit.
    @Test(arguments: supported)
    func threadsGiveTheLogitsOfOne(precision: ProductPrecision) {
        let packed = PackedComputeModel(model: Model(config: Self.config, seed: 9), precision: precision)
        func logits(threads: Int) -> [Float] {
            let saved = BLAS.threads
            BLAS.setThreads(threads)
            defer { BLAS.setThreads(saved) }
            return self.logits(packed)
        }
        #expect(logits(threads: 3) == logits(threads: 1))
    }
}
