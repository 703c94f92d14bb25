/// Runs a model forward-only for sampling: a ``DenoisingModel`` over one reusable workspace.
///
/// The model is a ``Model`` (F32 weights) or a ``BF16Model`` (bfloat16 weights, half the memory).
/// The workspace is kept between calls and rebuilt only when the batch shape changes. (The
/// forward keeps its activations for a backward nobody runs; a forward-only path would save that
/// memory, not time.)
public final class ModelRunner: DenoisingModel {
    /// The shape of the model run.
    public let config: ModelConfig
    private let run: (UnsafePointer<Int32>, UnsafePointer<UInt8>?, Workspace) -> Void
    private var workspace: Workspace?

    /// Creates a runner for `model`.
    public init(model: Model) {
        config = model.config
        run = { modelForward(model, tokens: $0, keyMask: $1, workspace: $2) }
    }

    /// Creates a runner for the bfloat16 `model`, with its widening scratch.
    public init(model: BF16Model) {
        config = model.config
        let weights = BF16Weights(model: model)
        run = { forward(config: model.config, layout: model.layout, weights: weights, tokens: $0, keyMask: $1, workspace: $2) }
    }

    /// The model's vocabulary size.
    public var vocabSize: Int { config.vocabSize }
    /// The model's maximum sequence length.
    public var maxSequence: Int { config.maxSeq }

    /// Runs the forward pass and returns the workspace's logits.
    public func logits(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, batch: Int, seq: Int) -> UnsafePointer<Float> {
        let ws: Workspace
        if let current = workspace, current.batch == batch, current.seq == seq {
            ws = current
        } else {
            workspace = nil
            ws = Workspace(config: config, batch: batch, seq: seq)
            workspace = ws
        }
        run(tokens, keyMask, ws)
        return UnsafePointer(ws.logits)
    }
}
