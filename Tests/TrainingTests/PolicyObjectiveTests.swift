import Base
import DLLM
import RunConfig
import TestSupport
import Testing
import Training

/// Two mini-batch shares of step 4: three responses, then two, with EOS in some of them.
private func policyShares(vocab: Int) -> [[PolicyResponse]] {
    let advantages = [0.8, -0.4, 1.3, -1.1, 0.6]
    let responses = advantages.enumerated().map { index, advantage in
        let (prompt, response) = randomSequence(index: index, promptLength: 3 + index % 3, responseLength: 8, vocab: vocab,
                                                eosAt: index % 2 == 0 ? 3 + index : nil)
        return PolicyResponse(step: 4, promptIndex: UInt64(10 + index / 2), responseIndex: index % 2, prompt: prompt,
                              response: response, advantage: advantage)
    }
    return [Array(responses[0..<3]), Array(responses[3...])]
}

private func grpoObjective(beta: Double, reference: Model?, lossType: LossType = .bnpo) -> DiffuGRPOObjective {
    DiffuGRPOObjective(epsilon: 0.2, beta: beta, promptMaskProbability: 0.3, seed: 5, maskTokenID: 1, padTokenID: 0,
                       eosTokenID: 0, microBatchSize: 2, lossType: lossType, reference: reference)
}

@Test func elboInputsHoldEachResponsesMasksAndOffPolicyItsOldTerms() throws {
    let model = try randomTinyModel(seed: 3)
    let shares = policyShares(vocab: model.config.vocabSize)
    let objective = elboObjective(.bgpo(clip: nil), samples: 3, microBatch: 2)
    let inputs = objective.inputs(of: shares, model: model, iterations: 2, offPolicy: true)
    #expect(inputs.map(\.count) == [3, 2])
    for (share, responses) in zip(shares, inputs) {
        for (item, response) in zip(share, responses) {
            let expected = testMasking(samples: 3).samples(prompt: item.prompt, response: item.response, step: 4,
                                                            promptIndex: item.promptIndex, responseIndex: UInt64(item.responseIndex))
            #expect(response.samples == expected && response.advantage == item.advantage)
        }
    }
    let flat = inputs.flatMap { $0 }
    #expect(flat.map { $0.oldTerms ?? [] } == objective.terms(model: model, responses: flat), "the old terms at the rollout parameters")
    let onPolicy = objective.inputs(of: shares, model: model, iterations: 2, offPolicy: false)
    #expect(onPolicy.allSatisfy { $0.allSatisfy { $0.oldTerms == nil } })
}

@Test func elboAccumulateLeavesTheOldTermsOutOnPolicy() throws {
    let old = try randomTinyModel(seed: 3)
    let current = perturbed(old, size: 0.05, seed: 5)
    let objective = elboObjective(.bgpo(clip: nil), samples: 3, microBatch: 2)
    let share = objective.inputs(of: policyShares(vocab: old.config.vocabSize), model: old, iterations: 1, offPolicy: true)[0]
    func statistics(_ share: [ELBOResponse], onPolicy: Bool) -> ObjectiveStatistics {
        objective.accumulate(share, iteration: 0, onPolicy: onPolicy, model: current,
                             gradients: FlatBuffer(count: current.layout.totalCount))
    }
    let withoutOld = share.map { ELBOResponse(samples: $0.samples, advantage: $0.advantage) }
    #expect(statistics(share, onPolicy: true) == statistics(withoutOld, onPolicy: false))
    #expect(statistics(share, onPolicy: true).klSum == 0)
    #expect(abs(statistics(share, onPolicy: false).klSum) > 1e-9, "off-policy the old terms differ from the current ones")
}

@Test func diffuGRPOInputsHoldTheOldAndReferenceLogProbsOfEachIteration() throws {
    let model = try randomTinyModel(seed: 3)
    let reference = perturbed(model, size: 0.05, seed: 6)
    let shares = policyShares(vocab: model.config.vocabSize)
    let objective = grpoObjective(beta: 0.1, reference: reference)
    let inputs = objective.inputs(of: shares, model: model, iterations: 2, offPolicy: true)
    #expect(inputs.map(\.responses.count) == [3, 2])
    let flat = inputs.flatMap(\.responses)
    #expect(flat.map(\.key) == shares.flatMap { $0.map { [4, $0.promptIndex, UInt64($0.responseIndex)] } })
    for iteration in 0..<2 {
        let old = objective.logProbs(model: model, responses: flat, iteration: iteration)
        let referenceValues = objective.logProbs(model: reference, responses: flat, iteration: iteration)
        #expect(inputs.flatMap { $0.old?[iteration] ?? [] } == old)
        #expect(inputs.flatMap { $0.reference?[iteration] ?? [] } == referenceValues)
    }
    #expect(objective.inputs(of: shares, model: model, iterations: 2, offPolicy: false).allSatisfy { $0.old == nil })
    let withoutKL = grpoObjective(beta: 0, reference: reference)
    #expect(withoutKL.inputs(of: shares, model: model, iterations: 2, offPolicy: true).allSatisfy { $0.reference == nil },
            "beta = 0 keeps no reference policy")
}

@Test func diffuGRPOAccumulateReadsItsIterationsLogProbs() throws {
    let model = try randomTinyModel(seed: 3)
    let current = perturbed(model, size: 0.05, seed: 5)
    let objective = grpoObjective(beta: 0.1, reference: perturbed(model, size: 0.05, seed: 6))
    let share = objective.inputs(of: policyShares(vocab: model.config.vocabSize), model: model, iterations: 2,
                                 offPolicy: true)[1]
    func expected(onPolicy: Bool) -> ObjectiveStatistics {
        let responses = share.responses.enumerated().map { r, response in
            var response = response
            response.oldLogProbs = onPolicy ? nil : share.old?[1][r]
            response.referenceLogProbs = share.reference?[1][r]
            return response
        }
        return objective.accumulate(model: current, responses: responses, iteration: 1,
                                    gradients: FlatBuffer(count: current.layout.totalCount))
    }
    for onPolicy in [false, true] {
        let statistics = objective.accumulate(share, iteration: 1, onPolicy: onPolicy, model: current,
                                              gradients: FlatBuffer(count: current.layout.totalCount))
        #expect(statistics == expected(onPolicy: onPolicy), "onPolicy \(onPolicy)")
    }
    #expect(expected(onPolicy: false) != expected(onPolicy: true), "the old log-probs matter off-policy")
}

@Test func objectivesChooseTheirResponsesUnitsAndMaskWords() throws {
    let model = try randomTinyModel(seed: 3)
    let responses = policyShares(vocab: model.config.vocabSize)[0]
    let elbo = elboObjective(.vrpoOL, samples: 2, microBatch: 2)
    let grpo = grpoObjective(beta: 0, reference: nil)
    let withKL = grpoObjective(beta: 0.1, reference: model)
    #expect(!elbo.entersObjective(advantage: 0) && elbo.entersObjective(advantage: -0.1))
    #expect(!grpo.entersObjective(advantage: 0) && grpo.entersObjective(advantage: 0.1))
    #expect(withKL.entersObjective(advantage: 0), "the KL term counts every response")

    // Scored lengths: EOS at 3 (4 tokens), none (8 tokens), EOS at 5 (6 tokens).
    let tokens = responses.map(\.response)
    #expect(elbo.units(of: tokens, completionLength: 8) == 3)
    #expect(grpo.units(of: tokens, completionLength: 8) == 18)
    #expect(grpoObjective(beta: 0, reference: nil, lossType: .grpo).units(of: tokens, completionLength: 8) == 3)
    #expect(grpoObjective(beta: 0, reference: nil, lossType: .drGRPO).units(of: tokens, completionLength: 8) == 24)

    #expect(grpo.maskWords(of: responses[1]) == [4, 10, 1])
    let words = elbo.maskWords(of: responses[1])
    #expect(!words.isEmpty && words == elbo.maskWords(of: responses[1]) && words != elbo.maskWords(of: responses[0]))
}
