#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Per-row log-probability of selected targets, the likelihood primitive:
/// `logProbs[i] = log softmax(logits[rows[i], :])[targets[i]]`.
///
/// logits: [N, vocab]; rows, targets: [count] (a row may be selected several times); logProbs: [count].
public func tokenLogProbForward(logits: UnsafePointer<Float>, vocab: Int, rows: UnsafePointer<Int32>,
                                targets: UnsafePointer<Int32>, count: Int, logProbs: UnsafeMutablePointer<Float>) {
    for i in 0..<count {
        logProbs[i] = rowLogProb(logits, vocab: vocab, row: rows[i], target: targets[i])
    }
}

/// Backward of ``tokenLogProbForward(logits:vocab:rows:targets:count:logProbs:)``:
/// `dLogits[rows[i], :] += dLogProbs[i] * (onehot(targets[i]) - softmax(logits[rows[i], :]))`.
///
/// logits, dLogits: [N, vocab]; rows, targets, dLogProbs: [count].
public func tokenLogProbBackward(logits: UnsafePointer<Float>, vocab: Int, rows: UnsafePointer<Int32>,
                                 targets: UnsafePointer<Int32>, count: Int, dLogProbs: UnsafePointer<Float>,
                                 dLogits: UnsafeMutablePointer<Float>) {
    for i in 0..<count {
        accumulateRowLogProbGradient(logits, dLogits, vocab: vocab, row: rows[i], target: targets[i], scale: dLogProbs[i])
    }
}

/// Weighted cross-entropy over selected positions: returns `-sum_i weights[i] * logProb_i`,
/// with `logProb_i` as in ``tokenLogProbForward(logits:vocab:rows:targets:count:logProbs:)``.
///
/// logits: [N, vocab]; rows, targets, weights: [count].
public func weightedCrossEntropyForward(logits: UnsafePointer<Float>, vocab: Int, rows: UnsafePointer<Int32>,
                                        targets: UnsafePointer<Int32>, weights: UnsafePointer<Float>,
                                        count: Int) -> Float {
    var loss: Double = 0
    for i in 0..<count {
        loss -= Double(weights[i]) * Double(rowLogProb(logits, vocab: vocab, row: rows[i], target: targets[i]))
    }
    return Float(loss)
}

/// Backward of ``weightedCrossEntropyForward(logits:vocab:rows:targets:weights:count:)`` for an upstream
/// gradient `dLoss`: `dLogits[rows[i], :] -= dLoss * weights[i] * (onehot(targets[i]) - softmax)`.
///
/// logits, dLogits: [N, vocab]; rows, targets, weights: [count].
public func weightedCrossEntropyBackward(logits: UnsafePointer<Float>, vocab: Int, rows: UnsafePointer<Int32>,
                                         targets: UnsafePointer<Int32>, weights: UnsafePointer<Float>, count: Int,
                                         dLoss: Float, dLogits: UnsafeMutablePointer<Float>) {
    for i in 0..<count {
        accumulateRowLogProbGradient(logits, dLogits, vocab: vocab, row: rows[i], target: targets[i],
                                     scale: -dLoss * weights[i])
    }
}

/// The maximum `m` of one row and `log(sum(exp(x - m)))`; keeping them apart keeps `x - m` exact.
@inline(__always)
func shiftedLogSumExp(_ x: UnsafePointer<Float>, _ count: Int) -> (max: Float, logSum: Float) {
    let m = maxElement(x, count)
    var sum = FloatVector()
    for o in stride(from: 0, to: count, by: FloatVector.scalarCount) {
        let lanes = min(FloatVector.scalarCount, count - o)
        sum += vectorExp(loadVector(x + o, lanes, padding: -.infinity) - m)
    }
    return (m, log(sum.sum()))
}

/// The log-probability of `target` under `softmax(logits[row, :])`.
@inline(__always)
func rowLogProb(_ logits: UnsafePointer<Float>, vocab: Int, row: Int32, target: Int32) -> Float {
    precondition(target >= 0 && Int(target) < vocab, "token log-prob: target \(target) outside 0..<\(vocab)")
    let x = logits + Int(row) * vocab
    let (m, logSum) = shiftedLogSumExp(x, vocab)
    return (x[Int(target)] - m) - logSum
}

/// `dLogits[row, :] += scale * (onehot(target) - softmax(logits[row, :]))`.
@inline(__always)
func accumulateRowLogProbGradient(_ logits: UnsafePointer<Float>, _ dLogits: UnsafeMutablePointer<Float>,
                                  vocab: Int, row: Int32, target: Int32, scale: Float) {
    precondition(target >= 0 && Int(target) < vocab, "token log-prob: target \(target) outside 0..<\(vocab)")
    let x = logits + Int(row) * vocab
    let d = dLogits + Int(row) * vocab
    let (m, logSum) = shiftedLogSumExp(x, vocab)
    for o in stride(from: 0, to: vocab, by: FloatVector.scalarCount) {
        let lanes = min(FloatVector.scalarCount, vocab - o)
        let p = vectorExp((loadVector(x + o, lanes) - m) - logSum)
        storeVector(loadVector(d + o, lanes) - p * scale, d + o, lanes)
    }
    d[Int(target)] += scale
}
