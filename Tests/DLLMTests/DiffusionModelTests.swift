import Base
import DLLM
import Foundation
import TestSupport
import Testing

/// The diffusion pieces on the real (tiny) transformer: supervised-loss gradients, ELBO estimates
/// against the exact sum over masks, and the sampler.
@Suite struct DiffusionModelTests {
    let prompt: [Int32] = [2, 7, 9]
    let response: [Int32] = [5, 11, 4, 0]

    @Test func supervisedLossGradientMatchesFiniteDifferences() throws {
        let model = try randomTinyModel(seed: 21)
        let config = model.config
        let masking = SupervisedMasking(maskTokenID: config.maskTokenID, seed: 4)
        // Pick steps whose masks are not empty, so that every example contributes.
        let samples = [(prompt, response), ([2, 3], [6, 6, 8, 0, 0])].enumerated().map { index, pair in
            (UInt64(0)...).lazy.map { masking.sample(prompt: pair.0, response: pair.1, step: $0, exampleIndex: UInt64(index)) }
                .first { $0.positions.count >= 2 }!
        }
        let batch = MaskedBatch(samples: samples, batch: 2, seq: 8, padTokenID: config.padTokenID)
        let workspace = Workspace(config: config, batch: 2, seq: 8)
        modelForward(model, tokens: batch.tokens, keyMask: batch.keyMask, workspace: workspace)
        let loss = supervisedLossForward(batch, logits: workspace.logits, vocab: config.vocabSize, examples: 3)
        workspace.zeroLogitGradients()
        supervisedLossBackward(batch, logits: workspace.logits, vocab: config.vocabSize, examples: 3,
                               dLogits: workspace.dLogits)
        let gradients = FlatBuffer(count: model.layout.totalCount)
        modelBackward(model, workspace: workspace, gradients: gradients)

        let reference = ReferenceModel(config: config)
        var parameters = model.parameters.array.map(Double.init)
        func referenceLoss() -> Double {
            -reference.weightedLogProb(parameters: parameters, tokens: batch.tokens, mask: batch.keyMask, batch: 2, seq: 8,
                                       rows: batch.rows, targets: batch.targets, weights: batch.weights.map(Double.init)) / 3
        }
        #expect(abs(loss - referenceLoss()) < 1e-4 * max(1, abs(loss)))
        for entry in model.layout.entries {
            var analytic: [Double] = [], numeric: [Double] = []
            for s in 0..<3 {
                let j = entry.offset + (s * 7919 + 5) % entry.count
                let saved = parameters[j], h = 1e-5
                parameters[j] = saved + h
                let plus = referenceLoss()
                parameters[j] = saved - h
                let minus = referenceLoss()
                parameters[j] = saved
                numeric.append((plus - minus) / (2 * h))
                analytic.append(Double(gradients.pointer[j]))
            }
            let error = relativeError(analytic, numeric)
            #expect(error < 1e-3, "\(entry.name): relative error \(error)")
        }
    }

    /// S(M) = sum over masked positions of log p(y_i | x, y_M), for every mask M of the response (bit set).
    func maskedLogLikelihoods(model: Model) -> [Double] {
        let length = response.count
        let samples = (0..<(1 << length)).map { mask in
            MaskedSample(prompt: prompt, response: response,
                         maskedResponsePositions: (0..<length).filter { mask & (1 << $0) != 0 },
                         weight: 1, maskRatio: 0, maskTokenID: model.config.maskTokenID)
        }
        let seq = prompt.count + length
        let batch = MaskedBatch(samples: samples, batch: samples.count, seq: seq, padTokenID: model.config.padTokenID)
        let workspace = Workspace(config: model.config, batch: samples.count, seq: seq)
        modelForward(model, tokens: batch.tokens, keyMask: nil, workspace: workspace)
        return elboTermsForward(batch, logits: workspace.logits, vocab: model.config.vocabSize)
    }

    @Test(arguments: [(ELBOEstimator.continuous, false), (.continuous, true), (.stratified, false), (.stratified, true)])
    func estimatesAverageToTheExactELBO(estimator: ELBOEstimator, normalized: Bool) throws {
        let model = try randomTinyModel(seed: 8)
        let length = response.count
        let table = maskedLogLikelihoods(model: model)
        var elbo = 0.0
        for mask in 1..<(1 << length) {
            let m = mask.nonzeroBitCount
            let subsets = (1..<(1 << length)).count(where: { $0.nonzeroBitCount == m })
            elbo += table[mask] / Double(m * subsets)
        }
        #expect(elbo < 0)
        let expected = normalized ? elbo / Double(length) : elbo

        // The forward pass gives each drawn sample's term; check it against the table for one batch,
        // then average many groups through the table (the model's answer for every mask).
        let b = 4
        let masking = LikelihoodMasking(estimator: estimator, normalizedByLength: normalized, samples: b,
                                        maskTokenID: model.config.maskTokenID, seed: 2)
        func group(_ index: Int) -> [MaskedSample] {
            masking.samples(prompt: prompt, response: response, step: UInt64(index), promptIndex: 0, responseIndex: 0)
        }
        func tableTerm(_ sample: MaskedSample) -> Double {
            let mask = sample.positions.reduce(0) { $0 | 1 << (Int($1) - prompt.count) }
            return sample.positions.isEmpty ? 0 : Double(sample.weights[0]) * table[mask]
        }
        let checked = (0..<64).flatMap(group)
        let seq = prompt.count + length
        let batch = MaskedBatch(samples: checked, batch: checked.count, seq: seq, padTokenID: model.config.padTokenID)
        let workspace = Workspace(config: model.config, batch: checked.count, seq: seq)
        modelForward(model, tokens: batch.tokens, keyMask: nil, workspace: workspace)
        let terms = elboTermsForward(batch, logits: workspace.logits, vocab: model.config.vocabSize)
        for (term, sample) in zip(terms, checked) {
            #expect(abs(term - tableTerm(sample)) <= 1e-5 * max(1, abs(term)))
        }

        let groupMeans = (0..<(estimator == .continuous ? 100_000 : 20_000)).map { index in
            group(index).reduce(0.0) { $0 + tableTerm($1) } / Double(b)
        }
        let mean = groupMeans.reduce(0, +) / Double(groupMeans.count)
        let variance = groupMeans.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(groupMeans.count - 1)
        let standardError = (variance / Double(groupMeans.count)).squareRoot()
        #expect(abs(mean - expected) < 5 * standardError, "mean \(mean), exact \(expected), stderr \(standardError)")
    }

    @Test func greedySamplingOnTheModelIsDeterministicAndIgnoresPadding() throws {
        let model = try randomTinyModel(seed: 30)
        let options = SamplingOptions(generationLength: 8, blockLength: 4, steps: 8)
        let prompts: [[Int32]] = [[2, 5, 6, 7, 8], [2, 9], [2, 10, 11]]
        let keys: [[UInt64]] = [[0], [1], [2]]
        let first = try DiffusionSampler(options: options, maskTokenID: 1, padTokenID: 0, seed: 0)
            .generate(model: ModelRunner(model: model), prompts: prompts, keys: keys)
        let runner = ModelRunner(model: model)
        let sampler = try DiffusionSampler(options: options, maskTokenID: 1, padTokenID: 0, seed: 0)
        #expect(try sampler.generate(model: runner, prompts: prompts, keys: keys) == first)
        for b in prompts.indices {
            #expect(try sampler.generate(model: runner, prompts: [prompts[b]], keys: [keys[b]]) == [first[b]])
        }
        #expect(first.allSatisfy { $0.count == 8 && !$0.contains(1) })
    }
}
