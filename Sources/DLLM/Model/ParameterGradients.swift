import Kernels

/// What the backward pass does at each operation with weights: pass the gradient on to the
/// operation's input, and accumulate the gradients of whatever trains (every weight of a ``Model``,
/// or only the adapters of a ``LoRAModel``).
///
/// Offsets are those of the ``ParameterLayout``.
protocol ParameterGradients {
    /// Backward of the linear layer with weight `[outFeatures, inFeatures]` at `offset`:
    /// `dX += dY W` (`=` when `accumulate` is false) plus the trained parameters' gradients.
    /// x: the forward's input, [rows, inFeatures]; dY: [rows, outFeatures]; dX: [rows, inFeatures].
    func linear(x: UnsafePointer<Float>, weightAt offset: Int, dY: UnsafePointer<Float>, dX: UnsafeMutablePointer<Float>,
                rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool)
    /// Backward of the RMSNorm with weight `[dim]` at `offset`: adds into dX (as ``rmsnormBackward(x:weight:rstd:dY:dX:dWeight:rows:dim:)``).
    /// x, dY, dX: [rows, dim]; rstd: [rows].
    func norm(x: UnsafePointer<Float>, weightAt offset: Int, rstd: UnsafePointer<Float>, dY: UnsafePointer<Float>,
              dX: UnsafeMutablePointer<Float>, rows: Int, dim: Int)
    /// Backward of the embedding lookup with table `[vocab, dim]` at `offset`.
    /// tokens: [count]; dOut: [count, dim].
    func embedding(tokens: UnsafePointer<Int32>, dOut: UnsafePointer<Float>, tableAt offset: Int, count: Int,
                   vocab: Int, dim: Int)
    /// The threads among which the backward shares its own work (attention, rotary, SwiGLU),
    /// OpenBLAS running single-threaded meanwhile; 1 when OpenBLAS runs with its own threads.
    var threads: Int { get }
}

extension ParameterGradients {
    /// One: the backward's own work on the calling thread, OpenBLAS's products on its own threads.
    var threads: Int { 1 }
}

/// Full fine-tuning: every weight of the F32 buffer gets its gradient, in the same layout.
struct FullGradients: ParameterGradients {
    /// The parameter buffer.
    let weights: UnsafePointer<Float>
    /// The gradient buffer, added to.
    let gradients: UnsafeMutablePointer<Float>

    /// ``linearBackward(x:weight:dY:dX:dWeight:rows:inFeatures:outFeatures:accumulate:)``: dX and dW.
    func linear(x: UnsafePointer<Float>, weightAt offset: Int, dY: UnsafePointer<Float>, dX: UnsafeMutablePointer<Float>,
                rows: Int, inFeatures: Int, outFeatures: Int, accumulate: Bool) {
        linearBackward(x: x, weight: weights + offset, dY: dY, dX: dX, dWeight: gradients + offset, rows: rows,
                       inFeatures: inFeatures, outFeatures: outFeatures, accumulate: accumulate)
    }

    /// ``rmsnormBackward(x:weight:rstd:dY:dX:dWeight:rows:dim:)`` with the weight's gradient.
    func norm(x: UnsafePointer<Float>, weightAt offset: Int, rstd: UnsafePointer<Float>, dY: UnsafePointer<Float>,
              dX: UnsafeMutablePointer<Float>, rows: Int, dim: Int) {
        rmsnormBackward(x: x, weight: weights + offset, rstd: rstd, dY: dY, dX: dX, dWeight: gradients + offset,
                        rows: rows, dim: dim)
    }

    /// ``embeddingBackward(tokens:dOut:dTable:count:vocab:dim:)`` into the table's gradient.
    func embedding(tokens: UnsafePointer<Int32>, dOut: UnsafePointer<Float>, tableAt offset: Int, count: Int,
                   vocab: Int, dim: Int) {
        embeddingBackward(tokens: tokens, dOut: dOut, dTable: gradients + offset, count: count, vocab: vocab, dim: dim)
    }
}
