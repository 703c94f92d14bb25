import Base
import DLLM
import Foundation
import Training

/// A copy of `model` with every weight moved by a uniform draw in [-size, size].
func perturbed(_ model: Model, size: Float, seed: UInt64) -> Model {
    let parameters = FlatBuffer(count: model.parameters.count)
    parameters.copy(from: model.parameters)
    var rng = CounterRandom(seed: seed, purpose: .test, 99)
    for i in 0..<parameters.count {
        parameters.pointer[i] += size * (2 * rng.nextFloat() - 1)
    }
    return Model(config: model.config, parameters: parameters)
}

/// A prompt and a response of random ordinary tokens (ids 3 and up); the prompts differ in
/// length so that micro-batches need left padding. `eosAt` puts EOS from that response index on.
func randomSequence(index: Int, promptLength: Int, responseLength: Int, vocab: Int,
                    eosAt: Int? = nil) -> (prompt: [Int32], response: [Int32]) {
    var rng = CounterRandom(seed: 7, purpose: .test, UInt64(index))
    let token = { Int32(3 + rng.nextIndex(below: vocab - 3)) }
    let prompt = [Int32(2)] + (1..<promptLength).map { _ in token() }
    var response = (0..<responseLength).map { _ in token() }
    if let eosAt {
        for i in eosAt..<responseLength { response[i] = 0 }
    }
    return (prompt, response)
}

/// The objective tests' masking: n_t stratified masked samples per response, normalised by length.
func testMasking(samples: Int) -> LikelihoodMasking {
    LikelihoodMasking(estimator: .stratified, normalizedByLength: true, samples: samples, maskTokenID: 1, seed: 11)
}

/// An ELBO objective whose masking draws `samples` masked copies per response (``testMasking(samples:)``).
func elboObjective(_ method: ELBOObjective.Method, samples: Int, microBatch: Int) -> ELBOObjective {
    ELBOObjective(method: method, masking: testMasking(samples: samples), microBatchSize: microBatch, padTokenID: 0)
}

/// ELBO responses with n_t stratified masked samples each and the given advantages.
func elboResponses(advantages: [Double], samples: Int, vocab: Int) -> [ELBOResponse] {
    let masking = testMasking(samples: samples)
    return advantages.enumerated().map { index, advantage in
        let (prompt, response) = randomSequence(index: index, promptLength: 3 + index % 3, responseLength: 10, vocab: vocab)
        let drawn = masking.samples(prompt: prompt, response: response, step: 1, promptIndex: UInt64(index / 2),
                                    responseIndex: UInt64(index % 2))
        return ELBOResponse(samples: drawn, advantage: advantage)
    }
}

/// `max_i |a_i - b_i|` and `max_i |b_i|` of two gradient buffers.
func maxDifference(_ a: FlatBuffer, _ b: FlatBuffer) -> (difference: Float, scale: Float) {
    var difference: Float = 0, scale: Float = 0
    for i in 0..<a.count {
        difference = max(difference, abs(a.pointer[i] - b.pointer[i]))
        scale = max(scale, abs(b.pointer[i]))
    }
    return (difference, scale)
}

/// The log-probability (Double, from the model's logits) of `targets[k]` at `positions[k]` when
/// the model reads `tokens` alone: written apart from the objectives' code, for expected values.
func referenceLogProbs(_ model: Model, tokens: [Int32], positions: [Int32], targets: [Int32]) -> [Double] {
    let runner = ModelRunner(model: model)
    let vocab = model.config.vocabSize
    let logits = tokens.withUnsafeBufferPointer {
        runner.logits(tokens: $0.baseAddress!, keyMask: nil, batch: 1, seq: tokens.count)
    }
    return zip(positions, targets).map { position, target in
        let row = (0..<vocab).map { Double(logits[Int(position) * vocab + $0]) }
        let m = row.max()!
        return row[Int(target)] - m - log(row.reduce(0) { $0 + exp($1 - m) })
    }
}

/// The ELBO term `sum_i weight_i log p(target_i)` of a masked sample, in Double from the logits.
func referenceTerm(_ model: Model, _ sample: MaskedSample) -> Double {
    let logProbs = referenceLogProbs(model, tokens: sample.tokens, positions: sample.positions, targets: sample.targets)
    return zip(sample.weights, logProbs).reduce(0) { $0 + Double($1.0) * $1.1 }
}

/// A copy of `model` moved by `step` along a sparse `direction` (parameter index to component).
func perturbed(_ model: Model, along direction: [Int: Double], by step: Double) -> Model {
    let parameters = FlatBuffer(count: model.parameters.count)
    parameters.copy(from: model.parameters)
    for (index, component) in direction {
        parameters.pointer[index] += Float(step * component)
    }
    return Model(config: model.config, parameters: parameters)
}

/// Checks `gradient` (the analytic gradient of `loss` at `model`) against central differences of
/// `loss` along the gradient's direction and along each of the ten coordinates with the largest
/// gradient; returns the failures as messages.
func finiteDifferenceMismatches(gradient: FlatBuffer, model: Model, loss: (Model) -> Double,
                                h: Double = 1e-3) -> [String] {
    let g = gradient.buffer.map(Double.init)
    let norm = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
    guard norm > 0 else { return ["the gradient is zero"] }
    let top = g.indices.sorted { abs(g[$0]) > abs(g[$1]) }.prefix(10)
    var directions: [[Int: Double]] = [Dictionary(uniqueKeysWithValues: g.indices.map { ($0, g[$0] / norm) })]
    directions += top.map { [$0: 1.0] }
    var failures: [String] = []
    for direction in directions {
        let numeric = (loss(perturbed(model, along: direction, by: h)) - loss(perturbed(model, along: direction, by: -h))) / (2 * h)
        let analytic = direction.reduce(0) { $0 + g[$1.key] * $1.value }
        if !(abs(numeric - analytic) <= 2e-2 * abs(analytic) + 2e-3) {
            failures.append("directional derivative: finite differences \(numeric), gradient \(analytic)")
        }
    }
    return failures
}
