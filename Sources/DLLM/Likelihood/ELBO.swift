import Kernels

/// Per-sample ELBO terms of a forward's logits: `l_j = sum_{i in sample j} weights[i] * log p(targets[i])`.
///
/// logits: `[batch.batch * batch.seq, vocab]`. Returns `[batch.sampleCount]`, summed in Double.
public func elboTermsForward(_ batch: MaskedBatch, logits: UnsafePointer<Float>, vocab: Int) -> [Double] {
    var logProbs = [Float](repeating: 0, count: batch.count)
    batch.rows.withUnsafeBufferPointer { rows in
        batch.targets.withUnsafeBufferPointer { targets in
            logProbs.withUnsafeMutableBufferPointer { out in
                guard let r = rows.baseAddress, let t = targets.baseAddress, let o = out.baseAddress else { return }
                tokenLogProbForward(logits: logits, vocab: vocab, rows: r, targets: t, count: batch.count, logProbs: o)
            }
        }
    }
    return (0..<batch.sampleCount).map { j in
        var term = 0.0
        for i in batch.sampleOffsets[j]..<batch.sampleOffsets[j + 1] {
            term += Double(batch.weights[i]) * Double(logProbs[i])
        }
        return term
    }
}

/// Backward of ``elboTermsForward(_:logits:vocab:)``: given `dTerms[j] = dLoss/dl_j`, accumulates
/// `dLogits[rows[i], :] += dTerms[j] * weights[i] * (onehot(targets[i]) - softmax(logits[rows[i], :]))`.
///
/// logits, dLogits: `[batch.batch * batch.seq, vocab]`; dTerms: `[batch.sampleCount]`.
public func elboTermsBackward(_ batch: MaskedBatch, logits: UnsafePointer<Float>, vocab: Int, dTerms: [Float],
                              dLogits: UnsafeMutablePointer<Float>) {
    precondition(dTerms.count == batch.sampleCount, "elboTermsBackward: \(dTerms.count) gradients for \(batch.sampleCount) samples")
    var dLogProbs = [Float](repeating: 0, count: batch.count)
    for j in 0..<batch.sampleCount {
        for i in batch.sampleOffsets[j]..<batch.sampleOffsets[j + 1] {
            dLogProbs[i] = dTerms[j] * batch.weights[i]
        }
    }
    batch.rows.withUnsafeBufferPointer { rows in
        batch.targets.withUnsafeBufferPointer { targets in
            dLogProbs.withUnsafeBufferPointer { d in
                guard let r = rows.baseAddress, let t = targets.baseAddress, let g = d.baseAddress else { return }
                tokenLogProbBackward(logits: logits, vocab: vocab, rows: r, targets: t, count: batch.count,
                                     dLogProbs: g, dLogits: dLogits)
            }
        }
    }
}
