import Base
import DLLM
import Foundation
import Testing

/// A stand-in for `log p(y_i | x, y_M)`: depends on the masked set M (bit set over the response)
/// and the position, as a model's would.
private func fakeLogProb(mask: Int, position: Int) -> Double {
    let h = Double((mask &* 2_654_435_761 ^ position &* 40503) % 997) / 997
    return -(0.2 + 0.35 * Double(mask.nonzeroBitCount) + 0.1 * Double(position) + 0.5 * h)
}

/// Sum over masked positions of weight * fake log-prob: the per-sample ELBO term.
private func term(_ sample: MaskedSample, promptLength: Int) -> Double {
    let mask = sample.positions.reduce(0) { $0 | 1 << (Int($1) - promptLength) }
    return zip(sample.positions, sample.weights).reduce(0.0) {
        $0 + Double($1.1) * fakeLogProb(mask: mask, position: Int($1.0) - promptLength)
    }
}

/// S(M) = sum over i in M of the fake log-prob.
private func maskedSum(_ mask: Int, length: Int) -> Double {
    (0..<length).filter { mask & (1 << $0) != 0 }.reduce(0.0) { $0 + fakeLogProb(mask: mask, position: $1) }
}

private func binomial(_ n: Int, _ k: Int) -> Double {
    (0..<k).reduce(1.0) { $0 * Double(n - $1) / Double($1 + 1) }
}

/// The ELBO by its definition: sum over non-empty M of S(M) / (|M| C(L, |M|)).
private func exactELBO(length: Int) -> Double {
    (1..<(1 << length)).reduce(0.0) { sum, mask in
        let m = mask.nonzeroBitCount
        return sum + maskedSum(mask, length: length) / (Double(m) * binomial(length, m))
    }
}

/// The exact expectation of the stratified estimator's group mean: over k uniform in 1...L and
/// uniformly drawn subsets of each sample's size.
private func exactStratifiedMean(length: Int, samples: Int, normalized: Bool) -> Double {
    var total = 0.0
    for k in 1...length {
        for count in LikelihoodMasking.stratifiedMaskCounts(offset: k, responseLength: length, samples: samples) {
            let weight = normalized ? 1 / Double(count) : Double(length) / Double(count)
            let subsets = (1..<(1 << length)).filter { $0.nonzeroBitCount == count }
            total += subsets.reduce(0.0) { $0 + weight * maskedSum($1, length: length) } / Double(subsets.count)
        }
    }
    return total / Double(length * samples)
}

/// Mean and standard error of `values`.
private func meanAndError(_ values: [Double]) -> (mean: Double, error: Double) {
    let mean = values.reduce(0, +) / Double(values.count)
    let variance = values.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
    return (mean, (variance / Double(values.count)).squareRoot())
}

@Suite struct MaskingTests {
    let prompt: [Int32] = [2, 40, 41]
    let response: [Int32] = [10, 11, 12, 13]

    @Test func stratifiedCountsFollowTheReferenceFormula() {
        // round(linspace(k, k + (b-1) L/b, b)) wrapped into 1...L, halves to even (torch.round).
        #expect(LikelihoodMasking.stratifiedMaskCounts(offset: 1, responseLength: 4, samples: 3) == [1, 2, 4])
        #expect(LikelihoodMasking.stratifiedMaskCounts(offset: 3, responseLength: 4, samples: 2) == [3, 1])
        #expect(LikelihoodMasking.stratifiedMaskCounts(offset: 4, responseLength: 4, samples: 4) == [4, 1, 2, 3])
        #expect(LikelihoodMasking.stratifiedMaskCounts(offset: 7, responseLength: 10, samples: 4) == [7, 10, 2, 4])
        #expect(LikelihoodMasking.stratifiedMaskCounts(offset: 200, responseLength: 256, samples: 16)
                == [200, 216, 232, 248, 8, 24, 40, 56, 72, 88, 104, 120, 136, 152, 168, 184])
        // Exact halves: 3.5 -> 4, 4.5 -> 4, 5.5 -> 6 -> 1, 6.5 -> 6 -> 1, 7.5 -> 8 -> 3.
        #expect((1...5).map { LikelihoodMasking.stratifiedMaskCounts(offset: $0, responseLength: 5, samples: 2)[1] }
                == [4, 4, 1, 1, 3])
        #expect(LikelihoodMasking.stratifiedMaskCounts(offset: 1, responseLength: 1, samples: 3) == [1, 1, 1])
    }

    @Test func stratifiedSamplesMaskExactlyTheirCountsOfTheResponseOnly() {
        for normalized in [false, true] {
            let masking = LikelihoodMasking(estimator: .stratified, normalizedByLength: normalized, samples: 4,
                                            maskTokenID: 1, seed: 9)
            let samples = masking.samples(prompt: prompt, response: response, step: 3, promptIndex: 1, responseIndex: 2)
            let counts = samples.map(\.positions.count)
            let k = counts[0]
            #expect(counts == LikelihoodMasking.stratifiedMaskCounts(offset: k, responseLength: 4, samples: 4))
            for sample in samples {
                #expect(Array(sample.tokens[0..<3]) == prompt)
                #expect(sample.positions.allSatisfy { $0 >= 3 && $0 < 7 })
                #expect(sample.positions == sample.positions.sorted())
                #expect(sample.positions.allSatisfy { sample.tokens[Int($0)] == 1 })
                #expect(sample.targets == sample.positions.map { response[Int($0) - 3] })
                #expect((3..<7).filter { !sample.positions.contains(Int32($0)) }.allSatisfy { sample.tokens[$0] == response[$0 - 3] })
                let count = Float(sample.positions.count)
                let weight: Float = normalized ? 1 / count : 4 / count
                #expect(sample.weights.allSatisfy { $0 == weight })
                #expect(sample.maskRatio == Double(count) / 4)
            }
            // Any sample can be drawn alone and is the same.
            #expect(masking.sample(prompt: prompt, response: response, step: 3, promptIndex: 1, responseIndex: 2, mcIndex: 2)
                    == samples[2])
        }
    }

    @Test func stratifiedExpectationIsTheELBO() {
        let elbo = exactELBO(length: 4)
        for b in [1, 2, 3, 4, 5, 7] {
            #expect(abs(exactStratifiedMean(length: 4, samples: b, normalized: false) - elbo) < 1e-12)
            #expect(abs(exactStratifiedMean(length: 4, samples: b, normalized: true) - elbo / 4) < 1e-12)
        }
        // b = 8: i*L/b hits exact halves, half-to-even rounding skews the counts (as in the reference).
        #expect(abs(exactStratifiedMean(length: 4, samples: 8, normalized: false) - elbo) > 1e-3)
    }

    @Test(arguments: [false, true])
    func stratifiedEstimatorIsUnbiased(normalized: Bool) {
        let b = 3
        let masking = LikelihoodMasking(estimator: .stratified, normalizedByLength: normalized, samples: b,
                                        maskTokenID: 1, seed: 17)
        let groups = (0..<20_000).map { step in
            masking.samples(prompt: prompt, response: response, step: UInt64(step), promptIndex: 5, responseIndex: 0)
                .reduce(0.0) { $0 + term($1, promptLength: 3) } / Double(b)
        }
        let (mean, error) = meanAndError(groups)
        let exact = exactStratifiedMean(length: 4, samples: b, normalized: normalized)
        #expect(abs(mean - exact) < 4 * error + 1e-9, "mean \(mean) exact \(exact) stderr \(error)")
    }

    @Test func continuousEstimatorIsUnbiased() {
        let masking = LikelihoodMasking(estimator: .continuous, samples: 1, maskTokenID: 1, seed: 5)
        let values = (0..<200_000).map { step in
            term(masking.sample(prompt: prompt, response: response, step: UInt64(step), promptIndex: 0,
                                responseIndex: 0, mcIndex: 0), promptLength: 3)
        }
        let (mean, error) = meanAndError(values)
        let exact = exactELBO(length: 4)
        // The 1/t weights have a heavy tail (variance diverges logarithmically): allow 5 standard errors.
        #expect(abs(mean - exact) < 5 * error, "mean \(mean) exact \(exact) stderr \(error)")
    }

    @Test func continuousSamplesWeighEveryMaskedTokenByOneOverT() {
        let masking = LikelihoodMasking(estimator: .continuous, samples: 4, maskTokenID: 1, seed: 1)
        var masked = 0.0
        var expected = 0.0
        for step in 0..<2000 {
            let samples = masking.samples(prompt: prompt, response: response, step: UInt64(step), promptIndex: 0, responseIndex: 0)
            for (j, sample) in samples.enumerated() {
                // t is the first draw of the sample's documented stream.
                var stream = CounterRandom(seed: 1, purpose: .likelihoodMask, UInt64(step), 0, 0, UInt64(j))
                #expect(sample.maskRatio == stream.nextOpenDouble())
                #expect(sample.weights.allSatisfy { $0 == Float(1 / sample.maskRatio) })
                #expect(sample.positions.allSatisfy { $0 >= 3 })
                masked += Double(sample.positions.count)
                expected += 4 * sample.maskRatio
            }
        }
        #expect(abs(masked - expected) / expected < 0.03)
    }

    @Test func masksAreKeyedByEveryIndex() {
        let masking = LikelihoodMasking(estimator: .stratified, samples: 2, maskTokenID: 1, seed: 3)
        let long = [Int32](repeating: 7, count: 64)
        func draw(_ s: UInt64, _ p: UInt64, _ r: UInt64, _ j: Int) -> [Int32] {
            masking.sample(prompt: prompt, response: long, step: s, promptIndex: p, responseIndex: r, mcIndex: j).positions
        }
        let base = draw(1, 2, 3, 0)
        #expect(draw(1, 2, 3, 0) == base)
        #expect(draw(2, 2, 3, 0) != base)
        #expect(draw(1, 3, 3, 0) != base)
        #expect(draw(1, 2, 4, 0) != base)
        #expect(draw(1, 2, 3, 1) != base)
        let other = LikelihoodMasking(estimator: .stratified, samples: 2, maskTokenID: 1, seed: 4)
        #expect(other.sample(prompt: prompt, response: long, step: 1, promptIndex: 2, responseIndex: 3, mcIndex: 0).positions != base)
    }

    @Test func supervisedMasksUseTheFlooredProbability() {
        let masking = SupervisedMasking(maskTokenID: 1, seed: 11)
        let long = [Int32](repeating: 9, count: 50)
        var masked = 0.0
        var expected = 0.0
        for example in 0..<2000 {
            let sample = masking.sample(prompt: prompt, response: long, step: 0, exampleIndex: UInt64(example))
            let p = sample.maskRatio
            #expect(p >= 1e-3 && p < 1)
            #expect(sample.weights.allSatisfy { abs($0 - Float(1 / (p * 50))) <= 1e-6 * $0 })
            #expect(sample.positions.allSatisfy { $0 >= 3 && sample.tokens[Int($0)] == 1 })
            #expect(Array(sample.tokens[0..<3]) == prompt)
            masked += Double(sample.positions.count)
            expected += 50 * p
        }
        #expect(abs(masked - expected) / expected < 0.03)
        #expect(masking.sample(prompt: prompt, response: long, step: 4, exampleIndex: 1)
                == masking.sample(prompt: prompt, response: long, step: 4, exampleIndex: 1))
    }

    @Test func subsetsAreUniform() {
        var rng = CounterRandom(seed: 1, purpose: .test, 0)
        var counts = [Int](repeating: 0, count: 6)
        for _ in 0..<60_000 {
            let subset = rng.nextSubset(count: 2, of: 6)
            #expect(subset.count == 2 && subset[0] < subset[1])
            for i in subset { counts[i] += 1 }
        }
        #expect(counts.allSatisfy { abs(Double($0) - 20_000) < 600 })
    }
}
