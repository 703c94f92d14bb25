/// LLaDA's supervised loss of one micro-batch of ``SupervisedMasking`` samples:
/// `-(1/examples) sum_j l_j`, with `l_j` the weighted masked log-likelihood of sample j.
///
/// `examples` is the number of examples of the whole optimiser batch, so that the losses (and
/// gradients) of its micro-batches add up to the batch mean.
/// logits: `[batch.batch * batch.seq, vocab]`.
public func supervisedLossForward(_ batch: MaskedBatch, logits: UnsafePointer<Float>, vocab: Int, examples: Int) -> Double {
    -elboTermsForward(batch, logits: logits, vocab: vocab).reduce(0, +) / Double(examples)
}

/// Backward of ``supervisedLossForward(_:logits:vocab:examples:)``: accumulates its gradient into `dLogits`.
///
/// logits, dLogits: `[batch.batch * batch.seq, vocab]`.
public func supervisedLossBackward(_ batch: MaskedBatch, logits: UnsafePointer<Float>, vocab: Int, examples: Int,
                                   dLogits: UnsafeMutablePointer<Float>) {
    let dTerms = [Float](repeating: -1 / Float(examples), count: batch.sampleCount)
    elboTermsBackward(batch, logits: logits, vocab: vocab, dTerms: dTerms, dLogits: dLogits)
}
