/// Embedding lookup: `out[i, :] = table[tokens[i], :]`.
///
/// tokens: [count], each in `0..<vocab`; table: [vocab, dim]; out: [count, dim].
public func embeddingForward(tokens: UnsafePointer<Int32>, table: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                             count: Int, vocab: Int, dim: Int) {
    for i in 0..<count {
        let token = Int(tokens[i])
        precondition(token >= 0 && token < vocab, "embeddingForward: token \(token) at \(i) outside 0..<\(vocab)")
        (out + i * dim).update(from: table + token * dim, count: dim)
    }
}

/// Backward of ``embeddingForward(tokens:table:out:count:vocab:dim:)``: `dTable[tokens[i], :] += dOut[i, :]`.
///
/// tokens: [count]; dOut: [count, dim]; dTable: [vocab, dim].
public func embeddingBackward(tokens: UnsafePointer<Int32>, dOut: UnsafePointer<Float>, dTable: UnsafeMutablePointer<Float>,
                              count: Int, vocab: Int, dim: Int) {
    for i in 0..<count {
        let token = Int(tokens[i])
        precondition(token >= 0 && token < vocab, "embeddingBackward: token \(token) at \(i) outside 0..<\(vocab)")
        let src = dOut + i * dim
        let dst = dTable + token * dim
        for o in stride(from: 0, to: dim, by: FloatVector.scalarCount) {
            let lanes = min(FloatVector.scalarCount, dim - o)
            storeVector(loadVector(dst + o, lanes) + loadVector(src + o, lanes), dst + o, lanes)
        }
    }
}
