import CKernels

/// Bidirectional multi-head attention with a key padding mask and grouped key/value heads:
/// `out_h = softmax(q_h k_g^T / sqrt(headDim) + mask) v_g` for head `h` and its group `g = h / (heads / kvHeads)`.
///
/// q, out: [batch * seq, heads * headDim]; k, v: [batch * seq, kvHeads * headDim];
/// keyMask: [batch * seq], 1 = real token, 0 = padding key never attended to (nil = all real);
/// probs: [batch, heads, seq, seq] receives the attention probabilities the backward needs (nil:
/// not kept, for a pass no backward follows).
/// A query row whose keys are all padding gets all-zero probabilities (and output).
/// `kvHeads` must divide `heads`. The (sequence, key/value head) pairs are shared among `threads`
/// threads, the result the same whatever their number; with more than one, call it with OpenBLAS
/// single-threaded (``BLAS/singleThreaded(_:)``).
public func attentionForward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                             keyMask: UnsafePointer<UInt8>?, probs: UnsafeMutablePointer<Float>?,
                             out: UnsafeMutablePointer<Float>,
                             batch: Int, seq: Int, heads: Int, kvHeads: Int, headDim: Int, threads: Int = 1) {
    attentionForward(q: q, k: k, v: v, keyMask: keyMask, probs: probs, out: out, batch: batch, queries: seq, seq: seq,
                     heads: heads, kvHeads: kvHeads, headDim: headDim, threads: threads)
}

/// ``attentionForward(q:k:v:keyMask:probs:out:batch:seq:heads:kvHeads:headDim:threads:)`` for
/// `queries` query rows per sequence attending to all `seq` keys of their sequence (a forward-only
/// pass that needs the outputs of some positions only).
///
/// On the `avx512` path (the default where the CPU has it) each key/value head's keys and values
/// are packed once per sequence and every head of its group runs six query rows at a time through
/// `CKernels`' attention (scores, softmax and outputs while the rows' probabilities are in L1, and
/// only there when `probs` is nil); on the `portable` path each head's two products are OpenBLAS's
/// sgemm and its softmax Swift's.
///
/// q, out: [batch * queries, heads * headDim]; k, v: [batch * seq, kvHeads * headDim];
/// keyMask: [batch * seq] or nil; probs: [batch, heads, queries, seq], or nil when not kept.
public func attentionForward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                             keyMask: UnsafePointer<UInt8>?, probs: UnsafeMutablePointer<Float>?,
                             out: UnsafeMutablePointer<Float>,
                             batch: Int, queries: Int, seq: Int, heads: Int, kvHeads: Int, headDim: Int,
                             threads: Int = 1, path: KernelPath = .best) {
    precondition(kvHeads > 0 && heads % kvHeads == 0, "attentionForward: kvHeads \(kvHeads) must divide heads \(heads)")
    precondition(path.isSupported, "attentionForward: this CPU does not run the \(path) path")
    let group = heads / kvHeads
    let qStride = heads * headDim, kvStride = kvHeads * headDim
    let scale = 1 / Float(headDim).squareRoot()
    // Pair (b, g) writes the probabilities and outputs of its group's heads only.
    nonisolated(unsafe) let (q, k, v, keyMask, probs, out) = (q, k, v, keyMask, probs, out)
    forEachShare(of: batch * kvHeads, threads: threads) { first, end in
        // The avx512 path packs each pair's keys and values into buffers of its share; the portable
        // path's scores go through a buffer of the share's when the probabilities are not kept.
        let packed = path == .avx512 ? PackedKeysAndValues(seq: seq, headDim: headDim) : nil
        let scores = probs == nil && packed == nil ? UnsafeMutablePointer<Float>.allocate(capacity: queries * seq) : nil
        defer { scores?.deallocate() }
        for pair in first..<end {
            let (b, g) = pair.quotientAndRemainder(dividingBy: kvHeads)
            let mask = keyMask.map { $0 + b * seq }
            let kg = k + b * seq * kvStride + g * headDim
            let vg = v + b * seq * kvStride + g * headDim
            packed?.pack(keys: kg, values: vg, stride: kvStride)
            for h in g * group ..< (g + 1) * group {
                let qh = q + b * queries * qStride + h * headDim
                let kept = probs.map { $0 + (b * heads + h) * queries * seq }
                let outh = out + b * queries * qStride + h * headDim
                if let packed {
                    bgpo_f32_attention_head(qh, Int32(queries), qStride, packed.keys, packed.values, Int32(seq),
                                            Int32(headDim), scale, mask, kept, packed.rows, outh, qStride)
                } else {
                    // scores: [queries, seq] = scale * q_h k_g^T, in probs or the share's buffer
                    let p = kept ?? scores!
                    sgemm(.none, .transposed, m: queries, n: seq, k: headDim, alpha: scale,
                          a: qh, lda: qStride, b: kg, ldb: kvStride, beta: 0, c: p, ldc: seq)
                    for i in 0..<queries { maskedSoftmaxRow(p + i * seq, mask, seq) }
                    // out_h: [queries, headDim] = p v_g
                    sgemm(.none, .none, m: queries, n: headDim, k: seq,
                          a: p, lda: seq, b: vg, ldb: kvStride, beta: 0, c: outh, ldc: qStride)
                }
            }
        }
    }
}

/// One key/value head's keys and values of one sequence packed for `CKernels`' attention
/// (`bgpo_f32_attention_head`), in 64-byte aligned buffers reused from pair to pair, and the
/// kernel's six rows of probabilities when they are not kept.
private final class PackedKeysAndValues {
    let seq: Int, headDim: Int
    /// k [seq, headDim] packed as bgpo_f32_pack packs a weight; v [seq, headDim] as
    /// bgpo_f32_pack_transposed packs one.
    let keys: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>
    /// [6, seq]: the probability rows of a pass that does not keep them.
    let rows: UnsafeMutablePointer<Float>

    init(seq: Int, headDim: Int) {
        self.seq = seq
        self.headDim = headDim
        func buffer(_ count: Int) -> UnsafeMutablePointer<Float> {
            UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
                .bindMemory(to: Float.self, capacity: count)
        }
        keys = buffer(bgpo_f32_packed_count(Int32(seq), Int32(headDim)))
        values = buffer(bgpo_f32_packed_count(Int32(headDim), Int32(seq)))
        rows = buffer(6 * seq)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
        rows.deallocate()
    }

    /// Packs the keys and values at `keys` and `values`, rows `stride` apart.
    func pack(keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>, stride: Int) {
        bgpo_f32_pack(k, Int32(seq), Int32(headDim), stride, keys)
        bgpo_f32_pack_transposed(v, Int32(headDim), Int32(seq), stride, values)
    }
}

/// Backward of ``attentionForward(q:k:v:keyMask:probs:out:batch:seq:heads:kvHeads:headDim:threads:)``:
/// accumulates into dQ, dK and dV, or writes them when `accumulate` is false (what they held is
/// ignored: no zeroing first).
///
/// q, dOut, dQ: [batch * seq, heads * headDim]; k, v, dK, dV: [batch * seq, kvHeads * headDim];
/// probs: [batch, heads, seq, seq] from the forward (masked keys have probability 0, so the mask
/// is not needed again). The (sequence, key/value head) pairs are shared among `threads` threads,
/// the result the same whatever their number; with more than one, call it with OpenBLAS
/// single-threaded (``BLAS/singleThreaded(_:)``).
public func attentionBackward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                              probs: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                              dQ: UnsafeMutablePointer<Float>, dK: UnsafeMutablePointer<Float>,
                              dV: UnsafeMutablePointer<Float>,
                              batch: Int, seq: Int, heads: Int, kvHeads: Int, headDim: Int, threads: Int = 1,
                              accumulate: Bool = true) {
    precondition(kvHeads > 0 && heads % kvHeads == 0, "attentionBackward: kvHeads \(kvHeads) must divide heads \(heads)")
    let group = heads / kvHeads
    let qStride = heads * headDim, kvStride = kvHeads * headDim
    let scale = 1 / Float(headDim).squareRoot()
    // Pair (b, g) writes its group's heads' rows of dQ and its own rows of dK and dV only.
    nonisolated(unsafe) let (q, k, v, probs, dOut, dQ, dK, dV) = (q, k, v, probs, dOut, dQ, dK, dV)
    forEachShare(of: batch * kvHeads, threads: threads) { first, end in
        // dP, then dS: [seq, seq], one per share.
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: seq * seq)
        defer { scratch.deallocate() }
        for pair in first..<end {
            let (b, g) = pair.quotientAndRemainder(dividingBy: kvHeads)
            let kvOffset = b * seq * kvStride + g * headDim
            for h in g * group ..< (g + 1) * group {
                let qOffset = b * seq * qStride + h * headDim
                let p = probs + (b * heads + h) * seq * seq
                // Each head writes its own columns of dQ once; the group's first head starts dK and dV.
                let dQBeta: Float = accumulate ? 1 : 0, dKVBeta: Float = accumulate || h > g * group ? 1 : 0
                // dP: [seq, seq] = dOut_h v_g^T
                sgemm(.none, .transposed, m: seq, n: seq, k: headDim,
                      a: dOut + qOffset, lda: qStride, b: v + kvOffset, ldb: kvStride, beta: 0, c: scratch, ldc: seq)
                // dV_g += p^T dOut_h (or = for the group's first head when not accumulating)
                sgemm(.transposed, .none, m: seq, n: headDim, k: seq,
                      a: p, lda: seq, b: dOut + qOffset, ldb: qStride, beta: dKVBeta, c: dV + kvOffset, ldc: kvStride)
                // dS = p * (dP - rowsum(p * dP)) * scale, in place in scratch
                for i in 0..<seq {
                    let pr = p + i * seq
                    let dr = scratch + i * seq
                    let rowDot = dot(pr, dr, seq)
                    for o in stride(from: 0, to: seq, by: FloatVector.scalarCount) {
                        let lanes = min(FloatVector.scalarCount, seq - o)
                        let pv = loadVector(pr + o, lanes)
                        storeVector(pv * (loadVector(dr + o, lanes) - rowDot) * scale, dr + o, lanes)
                    }
                }
                // dQ_h += dS k_g; dK_g += dS^T q_h
                sgemm(.none, .none, m: seq, n: headDim, k: seq,
                      a: scratch, lda: seq, b: k + kvOffset, ldb: kvStride, beta: dQBeta, c: dQ + qOffset, ldc: qStride)
                sgemm(.transposed, .none, m: seq, n: headDim, k: seq,
                      a: scratch, lda: seq, b: q + qOffset, ldb: qStride, beta: dKVBeta, c: dK + kvOffset, ldc: kvStride)
            }
        }
    }
}

/// Softmax of one score row in place, with padding keys (mask byte 0) given probability 0; a row of
/// padding only becomes zeros, a row with a NaN score NaN.
///
/// row: [count]; mask: [count] or nil.
@inline(__always)
func maskedSoftmaxRow(_ row: UnsafeMutablePointer<Float>, _ mask: UnsafePointer<UInt8>?, _ count: Int) {
    if let mask {
        for o in stride(from: 0, to: count, by: FloatVector.scalarCount) {
            let lanes = min(FloatVector.scalarCount, count - o)
            let padding = loadMaskBytes(mask + o, lanes) .== 0
            storeVector(loadVector(row + o, lanes).replacing(with: -.infinity, where: padding), row + o, lanes)
        }
    }
    let m = maxElement(row, count)
    guard m > -.infinity else {
        // No key above -inf: all padding (zeros), or NaN scores (NaN, as a partly NaN row gets).
        let nan = (0..<count).contains { row[$0].isNaN }
        row.update(repeating: nan ? .nan : 0, count: count)
        return
    }
    var sum = FloatVector()
    for o in stride(from: 0, to: count, by: FloatVector.scalarCount) {
        let lanes = min(FloatVector.scalarCount, count - o)
        let e = vectorExp(loadVector(row + o, lanes, padding: -.infinity) - m)
        sum += e
        storeVector(e, row + o, lanes)
    }
    let inverse = 1 / sum.sum()
    for o in stride(from: 0, to: count, by: FloatVector.scalarCount) {
        let lanes = min(FloatVector.scalarCount, count - o)
        storeVector(loadVector(row + o, lanes) * inverse, row + o, lanes)
    }
}

/// Loads `lanes` mask bytes widened to 32-bit lanes (missing lanes read as 1, a real token).
@inline(__always)
func loadMaskBytes(_ p: UnsafePointer<UInt8>, _ lanes: Int) -> SIMD16<Int32> {
    if lanes == 16 {
        return SIMD16<Int32>(truncatingIfNeeded: UnsafeRawPointer(p).loadUnaligned(as: SIMD16<UInt8>.self))
    }
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { buffer in
        buffer.initialize(repeating: 1)
        for i in 0..<lanes { buffer[i] = p[i] }
        return SIMD16<Int32>(truncatingIfNeeded: UnsafeRawPointer(buffer.baseAddress!).loadUnaligned(as: SIMD16<UInt8>.self))
    }
}
