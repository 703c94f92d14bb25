import DLLM
import Kernels
import RL
import TestSupport
import Testing

private let advantages = [1.2, -0.7, 0.3, -1.5, 0.9]

/// Runs one objective over `responses` and returns its values and gradient.
private func run(_ method: ELBOObjective.Method, model: Model, responses: [ELBOResponse],
                 microBatch: Int = 2) -> (values: [Double], loss: Double, gradients: FlatBuffer) {
    let objective = ELBOObjective(method: method, microBatchSize: microBatch, padTokenID: 0)
    let gradients = FlatBuffer(count: model.layout.totalCount)
    let result = objective.accumulate(model: model, responses: responses, gradients: gradients)
    return (result.values, result.statistics.lossSum, gradients)
}

@Test(arguments: [1, 4, 16])
func onPolicyBGPOEqualsVRPOAndExact(samples: Int) throws {
    let model = try randomTinyModel(seed: 3)
    let responses = elboResponses(advantages: advantages, samples: samples, vocab: model.config.vocabSize)
    let bgpo = run(.bgpo(clip: nil), model: model, responses: responses)
    let clipped = run(.bgpo(clip: PPOClip(epsilon: 0.2, dualClip: 3)), model: model, responses: responses)
    let vrpo = run(.vrpoOL, model: model, responses: responses)
    let exact = run(.elboExact, model: model, responses: responses)
    // On-policy every d_j is 0: every value is A, and every gradient is (A / n_t) sum_j grad l_j.
    for (value, advantage) in zip(bgpo.values, advantages) {
        #expect(abs(value - advantage) < 1e-12)
    }
    for other in [clipped, vrpo, exact] {
        #expect(abs(other.loss - bgpo.loss) < 1e-9)
        let (difference, scale) = maxDifference(other.gradients, bgpo.gradients)
        #expect(scale > 0)
        #expect(difference <= 1e-5 * scale, "gradient differs by \(difference) (scale \(scale))")
    }
}

@Test func offPolicyBGPOIsALowerBoundAndExactEqualsVRPO() throws {
    let old = try randomTinyModel(seed: 3)
    let current = perturbed(old, size: 0.05, seed: 5)
    var responses = elboResponses(advantages: advantages, samples: 4, vocab: old.config.vocabSize)
    let oldTerms = ELBOObjective(method: .bgpo(clip: nil), microBatchSize: 3, padTokenID: 0).terms(model: old, responses: responses)
    for i in responses.indices { responses[i].oldTerms = oldTerms[i] }

    let bgpo = run(.bgpo(clip: nil), model: current, responses: responses)
    let vrpo = run(.vrpoOL, model: current, responses: responses)
    let exact = run(.elboExact, model: current, responses: responses)
    for (lower, value) in zip(bgpo.values, vrpo.values) {
        #expect(lower <= value)
    }
    #expect(zip(bgpo.values, vrpo.values).contains { $0 < $1 - 1e-6 }, "the policies differ, so should the values")
    #expect(abs(exact.loss - vrpo.loss) < 1e-9)
    let (difference, scale) = maxDifference(exact.gradients, vrpo.gradients)
    #expect(difference <= 1e-5 * scale, "elbo-exact gradient differs from vrpo-ol by \(difference) (scale \(scale))")
}

@Test func microBatchingChangesOnlyRounding() throws {
    let model = try randomTinyModel(seed: 4)
    let responses = elboResponses(advantages: advantages, samples: 4, vocab: model.config.vocabSize)
    let one = run(.bgpo(clip: nil), model: model, responses: responses, microBatch: 1)
    let all = run(.bgpo(clip: nil), model: model, responses: responses, microBatch: 5)
    #expect(abs(one.loss - all.loss) < 1e-9)
    let (difference, scale) = maxDifference(one.gradients, all.gradients)
    #expect(difference <= 1e-5 * scale)
}

@Test func zeroAdvantagesGiveAZeroGradient() throws {
    let model = try randomTinyModel(seed: 3)
    let responses = elboResponses(advantages: [0, 0, 0], samples: 4, vocab: model.config.vocabSize)
    for method: ELBOObjective.Method in [.bgpo(clip: nil), .vrpoOL, .elboExact] {
        let result = run(method, model: model, responses: responses)
        #expect(result.loss == 0)
        #expect(result.gradients.buffer.allSatisfy { $0 == 0 })
    }
}

@Test func bgpoClipCutsTheGradientOfClippedSamples() {
    let clip = PPOClip(epsilon: 0.2, dualClip: 3)
    // A > 0: ratios above 1 + eps are clipped; below, not.
    #expect(clip.loss(ratio: 1.5, advantage: 2) == (-2.4, true))
    #expect(clip.loss(ratio: 0.5, advantage: 2) == (-1.0, false))
    // A < 0: ratios below 1 - eps are clipped; above the dual-clip bound c the loss is capped at -A c.
    #expect(clip.loss(ratio: 0.5, advantage: -1) == (0.8, true))
    #expect(clip.loss(ratio: 2.0, advantage: -1) == (2.0, false))
    #expect(clip.loss(ratio: 5.0, advantage: -1) == (3.0, true))
}
