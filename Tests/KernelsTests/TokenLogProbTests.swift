import Base
import Foundation
import Kernels
import Testing

/// `log softmax(logits[rows[i]])[targets[i]]` in Double; logits: [N, vocab].
func referenceTokenLogProbs(_ logits: [Double], vocab: Int, rows: [Int32], targets: [Int32]) -> [Double] {
    zip(rows, targets).map { row, target in
        let x = logits[(Int(row) * vocab)..<(Int(row) * vocab + vocab)]
        let m = x.max()!
        let lse = m + log(x.reduce(0) { $0 + exp($1 - m) })
        return logits[Int(row) * vocab + Int(target)] - lse
    }
}

/// Row 2 is selected twice and row 3 never; vocab 21 leaves a partial vector chunk.
private let vocab = 21
private let rows: [Int32] = [0, 2, 4, 2, 1]
private let targets: [Int32] = [5, 20, 0, 7, 5]

@Test func tokenLogProbForwardAndBackward() {
    let logits = randomValues(5 * vocab, seed: 80, scale: 6)
    let logProbs = FlatBuffer(count: rows.count)
    tokenLogProbForward(logits: logits, vocab: vocab, rows: rows, targets: targets,
                        count: rows.count, logProbs: logProbs.pointer)
    let expected = referenceTokenLogProbs(logits.map(Double.init), vocab: vocab, rows: rows, targets: targets)
    #expect(relativeError(logProbs.array, expected) < 1e-6)

    checkGradients(inputs: [logits], wrt: [0], names: ["logits"], seed: 81,
                   reference: { referenceTokenLogProbs($0[0], vocab: vocab, rows: rows, targets: targets) },
                   backward: { inputs, dOut, grads in
                       tokenLogProbBackward(logits: inputs[0].pointer, vocab: vocab, rows: rows, targets: targets,
                                            count: rows.count, dLogProbs: dOut.pointer, dLogits: grads[0].pointer)
                   })
}

@Test func weightedCrossEntropyForwardAndBackward() {
    let logits = randomValues(5 * vocab, seed: 82, scale: 6)
    let weights: [Float] = [0.5, 2, 1, -1, 3]
    func reference(_ x: [[Double]]) -> [Double] {
        let lp = referenceTokenLogProbs(x[0], vocab: vocab, rows: rows, targets: targets)
        return [-zip(lp, weights).reduce(0) { $0 + $1.0 * Double($1.1) }]
    }
    let loss = weightedCrossEntropyForward(logits: logits, vocab: vocab, rows: rows,
                                           targets: targets, weights: weights, count: rows.count)
    #expect(relativeError([loss], reference([logits.map(Double.init)])) < 1e-6)

    checkGradients(inputs: [logits], wrt: [0], names: ["logits"], seed: 83,
                   reference: reference,
                   backward: { inputs, dOut, grads in
                       weightedCrossEntropyBackward(logits: inputs[0].pointer, vocab: vocab, rows: rows, targets: targets,
                                                    weights: weights, count: rows.count, dLoss: dOut.pointer[0],
                                                    dLogits: grads[0].pointer)
                   })
}

@Test func tokenLogProbIsStableForLargeLogits() {
    let logits: [Float] = [1000, 0, -1000, 999]
    let logProbs = FlatBuffer(count: 2)
    tokenLogProbForward(logits: logits, vocab: 4, rows: [0, 0], targets: [0, 3], count: 2, logProbs: logProbs.pointer)
    let expected = referenceTokenLogProbs(logits.map(Double.init), vocab: 4, rows: [0, 0], targets: [0, 3])
    #expect(logProbs.array.allSatisfy { $0.isFinite })
    #expect(relativeError(logProbs.array, expected) < 1e-6)
}
