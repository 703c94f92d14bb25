import Base
import DLLM
import Foundation
import RunConfig
import TestSupport
import Testing
import Training

private func objective(beta: Double, lossType: LossType = .bnpo) -> DiffuGRPOObjective {
    DiffuGRPOObjective(epsilon: 0.2, beta: beta, promptMaskProbability: 0.3, seed: 5, maskTokenID: 1, padTokenID: 0,
                       eosTokenID: 0, microBatchSize: 2, lossType: lossType)
}

/// Asymmetric advantages and unequal scored lengths (EOS at 2 and 5, none: 3, 6 and 9 tokens).
private let tokenCases: [(advantage: Double, eosAt: Int?)] = [(1.0, 2), (-0.3, 5), (0.55, nil)]
private let responseLength = 9

/// The model input of `response` in iteration `iteration`, rebuilt from the documented stream
/// (one draw per prompt position, masked below `p`), apart from the objective's own code.
private func expectedInput(_ response: TokenPolicyResponse, iteration: Int, p: Double) -> [Int32] {
    var random = CounterRandom(seed: 5, purpose: .promptMask, indices: response.key + [UInt64(iteration)])
    let prompt = response.prompt.map { random.nextDouble() < p ? Int32(1) : $0 }
    return prompt + [Int32](repeating: 1, count: response.response.count)
}

/// The scored tokens' log-probabilities of `response` under `model`, from the logits.
private func expectedLogProbs(_ model: Model, _ response: TokenPolicyResponse) -> [Double] {
    let tokens = expectedInput(response, iteration: 2, p: 0.3)
    let scored = response.scoredLength
    return referenceLogProbs(model, tokens: tokens, positions: (0..<scored).map { Int32(response.prompt.count + $0) },
                             targets: Array(response.response[..<scored]))
}

/// d1's per-token loss and k3 KL written out: `-min(rho A, clip(rho) A) + beta k3`,
/// `k3 = exp(ref - logp) - (ref - logp) - 1`, `rho = exp(logp - old)`.
private func expectedTokenLosses(logp: [Double], old: [Double], ref: [Double], advantage a: Double,
                                 beta: Double) -> (losses: [Double], kls: [Double], clipped: Int) {
    var losses: [Double] = [], kls: [Double] = [], clipped = 0
    for k in logp.indices {
        let rho = exp(logp[k] - old[k])
        let bounded = min(max(rho, 0.8), 1.2)
        if bounded * a < rho * a { clipped += 1 }
        let kl = exp(ref[k] - logp[k]) - (ref[k] - logp[k]) - 1
        losses.append(-min(rho * a, bounded * a) + beta * kl)
        kls.append(kl)
    }
    return (losses, kls, clipped)
}

/// The normalised loss of TRL's `loss_type` over per-response token losses.
private func normalised(_ losses: [[Double]], _ lossType: LossType) -> Double {
    switch lossType {
    case .grpo: losses.reduce(0) { $0 + $1.reduce(0, +) / Double($1.count) } / Double(losses.count)
    case .bnpo: losses.reduce(0) { $0 + $1.reduce(0, +) } / Double(losses.reduce(0) { $0 + $1.count })
    case .drGRPO: losses.reduce(0) { $0 + $1.reduce(0, +) } / Double(losses.count * responseLength)
    }
}

/// The responses of ``tokenCases``, with old and reference log-probabilities from other
/// parameters (far enough that ratios leave the clip band and the KL is not symmetric).
private func tokenResponses(old: Model, reference: Model, vocab: Int) -> [TokenPolicyResponse] {
    tokenCases.enumerated().map { index, testCase in
        let (prompt, response) = randomSequence(index: index, promptLength: 3 + index, responseLength: responseLength,
                                                vocab: vocab, eosAt: testCase.eosAt)
        var item = TokenPolicyResponse(prompt: prompt, response: response, advantage: testCase.advantage,
                                       key: [1, UInt64(index), 0], eosTokenID: 0)
        item.oldLogProbs = expectedLogProbs(old, item).map(Float.init)
        item.referenceLogProbs = expectedLogProbs(reference, item).map(Float.init)
        return item
    }
}

@Test(arguments: [LossType.grpo, .bnpo, .drGRPO])
func diffuGRPOLossKLAndGradientMatchThePlainFormula(lossType: LossType) throws {
    let reference = try randomTinyModel(seed: 3)
    let old = perturbed(reference, size: 0.15, seed: 8)
    let current = perturbed(old, size: 0.1, seed: 9)
    let beta = 0.3
    let grpo = objective(beta: beta, lossType: lossType)
    let responses = tokenResponses(old: old, reference: reference, vocab: current.config.vocabSize)
    #expect(responses.map(\.scoredLength) == [3, 6, 9])
    let units = DiffuGRPOObjective.units(lossType: lossType, responses: 3, scoredTokens: 18, completionLength: responseLength)
    #expect(units == [LossType.grpo: 3, .bnpo: 18, .drGRPO: 27][lossType])

    func expected(_ model: Model) -> (loss: Double, kl: Double, clipped: Int) {
        let perResponse = responses.map { response in
            expectedTokenLosses(logp: expectedLogProbs(model, response), old: response.oldLogProbs!.map(Double.init),
                                ref: response.referenceLogProbs!.map(Double.init), advantage: response.advantage, beta: beta)
        }
        return (normalised(perResponse.map(\.losses), lossType), perResponse.reduce(0) { $0 + $1.kls.reduce(0, +) },
                perResponse.reduce(0) { $0 + $1.clipped })
    }
    let gradients = FlatBuffer(count: current.layout.totalCount)
    let statistics = grpo.accumulate(model: current, responses: responses, iteration: 2, gradients: gradients)
    let wanted = expected(current)
    #expect(abs(statistics.lossSum / units - wanted.loss) <= 1e-4 * (1 + abs(wanted.loss)),
            "loss \(statistics.lossSum / units), expected \(wanted.loss)")
    #expect(abs(statistics.klSum - wanted.kl) <= 1e-4 * wanted.kl, "kl \(statistics.klSum), expected \(wanted.kl)")
    #expect(statistics.klCount == 18 && statistics.clipCandidates == 18)
    #expect(statistics.clippedCount == Double(wanted.clipped))
    #expect(wanted.clipped > 0 && wanted.clipped < 18, "the case must exercise both sides of the clip")
    GradientClipping.scale(gradients, by: Float(1 / units))
    let mismatches = finiteDifferenceMismatches(gradient: gradients, model: current) { expected($0).loss }
    #expect(mismatches.isEmpty, "\(mismatches)")
}

@Test func k3KLIsTakenOfTheReferenceAgainstThePolicy() throws {
    // One token whose log-probability under the reference is above the policy's by 1:
    // k3 = exp(ref - logp) - (ref - logp) - 1 = e - 2 (the other direction would give e^-1).
    let model = try randomTinyModel(seed: 3)
    let grpo = objective(beta: 1)
    let (prompt, response) = randomSequence(index: 0, promptLength: 3, responseLength: 4, vocab: model.config.vocabSize,
                                            eosAt: 0)
    var item = TokenPolicyResponse(prompt: prompt, response: response, advantage: 0, key: [1, 0, 0], eosTokenID: 0)
    #expect(item.scoredLength == 1)
    let logp = expectedLogProbs(model, item)[0]
    item.referenceLogProbs = [Float(logp + 1)]
    let statistics = grpo.accumulate(model: model, responses: [item], iteration: 2,
                                     gradients: FlatBuffer(count: model.layout.totalCount))
    #expect(abs(statistics.klSum - (exp(1) - 2)) < 1e-5, "k3 \(statistics.klSum)")
    #expect(abs(statistics.lossSum - (exp(1) - 2)) < 1e-5)
}

@Test func onPolicyRatiosAreOneAndBetaZeroNeedsNoReference() throws {
    let model = try randomTinyModel(seed: 3)
    let grpo = objective(beta: 0)
    let responses = [0.7, -0.2].enumerated().map { index, advantage in
        let (prompt, response) = randomSequence(index: index, promptLength: 4, responseLength: 8, vocab: model.config.vocabSize)
        return TokenPolicyResponse(prompt: prompt, response: response, advantage: advantage, key: [1, 0, UInt64(index)],
                                   eosTokenID: 0)
    }
    let gradients = FlatBuffer(count: model.layout.totalCount)
    let statistics = grpo.accumulate(model: model, responses: responses, iteration: 0, gradients: gradients)
    // rho = 1 everywhere: the loss is -sum_tokens A, nothing is clipped, no KL.
    #expect(abs(statistics.lossSum - (-0.7 * 8 + 0.2 * 8)) < 1e-12)
    #expect(statistics.clippedCount == 0 && statistics.klCount == 0)
    #expect(gradients.buffer.contains { $0 != 0 })
}

@Test func promptMaskDependsOnTheIterationOnly() {
    let grpo = DiffuGRPOObjective(epsilon: 0.5, beta: 0, promptMaskProbability: 0.5, seed: 5, maskTokenID: 1,
                                  padTokenID: 0, eosTokenID: 0, microBatchSize: 1)
    let response = TokenPolicyResponse(prompt: Array(repeating: 7, count: 40), response: [4, 5, 0, 0], advantage: 1,
                                       key: [3, 1, 2], eosTokenID: 0)
    let first = grpo.maskedInput(response, iteration: 0)
    #expect(first == grpo.maskedInput(response, iteration: 0))
    #expect(first != grpo.maskedInput(response, iteration: 1))
    #expect(first.tokens[40...] == [1, 1, 1, 1])
    #expect(first.positions == [40, 41, 42] && first.targets == [4, 5, 0])
    #expect(first.tokens == expectedInput(response, iteration: 0, p: 0.5))
    #expect(first.tokens[..<40].contains(1) && first.tokens[..<40].contains(7), "p = 0.5 masks some prompt tokens, not all")
}
