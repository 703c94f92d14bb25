import Kernels

/// Where a forward pass reads its weights from: the F32 parameter buffer of a ``Model``, or the
/// BF16 storage of a ``BF16Model`` widened piece by piece.
///
/// Offsets are those of the ``ParameterLayout``; every pointer a method returns is valid until
/// the next call.
protocol ForwardWeights {
    /// Embedding lookup: `out[i, :] = wte[tokens[i], :]` with the table at `offset`.
    /// tokens: [count]; table: [vocab, dim]; out: [count, dim].
    func embed(tokens: UnsafePointer<Int32>, tableAt offset: Int, out: UnsafeMutablePointer<Float>,
               count: Int, vocab: Int, dim: Int)
    /// The `count` weights at `offset` as F32 (a norm weight).
    func vector(at offset: Int, count: Int) -> UnsafePointer<Float>
    /// `y = x W^T` (or `y += x W^T` when `accumulate`) with W the `[outFeatures, inFeatures]` matrix at `offset`.
    /// x: [rows, inFeatures]; y: [rows, outFeatures].
    func linear(x: UnsafePointer<Float>, weightAt offset: Int, y: UnsafeMutablePointer<Float>,
                rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool)
    /// `y = residual + x W^T` (a residual connection), W as in the other `linear`.
    /// x: [rows, inFeatures]; residual, y: [rows, outFeatures], not overlapping.
    func linear(x: UnsafePointer<Float>, weightAt offset: Int, residual: UnsafePointer<Float>,
                y: UnsafeMutablePointer<Float>, rows: Int, inFeatures: Int, outFeatures: Int)
    /// The threads among which the pass shares its own work (attention, norms, rotary, SwiGLU),
    /// OpenBLAS running single-threaded meanwhile; 1 when OpenBLAS runs with its own threads.
    var threads: Int { get }
    /// Whether the pass keeps attention's probabilities in the workspace for a backward: false for
    /// a pass no backward follows, whose attention then writes none (``Kernels/attentionForward(q:k:v:keyMask:probs:out:batch:queries:seq:heads:kvHeads:headDim:threads:path:)``
    /// with `probs` nil).
    var keepsProbabilities: Bool { get }
}

extension ForwardWeights {
    /// One: the pass's own work on the calling thread, OpenBLAS's products on its own threads.
    var threads: Int { 1 }
    /// True: a backward may follow.
    var keepsProbabilities: Bool { true }

    /// The residual copied into `y`, then the product added.
    func linear(x: UnsafePointer<Float>, weightAt offset: Int, residual: UnsafePointer<Float>,
                y: UnsafeMutablePointer<Float>, rows: Int, inFeatures: Int, outFeatures: Int) {
        y.update(from: residual, count: rows * outFeatures)
        linear(x: x, weightAt: offset, y: y, rows: rows, inFeatures: inFeatures, outFeatures: outFeatures, accumulate: true)
    }
}

/// The weights of a ``Model``: its F32 buffer, used in place.
struct F32Weights: ForwardWeights {
    /// The parameter buffer.
    let base: UnsafePointer<Float>

    func embed(tokens: UnsafePointer<Int32>, tableAt offset: Int, out: UnsafeMutablePointer<Float>,
               count: Int, vocab: Int, dim: Int) {
        embeddingForward(tokens: tokens, table: base + offset, out: out, count: count, vocab: vocab, dim: dim)
    }

    func vector(at offset: Int, count: Int) -> UnsafePointer<Float> { base + offset }

    func linear(x: UnsafePointer<Float>, weightAt offset: Int, y: UnsafeMutablePointer<Float>,
                rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool) {
        linearForward(x: x, weight: base + offset, y: y, rows: rows, inFeatures: inFeatures, outFeatures: outFeatures,
                      accumulate: accumulate)
    }
}
