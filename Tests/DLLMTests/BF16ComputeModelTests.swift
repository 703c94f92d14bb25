import DLLM
import Kernels
import TestSupport
import Testing

@Suite(.enabled(if: BF16ComputeModel.isSupported, "this CPU has no AVX512_BF16"))
struct BF16ComputeModelTests {
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

    /// Close to the F32 forward (bfloat16's 8-bit mantissa), and not equal to it: the products are
    /// really in bfloat16.
    @Test func logitsAreCloseToTheF32Forward() {
        let model = Model(config: Self.config, seed: 6)
        let difference = relativeDifference(logits(BF16ComputeModel(model: model)), logits(model))
        #expect(difference > 1e-5 && difference < 2e-2, "relative difference \(difference)")
    }

    /// On weights already in bfloat16, a BF16Model's packing and a Model's give the same logits as
    /// far as the norm weights allow (the BF16Model widens them; the Model's are the same values).
    @Test func bf16StorageGivesTheSameLogits() {
        let model = roundToBFloat16(Model(config: Self.config, seed: 7))
        let fromF32 = logits(BF16ComputeModel(model: model))
        let fromBF16 = logits(BF16ComputeModel(model: BF16Model(model: model)))
        #expect(fromF32 == fromBF16)
    }

    /// A pass for some positions gives those rows of the full pass (every product is row by row).
    @Test(arguments: [1..<3, 4..<5])
    func somePositionsMatchTheFullPass(positions: Range<Int>) {
        let packed = BF16ComputeModel(model: Model(config: Self.config, seed: 8))
        let full = logits(packed), part = logits(packed, positions: positions)
        var maxDiff: Float = 0
        for s in 0..<2 {
            for i in positions {
                for j in 0..<70 { maxDiff = max(maxDiff, abs(full[(s * 5 + i) * 70 + j] - part[(s * 5 + i) * 70 + j])) }
            }
        }
        #expect(maxDiff < 1e-5, "positions \(positions): max abs difference \(maxDiff)")
    }
}
