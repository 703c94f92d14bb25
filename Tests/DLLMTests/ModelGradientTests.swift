import Base
import DLLM
import Kernels
import TestSupport
import Testing

/// The model gradient of `sum_i w_i log p(target_i | row_i)` over some masked positions, against
/// central differences of the Double reference model on sampled entries of every tensor.
@Test func backwardMatchesFiniteDifferences() throws {
    let model = try randomTinyModel(seed: 11)
    let config = model.config, seq = 10
    let (tokens, mask) = paddedBatch(config: config, seq: seq, padding: 3, seed: 12)
    var rng = CounterRandom(seed: 13, purpose: .test)
    // Real positions of both sequences, plus one row selected twice.
    let rows: [Int32] = [1, 4, 7, 9, 10, 13, 15, 4]
    let targets = rows.map { _ in Int32(rng.next() % UInt64(config.vocabSize)) }
    let weights = rows.map { _ in 2 * rng.nextDouble() - 0.5 }

    let workspace = Workspace(config: config, batch: 2, seq: seq)
    modelForward(model, tokens: tokens, keyMask: mask, workspace: workspace)
    workspace.zeroLogitGradients()
    let dLogProbs = weights.map(Float.init)
    tokenLogProbBackward(logits: workspace.logits, vocab: config.vocabSize, rows: rows, targets: targets,
                         count: rows.count, dLogProbs: dLogProbs, dLogits: workspace.dLogits)
    // Pre-filled gradients check that the backward accumulates.
    let gradients = FlatBuffer(count: model.layout.totalCount)
    gradients.buffer.update(repeating: 0.25)
    modelBackward(model, workspace: workspace, gradients: gradients)

    let reference = ReferenceModel(config: config)
    var parameters = model.parameters.array.map(Double.init)
    func loss() -> Double {
        reference.weightedLogProb(parameters: parameters, tokens: tokens, mask: mask, batch: 2, seq: seq,
                                  rows: rows, targets: targets, weights: weights)
    }
    for entry in model.layout.entries {
        let samples = 10
        var analytic: [Double] = [], numeric: [Double] = []
        for s in 0..<samples {
            let j = entry.offset + (s * 7919 + 13) % entry.count
            let saved = parameters[j], h = 1e-5
            parameters[j] = saved + h
            let plus = loss()
            parameters[j] = saved - h
            let minus = loss()
            parameters[j] = saved
            numeric.append((plus - minus) / (2 * h))
            analytic.append(Double(gradients.pointer[j]) - 0.25)
        }
        let error = relativeError(analytic, numeric)
        #expect(error < 1e-3, "\(entry.name): relative error \(error)")
    }
}
