/// Runs a model forward-only for sampling: a ``DenoisingModel`` over one reusable workspace.
///
/// The model is a ``Model`` (F32 weights), a ``BF16Model`` (bfloat16 weights, half the memory) or a
/// ``LoRAModel`` (adapters on or off).
/// The workspace is kept between calls and rebuilt only when the batch shape changes. (The
/// forward keeps its activations for a backward nobody runs; a forward-only path would save that
/// memory, not time.) A call that names the positions it reads runs the last block on those rows
/// only (``modelForward(_:tokens:keyMask:workspace:positions:)``).
public final class ModelRunner: DenoisingModel {
    /// The shape of the model run.
    public let config: ModelConfig
    /// The forward pass over the model's weights; a nil range means every position.
    private let run: (UnsafePointer<Int32>, UnsafePointer<UInt8>?, Workspace, Range<Int>?) -> Void
    /// The adapters whose hiddens the workspace must hold, if any.
    private let adapters: AdapterLayout?
    private var workspace: Workspace?

    /// Creates a runner for `model`.
    public convenience init(model: Model) {
        self.init(config: model.config, layout: model.layout, weights: F32Weights(base: model.parameters.pointer),
                  keeping: model)
    }

    /// Creates a runner for the bfloat16 `model`, with its widening scratch.
    public convenience init(model: BF16Model) {
        self.init(config: model.config, layout: model.layout, weights: BF16Weights(model: model), keeping: model)
    }

    /// Creates a runner for the adapted `model`, its adapters on or (the base alone) off.
    public convenience init(model: LoRAModel, adapters use: AdapterSwitch) {
        self.init(config: model.config, adapters: use == .on ? model.layout : nil) { tokens, keyMask, ws, positions in
            model.forward(tokens: tokens, keyMask: keyMask, workspace: ws, adapters: use, positions: positions)
        }
    }

    /// A runner of the forward pass over `weights`; `owner` keeps the storage they point into alive.
    private convenience init<W: ForwardWeights>(config: ModelConfig, layout: ParameterLayout, weights: W,
                                                keeping owner: AnyObject) {
        self.init(config: config, adapters: nil) { tokens, keyMask, ws, positions in
            withExtendedLifetime(owner) {
                if let positions {
                    forward(config: config, layout: layout, weights: weights, tokens: tokens, keyMask: keyMask,
                            workspace: ws, positions: positions)
                } else {
                    forward(config: config, layout: layout, weights: weights, tokens: tokens, keyMask: keyMask,
                            workspace: ws)
                }
            }
        }
    }

    /// A runner of `run`, whose workspaces hold the hiddens of `adapters` when given.
    private init(config: ModelConfig, adapters: AdapterLayout?,
                 run: @escaping (UnsafePointer<Int32>, UnsafePointer<UInt8>?, Workspace, Range<Int>?) -> Void) {
        self.config = config
        self.adapters = adapters
        self.run = run
    }

    /// The model's vocabulary size.
    public var vocabSize: Int { config.vocabSize }
    /// The model's maximum sequence length.
    public var maxSequence: Int { config.maxSeq }

    /// Runs the forward pass and returns the workspace's logits.
    public func logits(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, batch: Int, seq: Int) -> UnsafePointer<Float> {
        let ws = workspace(batch: batch, seq: seq)
        run(tokens, keyMask, ws, nil)
        return UnsafePointer(ws.logits)
    }

    /// Runs the forward pass for the logits of `positions` of every sequence only and returns the
    /// workspace's logits (other rows unspecified).
    public func logits(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, batch: Int, seq: Int,
                       positions: Range<Int>) -> UnsafePointer<Float> {
        let ws = workspace(batch: batch, seq: seq)
        run(tokens, keyMask, ws, positions)
        return UnsafePointer(ws.logits)
    }

    /// The kept workspace, rebuilt for a new shape.
    private func workspace(batch: Int, seq: Int) -> Workspace {
        if let current = workspace, current.batch == batch, current.seq == seq {
            return current
        }
        workspace = nil
        let ws = Workspace(config: config, batch: batch, seq: seq, adapters: adapters)
        workspace = ws
        return ws
    }
}
