import Base
import DLLM
import Foundation
import Testing

/// log softmax(row)[target] in Double.
private func referenceLogProb(_ logits: [Float], row: Int, vocab: Int, target: Int) -> Double {
    let x = (0..<vocab).map { Double(logits[row * vocab + $0]) }
    let m = x.max()!
    return x[target] - m - log(x.reduce(0) { $0 + exp($1 - m) })
}

@Suite struct ELBOTests {
    let vocab = 7
    let samples: [MaskedSample] = [
        MaskedSample(prompt: [2, 5], response: [3, 4, 6], maskedResponsePositions: [0, 2], weight: 1.5,
                     maskRatio: 2.0 / 3, maskTokenID: 1),
        MaskedSample(prompt: [2, 5, 5, 6], response: [4, 4], maskedResponsePositions: [1], weight: 2,
                     maskRatio: 0.5, maskTokenID: 1),
    ]

    func randomLogits(count: Int) -> [Float] {
        var rng = CounterRandom(seed: 3, purpose: .test, 1)
        return (0..<count).map { _ in Float(rng.nextGaussian() * 2) }
    }

    @Test func batchLayoutLeftPadsAndSelectsTheMaskedRows() {
        let batch = MaskedBatch(samples: samples, batch: 3, seq: 7, padTokenID: 0)
        #expect(batch.tokens == [0, 0, 2, 5, 1, 4, 1,
                                 0, 2, 5, 5, 6, 4, 1,
                                 0, 0, 0, 0, 0, 0, 0])
        #expect(batch.keyMask == [0, 0, 1, 1, 1, 1, 1,
                                  0, 1, 1, 1, 1, 1, 1,
                                  1, 1, 1, 1, 1, 1, 1])
        #expect(batch.isPadded)
        #expect(batch.rows == [4, 6, 13])
        #expect(batch.targets == [3, 6, 4])
        #expect(batch.weights == [1.5, 1.5, 2])
        #expect(batch.sampleOffsets == [0, 2, 3])
        #expect(!MaskedBatch(samples: [samples[0]], batch: 1, seq: 5, padTokenID: 0).isPadded)
    }

    @Test func termsAreWeightedMaskedLogLikelihoods() {
        let batch = MaskedBatch(samples: samples, batch: 3, seq: 7, padTokenID: 0)
        let logits = randomLogits(count: 21 * vocab)
        let terms = logits.withUnsafeBufferPointer { elboTermsForward(batch, logits: $0.baseAddress!, vocab: vocab) }
        let expected0 = 1.5 * (referenceLogProb(logits, row: 4, vocab: vocab, target: 3)
                               + referenceLogProb(logits, row: 6, vocab: vocab, target: 6))
        let expected1 = 2 * referenceLogProb(logits, row: 13, vocab: vocab, target: 4)
        #expect(abs(terms[0] - expected0) < 1e-5)
        #expect(abs(terms[1] - expected1) < 1e-5)
        let loss = logits.withUnsafeBufferPointer {
            supervisedLossForward(batch, logits: $0.baseAddress!, vocab: vocab, examples: 4)
        }
        #expect(abs(loss + (expected0 + expected1) / 4) < 1e-5)
    }

    @Test func backwardMatchesFiniteDifferences() {
        let batch = MaskedBatch(samples: samples, batch: 3, seq: 7, padTokenID: 0)
        let logits = randomLogits(count: 21 * vocab)
        let dTerms: [Float] = [0.7, -1.3]
        var dLogits = [Float](repeating: 0.25, count: logits.count)
        logits.withUnsafeBufferPointer { l in
            dLogits.withUnsafeMutableBufferPointer { d in
                elboTermsBackward(batch, logits: l.baseAddress!, vocab: vocab, dTerms: dTerms, dLogits: d.baseAddress!)
            }
        }
        func objective(_ x: [Float]) -> Double {
            let terms = x.withUnsafeBufferPointer { elboTermsForward(batch, logits: $0.baseAddress!, vocab: vocab) }
            return Double(dTerms[0]) * terms[0] + Double(dTerms[1]) * terms[1]
        }
        let h: Float = 1e-2
        for index in logits.indices {
            var plus = logits, minus = logits
            plus[index] += h
            minus[index] -= h
            let numeric = (objective(plus) - objective(minus)) / Double(2 * h)
            #expect(abs(Double(dLogits[index] - 0.25) - numeric) < 2e-3, "logit \(index)")
        }
    }
}
