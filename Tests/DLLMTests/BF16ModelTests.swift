import DLLM
import TestSupport
import Testing

@Suite struct BF16ModelTests {
    /// A model whose weights are exactly representable in bfloat16, so both forwards see the same numbers.
    private func roundedModel(_ config: ModelConfig) -> Model {
        roundToBFloat16(Model(config: config, seed: 5))
    }

    /// Vocabulary * d_model exceeds the largest block matrix, so the head is multiplied in row chunks.
    static let config = ModelConfig(dModel: 16, nLayers: 2, nHeads: 4, nKVHeads: 2, mlpHidden: 24, vocabSize: 300,
                                    maxSeq: 16, maskTokenID: 1, eosTokenID: 0, padTokenID: 0)
    /// Two sequences of five tokens, the second with a padding key.
    private static let tokens: [Int32] = [2, 7, 299, 1, 1, 0, 5, 9, 3, 3]
    private static let mask: [UInt8] = [1, 1, 1, 1, 1, 0, 1, 1, 1, 1]

    @Test func bf16ForwardMatchesTheF32ForwardOnTheSameWeights() throws {
        let model = roundedModel(Self.config)
        let half = BF16Model(model: model)
        #expect(half.storage.count == model.parameters.count)
        let full = ModelRunner(model: model), reduced = ModelRunner(model: half)
        let a = Array(UnsafeBufferPointer(start: full.logits(tokens: Self.tokens, keyMask: Self.mask, batch: 2, seq: 5),
                                          count: 10 * 300))
        let b = Array(UnsafeBufferPointer(start: reduced.logits(tokens: Self.tokens, keyMask: Self.mask, batch: 2, seq: 5),
                                          count: 10 * 300))
        let maxDiff = zip(a, b).map { abs($0 - $1) }.max()!
        #expect(maxDiff < 1e-5, "max abs difference \(maxDiff)")
    }

    @Test(arguments: [1..<3, 4..<5])
    func bf16ForwardOfSomePositionsMatchesTheFullF32Forward(positions: Range<Int>) throws {
        let model = roundedModel(Self.config)
        let full = ModelRunner(model: model), reduced = ModelRunner(model: BF16Model(model: model))
        let a = full.logits(tokens: Self.tokens, keyMask: Self.mask, batch: 2, seq: 5)
        let b = reduced.logits(tokens: Self.tokens, keyMask: Self.mask, batch: 2, seq: 5, positions: positions)
        var maxDiff: Float = 0
        for s in 0..<2 {
            for i in positions {
                for j in 0..<300 { maxDiff = max(maxDiff, abs(a[(s * 5 + i) * 300 + j] - b[(s * 5 + i) * 300 + j])) }
            }
        }
        #expect(maxDiff < 1e-5, "positions \(positions): max abs difference \(maxDiff)")
    }
}
