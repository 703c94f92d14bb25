import Base
import Kernels

/// The activations of one forward pass for one `(batch, seq)` shape, kept for the backward, plus the
/// scratch the backward needs; allocated once and reused by every forward/backward pair.
///
/// Every slice lives in one 64-byte aligned buffer; slices are named per layer (``LayerSlices``).
/// Several workspaces may be alive at once, each holding its own forward pass.
public final class Workspace {
    /// The model shape this workspace was built for.
    public let config: ModelConfig
    /// Sequences per forward pass.
    public let batch: Int
    /// Tokens per sequence.
    public let seq: Int
    /// Output logits, [batch * seq, vocab]; valid after ``modelForward(_:tokens:keyMask:workspace:)``.
    public let logits: UnsafeMutablePointer<Float>
    /// Gradient of the loss with respect to ``logits``, [batch * seq, vocab]; the caller fills it
    /// (usually after ``zeroLogitGradients()``) before ``modelBackward(_:workspace:gradients:)``.
    public let dLogits: UnsafeMutablePointer<Float>

    let storage: FlatBuffer
    /// Input tokens of the last forward, [batch * seq].
    let tokens: UnsafeMutablePointer<Int32>
    /// Per-layer activation slices (offsets into ``storage``).
    let layers: [LayerSlices]
    /// Input of the final norm, rstd and normed output: [batch * seq, d], [batch * seq], [batch * seq, d].
    let finalInput: Int, finalRstd: Int, finalNormed: Int
    /// Rotary tables, [seq, headDim / 2] each.
    let cos: Int, sin: Int
    /// Backward scratch slices (offsets into ``storage``).
    let scratch: ScratchSlices
    /// The hidden activations of LoRA adapters, when the workspace was built for them.
    let adapterSlices: AdapterSlices?

    /// Allocates the workspace for `batch` sequences of `seq` tokens (`1 <= seq <= config.maxSeq`),
    /// with room for the `[batch * seq, rank]` hiddens of the LoRA adapters `adapters` when given.
    public init(config: ModelConfig, batch: Int, seq: Int, adapters: AdapterLayout? = nil) {
        precondition(batch > 0 && seq > 0 && seq <= config.maxSeq,
                     "Workspace: batch \(batch) and seq \(seq) must be positive, seq at most maxSeq \(config.maxSeq)")
        self.config = config
        self.batch = batch
        self.seq = seq
        let n = batch * seq, d = config.dModel, hd = config.nHeads * config.headDim
        let kvd = config.nKVHeads * config.headDim, m = config.mlpHidden, half = config.headDim / 2
        var carver = SliceCarver()
        layers = (0..<config.nLayers).map { _ in
            LayerSlices(input: carver.take(n * d), attnRstd: carver.take(n), attnNormed: carver.take(n * d),
                        q: carver.take(n * hd), k: carver.take(n * kvd), v: carver.take(n * kvd),
                        probs: carver.take(batch * config.nHeads * seq * seq), context: carver.take(n * hd),
                        hidden: carver.take(n * d), ffRstd: carver.take(n), ffNormed: carver.take(n * d),
                        gate: carver.take(n * m), up: carver.take(n * m), act: carver.take(n * m))
        }
        finalInput = carver.take(n * d)
        finalRstd = carver.take(n)
        finalNormed = carver.take(n * d)
        let logitsOffset = carver.take(n * config.vocabSize)
        let dLogitsOffset = carver.take(n * config.vocabSize)
        cos = carver.take(seq * half)
        sin = carver.take(seq * half)
        scratch = ScratchSlices(dResidual: carver.take(n * d), dNormed: carver.take(n * d),
                                dQ: carver.take(n * hd), dK: carver.take(n * kvd), dV: carver.take(n * kvd),
                                dContext: carver.take(n * hd), dKRotated: carver.take(n * kvd),
                                dGate: carver.take(n * m), dUp: carver.take(n * m), dAct: carver.take(n * m))
        adapterSlices = adapters.map { AdapterSlices(layout: $0, rows: n, carver: &carver) }
        storage = FlatBuffer(count: carver.count)
        logits = storage.pointer + logitsOffset
        dLogits = storage.pointer + dLogitsOffset
        tokens = .allocate(capacity: n)
        tokens.initialize(repeating: 0, count: n)
        rotaryTables(cos: storage.pointer + cos, sin: storage.pointer + sin, seq: seq, headDim: config.headDim,
                     theta: config.ropeTheta)
    }

    deinit {
        tokens.deallocate()
    }

    /// Sets every element of ``dLogits`` to zero.
    public func zeroLogitGradients() {
        dLogits.update(repeating: 0, count: batch * seq * config.vocabSize)
    }

    /// Bytes held by this workspace (activations, logits, their gradients and backward scratch).
    public var byteCount: Int {
        storage.count * MemoryLayout<Float>.stride + batch * seq * MemoryLayout<Int32>.stride
    }
}

/// Offsets (into the workspace storage) of what one block's forward keeps for its backward.
/// n = batch * seq rows; d = dModel; hd = nHeads * headDim; kvd = nKVHeads * headDim; m = mlpHidden.
struct LayerSlices {
    /// x: [n, d], the block input (residual stream).
    var input: Int
    /// [n], rsqrt(mean(x^2) + eps) of attn_norm.
    var attnRstd: Int
    /// [n, d], attn_norm(x).
    var attnNormed: Int
    /// [n, hd], queries after the rotary embedding.
    var q: Int
    /// [n, kvd], keys after the rotary embedding.
    var k: Int
    /// [n, kvd], values.
    var v: Int
    /// [batch, nHeads, seq, seq], attention probabilities.
    var probs: Int
    /// [n, hd], attention output before attn_out.
    var context: Int
    /// h: [n, d], x + attn_out(context).
    var hidden: Int
    /// [n], rsqrt of ff_norm.
    var ffRstd: Int
    /// [n, d], ff_norm(h).
    var ffNormed: Int
    /// [n, m], ff_proj output (the SiLU gate).
    var gate: Int
    /// [n, m], up_proj output.
    var up: Int
    /// [n, m], silu(gate) * up.
    var act: Int
}

/// Offsets of the backward's temporary gradients; sizes as in ``LayerSlices``.
struct ScratchSlices {
    /// [n, d], gradient flowing along the residual stream.
    var dResidual: Int
    /// [n, d], gradient of a norm's output.
    var dNormed: Int
    /// [n, hd], [n, kvd], [n, kvd]: gradients of the rotated queries, rotated keys and values.
    var dQ: Int, dK: Int, dV: Int
    /// [n, hd], gradient of the attention output, then of the queries before the rotary embedding.
    var dContext: Int
    /// [n, kvd], gradient of the keys before the rotary embedding.
    var dKRotated: Int
    /// [n, m] each: gradients of the gate, up and SwiGLU output.
    var dGate: Int, dUp: Int, dAct: Int
}

/// Hands out consecutive 64-byte aligned slices of a buffer that is allocated afterwards.
struct SliceCarver {
    /// Elements handed out so far, rounded up to whole 16-float lines.
    private(set) var count = 0

    /// The offset of a new slice of `n` floats.
    mutating func take(_ n: Int) -> Int {
        defer { count += (n + 15) / 16 * 16 }
        return count
    }
}
