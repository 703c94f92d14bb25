import Base
import DLLM
import Foundation
import RunConfig
import TestSupport
import Testing
import Training

private let advantages = [1.2, -0.7, 0.3, -1.5, 0.9]

/// Runs one objective over `responses` and returns its values and gradient.
private func run(_ method: ELBOObjective.Method, model: Model, responses: [ELBOResponse],
                 microBatch: Int = 2) -> (values: [Double], loss: Double, gradients: FlatBuffer) {
    let objective = elboObjective(method, samples: responses[0].samples.count, microBatch: microBatch)
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
    let oldTerms = elboObjective(.bgpo(clip: nil), samples: 4, microBatch: 3).terms(model: old, responses: responses)
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

// MARK: - Off-policy values and gradients against a plain Double implementation

/// Per response: its advantage and the log-ratios d_j = l_theta(j) - l_old(j) of its three
/// samples, chosen so that `bgpo_clip` (eps 0.2, c 3) meets each of its regions.
private let offPolicyCases: [(advantage: Double, d: [Double])] = [
    (1.2, [0.1, 0.5, -0.5]),    // A > 0: rho = 1 + d: inside the band, clipped (1.5), below the band (not clipped)
    (-0.7, [0.1, -0.5, 1.5]),   // A < 0: rho = e^d: inside, clipped (0.61), dual-clipped (4.48 > c)
    (-1.5, [0.7, 0.05, -0.1]),  // A < 0: 2.01 above the band (not clipped, below c), inside, inside
    (0.9, [-0.3, 0.3, 0]),      // A > 0: 0.7 (not clipped), 1.3 (clipped), 1
]
/// How many samples of ``offPolicyCases`` the clip cuts: 1 + 2 + 0 + 1.
private let offPolicyClipped = 4.0
private let testClip = PPOClip(epsilon: 0.2, dualClip: 3)

/// The reference code's clipped surrogate loss, written out: `max(-A rho, -A clip(rho, 1-eps, 1+eps))`,
/// then for A < 0 `min(., -A c)`.
private func clippedLoss(ratio rho: Double, advantage a: Double, epsilon: Double, c: Double) -> Double {
    let surrogate = max(-a * rho, -a * min(max(rho, 1 - epsilon), 1 + epsilon))
    return a < 0 ? min(surrogate, -a * c) : surrogate
}

/// The objective value of one response from its current and old terms, in plain Double.
private func expectedValue(_ method: ELBOObjective.Method, advantage a: Double, terms: [Double], old: [Double]) -> Double {
    let n = Double(terms.count)
    let d = zip(terms, old).map { $0 - $1 }
    switch method {
    case .bgpo(let bound, nil):
        // Lemma 1's tangent form for A >= 0, Lemma 2's exponential for A < 0; or one of them throughout.
        let tangent = bound == .taylor || (bound == .both && a >= 0)
        return d.reduce(0) { $0 + (tangent ? (1 + $1) * a : exp($1) * a) / n }
    case .bgpo(let bound, let clip?):
        let tangent = bound == .taylor || (bound == .both && a > 0)
        return d.reduce(0) { sum, d in
            sum - clippedLoss(ratio: tangent ? 1 + d : exp(d), advantage: a, epsilon: clip.epsilon, c: clip.dualClip!) / n
        }
    case .vrpoOL, .elboExact:
        return exp(terms.reduce(0, +) / n - old.reduce(0, +) / n) * a
    }
}

/// The responses of ``offPolicyCases`` at `model`, with old terms set so that each d_j is as listed.
private func offPolicyResponses(_ model: Model) -> [ELBOResponse] {
    var responses = elboResponses(advantages: offPolicyCases.map(\.advantage), samples: 3, vocab: model.config.vocabSize)
    for (r, testCase) in offPolicyCases.enumerated() {
        responses[r].oldTerms = zip(responses[r].samples, testCase.d).map { referenceTerm(model, $0) - $1 }
    }
    return responses
}

@Test(arguments: [ELBOObjective.Method.bgpo(clip: nil), .bgpo(clip: testClip), .bgpo(bound: .taylor, clip: nil),
                  .bgpo(bound: .jensen, clip: nil), .vrpoOL, .elboExact])
func offPolicyValuesAndGradientsMatchThePlainFormula(method: ELBOObjective.Method) throws {
    let model = perturbed(try randomTinyModel(seed: 3), size: 0.05, seed: 5)
    let responses = offPolicyResponses(model)
    let objective = elboObjective(method, samples: responses[0].samples.count, microBatch: 3)
    let gradients = FlatBuffer(count: model.layout.totalCount)
    let result = objective.accumulate(model: model, responses: responses, gradients: gradients)

    func expectedValues(_ model: Model) -> [Double] {
        responses.map { response in
            expectedValue(method, advantage: response.advantage, terms: response.samples.map { referenceTerm(model, $0) },
                          old: response.oldTerms!)
        }
    }
    let expected = expectedValues(model)
    for (r, (value, wanted)) in zip(result.values, expected).enumerated() {
        #expect(abs(value - wanted) <= 1e-4 * (1 + abs(wanted)), "response \(r): \(value), expected \(wanted)")
    }
    #expect(abs(result.statistics.lossSum + expected.reduce(0, +)) <= 1e-4 * (1 + abs(expected.reduce(0, +))))
    if case .bgpo(_, let clip) = method {
        #expect(result.statistics.clipCandidates == (clip == nil ? 0 : 12))
        #expect(result.statistics.clippedCount == (clip == nil ? 0 : offPolicyClipped))
    }
    // The gradient of the loss -sum_r value_r, by central differences of the plain formula.
    let mismatches = finiteDifferenceMismatches(gradient: gradients, model: model) { moved in
        -expectedValues(moved).reduce(0, +)
    }
    #expect(mismatches.isEmpty, "\(mismatches)")
}

@Test func bgpoClipRegionsGiveTheirValues() {
    // Exact values of each region (eps 0.2, c 3), written out by hand.
    let cases: [(ratio: Double, advantage: Double, value: Double, clipped: Bool)] = [
        (1.1, 2, -2.2, false),   // A > 0 inside the band: -A rho
        (1.5, 2, -2.4, true),    // A > 0 above the band: -A (1 + eps)
        (0.5, 2, -1.0, false),   // A > 0 below the band: -A rho (the max keeps the unclipped term)
        (0.9, -1, 0.9, false),   // A < 0 inside: -A rho
        (0.5, -1, 0.8, true),    // A < 0 below the band: -A (1 - eps)
        (2.0, -1, 2.0, false),   // A < 0 above the band, below c: -A rho
        (5.0, -1, 3.0, true),    // A < 0 above c: dual clip -A c
    ]
    for testCase in cases {
        let (value, clipped) = testClip.loss(ratio: testCase.ratio, advantage: testCase.advantage)
        #expect(abs(value - testCase.value) < 1e-12 && clipped == testCase.clipped, "\(testCase)")
        #expect(abs(clippedLoss(ratio: testCase.ratio, advantage: testCase.advantage, epsilon: 0.2, c: 3) - testCase.value) < 1e-12)
    }
}
