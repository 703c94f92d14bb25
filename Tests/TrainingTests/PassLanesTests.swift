import Base
import DLLM
import TestSupport
import Testing
import Training

/// Whether two gradient buffers hold the same bits.
private func sameBits(_ a: FlatBuffer, _ b: FlatBuffer) -> Bool {
    InProcessRanks.differingElements(InProcessRanks.elements(a), InProcessRanks.elements(b)) == 0
}

/// Seven responses of both signs of A in micro-batches of two (the last of one response), with
/// the old terms of other parameters: BGPO's ratios leave 1 and the clip bites.
private func offPolicyResponses(_ method: ELBOObjective.Method, model: Model) -> [ELBOResponse] {
    var responses = elboResponses(advantages: [0.8, -0.4, 1.3, -1.1, 0.6, -0.9, 0.3], samples: 3,
                                  vocab: model.config.vocabSize)
    let old = perturbed(model, size: 0.2, seed: 4)
    let oldTerms = elboObjective(method, samples: 3, microBatch: 2).terms(model: old, responses: responses)
    for r in responses.indices { responses[r].oldTerms = oldTerms[r] }
    return responses
}

/// An ELBO objective's passes side by side on three lanes give the values, statistics and terms of
/// one lane bit for bit, its gradient up to float summation order, and the same bits run again.
@Test(arguments: [ELBOObjective.Method.bgpo(clip: nil), .bgpo(clip: PPOClip(epsilon: 0.2, dualClip: 1.5)),
                  .bgpo(bound: .jensen, clip: nil), .vrpoOL, .elboExact])
func elboPassesSideBySideAreThoseOneAfterAnother(method: ELBOObjective.Method) throws {
    let model = try randomTinyModel(seed: 3)
    let responses = offPolicyResponses(method, model: model)
    func run(lanes: Int) -> (result: ELBOPassResult, gradients: FlatBuffer, terms: [[Double]]) {
        let objective = ELBOObjective(method: method, masking: testMasking(samples: 3), microBatchSize: 2, padTokenID: 0,
                                      lanes: lanes)
        let gradients = FlatBuffer(count: model.parameters.count)
        let result = objective.accumulate(model: model, responses: responses, gradients: gradients)
        return (result, gradients, objective.terms(model: model, responses: responses))
    }
    let alone = run(lanes: 1), together = run(lanes: 3), again = run(lanes: 3)
    #expect(together.result.values == alone.result.values)
    #expect(together.result.statistics == alone.result.statistics)
    #expect(together.terms == alone.terms)
    if case .bgpo(_, .some) = method {
        #expect(alone.result.statistics.clippedCount > 0, "the clip bites")
    }
    let (difference, scale) = maxDifference(together.gradients, alone.gradients)
    #expect(scale > 0 && difference <= 1e-5 * scale, "difference \(difference) of \(scale)")
    #expect(sameBits(together.gradients, again.gradients))
}

/// diffu-GRPO's micro-batches side by side: the statistics (loss, KL, clip counts) and the old
/// policy's log-probabilities of one lane bit for bit, the gradient up to summation order.
@Test func diffuGRPOPassesSideBySideAreThoseOneAfterAnother() throws {
    let model = try randomTinyModel(seed: 3)
    let reference = perturbed(model, size: 0.15, seed: 8)
    let old = perturbed(model, size: 0.1, seed: 9)
    func run(lanes: Int) -> (statistics: ObjectiveStatistics, gradients: FlatBuffer, logProbs: [[Float]]) {
        let grpo = DiffuGRPOObjective(epsilon: 0.2, beta: 0.3, promptMaskProbability: 0.3, seed: 5, maskTokenID: 1,
                                      padTokenID: 0, eosTokenID: 0, microBatchSize: 2, reference: reference, lanes: lanes)
        var responses = (0..<7).map { index in
            let (prompt, response) = randomSequence(index: index, promptLength: 3 + index % 3, responseLength: 8,
                                                    vocab: model.config.vocabSize, eosAt: index % 2 == 0 ? 2 + index / 2 : nil)
            return TokenPolicyResponse(prompt: prompt, response: response, advantage: [0.8, -0.4, 1.3][index % 3],
                                       key: [1, UInt64(index), 0], eosTokenID: 0)
        }
        let oldLogProbs = grpo.logProbs(model: old, responses: responses, iteration: 0)
        let referenceLogProbs = grpo.logProbs(model: reference, responses: responses, iteration: 0)
        for r in responses.indices {
            responses[r].oldLogProbs = oldLogProbs[r]
            responses[r].referenceLogProbs = referenceLogProbs[r]
        }
        let gradients = FlatBuffer(count: model.parameters.count)
        return (grpo.accumulate(model: model, responses: responses, iteration: 0, gradients: gradients), gradients, oldLogProbs)
    }
    let alone = run(lanes: 1), together = run(lanes: 3), again = run(lanes: 3)
    #expect(together.logProbs == alone.logProbs)
    #expect(together.statistics == alone.statistics)
    #expect(alone.statistics.clippedCount > 0 && alone.statistics.klSum > 0)
    let (difference, scale) = maxDifference(together.gradients, alone.gradients)
    #expect(scale > 0 && difference <= 1e-5 * scale, "difference \(difference) of \(scale)")
    #expect(sameBits(together.gradients, again.gradients))
}
