import DLLM
import Kernels
import RL
import TestSupport
import Testing

private func objective(beta: Double) -> DiffuGRPOObjective {
    DiffuGRPOObjective(epsilon: 0.2, beta: beta, promptMaskProbability: 0.3, seed: 5, maskTokenID: 1, padTokenID: 0,
                       microBatchSize: 2)
}

/// Three responses (one ending early with EOS), with old and reference log-probabilities from
/// other parameters so that ratios, clips and the KL term are all exercised.
private func tokenResponses(old: Model, reference: Model, objective: DiffuGRPOObjective) -> [TokenPolicyResponse] {
    var responses = [1.0, -0.8, 0.5].enumerated().map { index, advantage in
        let (prompt, response) = randomSequence(index: index, promptLength: 3 + index, responseLength: 9,
                                                vocab: old.config.vocabSize, eosAt: index == 0 ? 5 : nil)
        return TokenPolicyResponse(prompt: prompt, response: response, advantage: advantage, key: [1, UInt64(index), 0],
                                   eosTokenID: 0)
    }
    let oldLogProbs = objective.logProbs(model: old, responses: responses, iteration: 2)
    let referenceLogProbs = objective.logProbs(model: reference, responses: responses, iteration: 2)
    for i in responses.indices {
        responses[i].oldLogProbs = oldLogProbs[i]
        responses[i].referenceLogProbs = referenceLogProbs[i]
    }
    return responses
}

private func loss(_ objective: DiffuGRPOObjective, model: Model, responses: [TokenPolicyResponse]) -> Double {
    let scratch = FlatBuffer(count: model.layout.totalCount)
    return objective.accumulate(model: model, responses: responses, iteration: 2, gradients: scratch).lossSum
}

@Test func diffuGRPOGradientMatchesFiniteDifferences() throws {
    let reference = try randomTinyModel(seed: 3)
    let old = perturbed(reference, size: 0.03, seed: 8)
    let current = perturbed(old, size: 0.03, seed: 9)
    let grpo = objective(beta: 0.04)
    let responses = tokenResponses(old: old, reference: reference, objective: grpo)
    #expect(responses[0].scoredLength == 6)

    let gradients = FlatBuffer(count: current.layout.totalCount)
    let statistics = grpo.accumulate(model: current, responses: responses, iteration: 2, gradients: gradients)
    #expect(statistics.klCount == 6 + 9 + 9)
    #expect(statistics.klSum > 0)

    // Directional derivatives by central differences: along the gradient, and along each of the
    // ten coordinates with the largest gradient.
    let g = gradients.buffer.map(Double.init)
    let norm = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
    let top = g.indices.sorted { abs(g[$0]) > abs(g[$1]) }.prefix(10)
    var directions: [[Int: Double]] = [Dictionary(uniqueKeysWithValues: g.indices.map { ($0, g[$0] / norm) })]
    directions += top.map { [$0: 1.0] }
    let h = 1e-3
    for direction in directions {
        let plus = perturbed(current, along: direction, by: h)
        let minus = perturbed(current, along: direction, by: -h)
        let numeric = (loss(grpo, model: plus, responses: responses) - loss(grpo, model: minus, responses: responses)) / (2 * h)
        let analytic = direction.reduce(0) { $0 + g[$1.key] * $1.value }
        #expect(abs(numeric - analytic) <= 2e-2 * abs(analytic) + 2e-3,
                "directional derivative: finite differences \(numeric), gradient \(analytic)")
    }
}

@Test func onPolicyRatiosAreOneAndBetaZeroNeedsNoReference() throws {
    let model = try randomTinyModel(seed: 3)
    let grpo = objective(beta: 0)
    let responses = [0.7, -0.7].enumerated().map { index, advantage in
        let (prompt, response) = randomSequence(index: index, promptLength: 4, responseLength: 8, vocab: model.config.vocabSize)
        return TokenPolicyResponse(prompt: prompt, response: response, advantage: advantage, key: [1, 0, UInt64(index)],
                                   eosTokenID: 0)
    }
    let gradients = FlatBuffer(count: model.layout.totalCount)
    let statistics = grpo.accumulate(model: model, responses: responses, iteration: 0, gradients: gradients)
    // rho = 1 everywhere: the loss is -sum_tokens A, nothing is clipped, no KL.
    #expect(abs(statistics.lossSum - (-0.7 * 8 + 0.7 * 8)) < 1e-12)
    #expect(statistics.clippedCount == 0 && statistics.klCount == 0)
    #expect(gradients.buffer.contains { $0 != 0 })
}

@Test func promptMaskDependsOnTheIterationOnly() {
    let grpo = DiffuGRPOObjective(epsilon: 0.5, beta: 0, promptMaskProbability: 0.5, seed: 5, maskTokenID: 1,
                                  padTokenID: 0, microBatchSize: 1)
    let response = TokenPolicyResponse(prompt: Array(repeating: 7, count: 40), response: [4, 5, 0, 0], advantage: 1,
                                       key: [3, 1, 2], eosTokenID: 0)
    let first = grpo.maskedInput(response, iteration: 0)
    #expect(first == grpo.maskedInput(response, iteration: 0))
    #expect(first != grpo.maskedInput(response, iteration: 1))
    #expect(first.tokens[40...] == [1, 1, 1, 1])
    #expect(first.positions == [40, 41, 42] && first.targets == [4, 5, 0])
    let masked = first.tokens[..<40].filter { $0 == 1 }.count
    #expect(masked > 5 && masked < 35)
}

/// A copy of `model` moved by `step` along a sparse `direction` (parameter index to component).
private func perturbed(_ model: Model, along direction: [Int: Double], by step: Double) -> Model {
    let parameters = FlatBuffer(count: model.parameters.count)
    parameters.copy(from: model.parameters)
    for (index, component) in direction {
        parameters.pointer[index] += Float(step * component)
    }
    return Model(config: model.config, parameters: parameters)
}
