import DLLM
import Kernels
import RL

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

/// ELBO responses with n_t stratified masked samples each and the given advantages.
func elboResponses(advantages: [Double], samples: Int, vocab: Int) -> [ELBOResponse] {
    let masking = LikelihoodMasking(estimator: .stratifiedNormalized, samples: samples, maskTokenID: 1, seed: 11)
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
