/// Runs a ``Model`` forward-only for sampling: a ``DenoisingModel`` over one reusable workspace.
///
/// The workspace is kept between calls and rebuilt only when the batch shape changes. (The
/// forward keeps its activations for a backward nobody runs; a forward-only path would save that
/// memory, not time.) A call that names the positions it reads runs the last block on those rows
/// only (``modelForward(_:tokens:keyMask:workspace:positions:)``).
public final class ModelRunner: DenoisingModel {
    /// The model run.
    public let model: Model
    private var workspace: Workspace?

    /// Creates a runner for `model`.
    public init(model: Model) {
        self.model = model
    }

    /// The model's vocabulary size.
    public var vocabSize: Int { model.config.vocabSize }
    /// The model's maximum sequence length.
    public var maxSequence: Int { model.config.maxSeq }

    /// Runs ``modelForward(_:tokens:keyMask:workspace:)`` and returns the workspace's logits.
    public func logits(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, batch: Int, seq: Int) -> UnsafePointer<Float> {
        let ws = workspace(batch: batch, seq: seq)
        modelForward(model, tokens: tokens, keyMask: keyMask, workspace: ws)
        return UnsafePointer(ws.logits)
    }

    /// Runs ``modelForward(_:tokens:keyMask:workspace:positions:)`` and returns the workspace's logits.
    public func logits(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, batch: Int, seq: Int,
                       positions: Range<Int>) -> UnsafePointer<Float> {
        let ws = workspace(batch: batch, seq: seq)
        modelForward(model, tokens: tokens, keyMask: keyMask, workspace: ws, positions: positions)
        return UnsafePointer(ws.logits)
    }

    /// The kept workspace, rebuilt for a new shape.
    private func workspace(batch: Int, seq: Int) -> Workspace {
        if let current = workspace, current.batch == batch, current.seq == seq {
            return current
        }
        workspace = nil
        let ws = Workspace(config: model.config, batch: batch, seq: seq)
        workspace = ws
        return ws
    }
}
