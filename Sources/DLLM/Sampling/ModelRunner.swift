/// Runs a model forward-only for sampling: a ``DenoisingModel`` over one reusable workspace.
///
/// The model is any ``ForwardModel``: a ``Model`` (F32 weights), a ``BF16Model`` (bfloat16 weights,
/// half the memory), a ``LoRAModel`` with its adapters on, or its base alone (``LoRAModel/baseOnly``).
/// The workspace is kept between calls and rebuilt only when the batch shape changes. (The
/// forward keeps its activations for a backward nobody runs; a forward-only path would save that
/// memory, not time.) A call that names the positions it reads runs the last block on those rows
/// only (``modelForward(_:tokens:keyMask:workspace:positions:)``); a cached call recomputes those
/// rows only over the keys and values the previous pass left in the workspace
/// (``modelForward(_:tokens:keyMask:workspace:recomputing:)``).
public final class ModelRunner: DenoisingModel {
    /// The model run.
    public let model: any ForwardModel
    private var workspace: Workspace?
    /// Whether the workspace holds every position's keys and values of a previous pass.
    private var keysAndValuesKept = false

    /// Creates a runner for `model`.
    public init(model: any ForwardModel) {
        self.model = model
    }

    /// The shape of the model run.
    public var config: ModelConfig { model.config }

    /// The model's vocabulary size.
    public var vocabSize: Int { config.vocabSize }
    /// The model's maximum sequence length.
    public var maxSequence: Int { config.maxSeq }

    /// Runs the forward pass and returns the workspace's logits.
    public func logits(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, batch: Int, seq: Int) -> UnsafePointer<Float> {
        let ws = workspace(batch: batch, seq: seq)
        model.forward(tokens: tokens, keyMask: keyMask, workspace: ws, positions: nil)
        keysAndValuesKept = true
        return UnsafePointer(ws.logits)
    }

    /// Runs the forward pass for the logits of `positions` of every sequence only and returns the
    /// workspace's logits (other rows unspecified).
    public func logits(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, batch: Int, seq: Int,
                       positions: Range<Int>) -> UnsafePointer<Float> {
        let ws = workspace(batch: batch, seq: seq)
        model.forward(tokens: tokens, keyMask: keyMask, workspace: ws, positions: positions)
        keysAndValuesKept = true
        return UnsafePointer(ws.logits)
    }

    /// Recomputes `positions` of every sequence only, over the keys and values of the previous pass
    /// (same batch and sequence length), and returns the workspace's logits (other rows unspecified).
    public func cachedLogits(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, batch: Int, seq: Int,
                             positions: Range<Int>) -> UnsafePointer<Float> {
        guard let ws = workspace, ws.batch == batch, ws.seq == seq, keysAndValuesKept else {
            preconditionFailure("ModelRunner.cachedLogits: no previous pass of \(batch) x \(seq) tokens to reuse")
        }
        model.forward(tokens: tokens, keyMask: keyMask, workspace: ws, recomputing: positions)
        return UnsafePointer(ws.logits)
    }

    /// The kept workspace, rebuilt for a new shape.
    private func workspace(batch: Int, seq: Int) -> Workspace {
        if let current = workspace, current.batch == batch, current.seq == seq {
            return current
        }
        workspace = nil
        keysAndValuesKept = false
        let ws = model.makeWorkspace(batch: batch, seq: seq)
        workspace = ws
        return ws
    }
}
