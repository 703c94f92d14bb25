/// A model whose forward pass fills a workspace's logits: a ``Model``, a ``BF16Model``, a
/// ``LoRAModel`` with its adapters on, or the frozen base of one alone (``LoRAModel/baseOnly``).
///
/// The sampler decodes with any of them (``ModelRunner``), and the objectives compute the old or
/// reference policy's log-probabilities with them.
public protocol ForwardModel: AnyObject {
    /// The model's shape.
    var config: ModelConfig { get }
    /// Whether passes over this model may run at the same time on different workspaces: false when
    /// its passes share a scratch buffer (bfloat16 weights widened for F32 products).
    var allowsConcurrentPasses: Bool { get }
    /// A workspace for `batch` sequences of `seq` tokens that this model's passes can use.
    func makeWorkspace(batch: Int, seq: Int) -> Workspace
    /// The pass `scope` names: every position (keeping in `workspace` what a backward needs, as
    /// ``modelForward(_:tokens:keyMask:workspace:)``), the logits of some positions of every
    /// sequence only (``modelForward(_:tokens:keyMask:workspace:positions:)``), or some positions
    /// recomputed over the keys and values of `workspace`'s previous pass (block-wise caching,
    /// approximate: ``modelForward(_:tokens:keyMask:workspace:recomputing:)``).
    func forward(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, workspace: Workspace, scope: ForwardScope)
}

/// Which pass a model runs: every position, the logits of some positions, or some positions
/// recomputed over cached keys and values; one dispatch for every model type and weight storage.
public enum ForwardScope: Sendable, Equatable {
    /// Every position (`nil`), or the logits of these positions of every sequence only.
    case logits(of: Range<Int>?)
    /// These positions of every sequence, over the other positions' cached keys and values.
    case recomputing(Range<Int>)
}

extension ForwardModel {
    /// A plain ``Workspace`` (models with adapters make one with room for them).
    public func makeWorkspace(batch: Int, seq: Int) -> Workspace {
        Workspace(config: config, batch: batch, seq: seq)
    }

    /// The forward pass of every position, keeping in `workspace` what a backward needs.
    public func forward(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, workspace: Workspace) {
        forward(tokens: tokens, keyMask: keyMask, workspace: workspace, scope: .logits(of: nil))
    }

    /// The forward pass of every position (`positions` nil), or for the logits of `positions` of
    /// every sequence only.
    public func forward(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, workspace: Workspace,
                        positions: Range<Int>?) {
        forward(tokens: tokens, keyMask: keyMask, workspace: workspace, scope: .logits(of: positions))
    }

    /// The pass of `positions` of every sequence only, every other position's keys and values read
    /// from `workspace`'s previous pass (block-wise caching, approximate).
    public func forward(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, workspace: Workspace,
                        recomputing positions: Range<Int>) {
        forward(tokens: tokens, keyMask: keyMask, workspace: workspace, scope: .recomputing(positions))
    }
}

extension Model: ForwardModel {
    /// True: the passes only read the parameters.
    public var allowsConcurrentPasses: Bool { true }

    /// The pass over the F32 parameters.
    public func forward(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, workspace ws: Workspace,
                        scope: ForwardScope) {
        DLLM.forward(config: config, layout: layout, weights: F32Weights(base: parameters.pointer), tokens: tokens,
                     keyMask: keyMask, workspace: ws, scope: scope)
    }
}

extension BF16Model: ForwardModel {
    /// False: every pass widens into the model's one scratch buffer.
    public var allowsConcurrentPasses: Bool { false }

    /// The pass over the bfloat16 weights, widened piece by piece.
    public func forward(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, workspace ws: Workspace,
                        scope: ForwardScope) {
        DLLM.forward(config: config, layout: layout, weights: widened, tokens: tokens, keyMask: keyMask, workspace: ws,
                     scope: scope)
    }
}
