/// A model whose forward pass fills a workspace's logits: a ``Model``, a ``BF16Model``, a
/// ``LoRAModel`` with its adapters on, or the frozen base of one alone (``LoRAModel/baseOnly``).
///
/// The sampler decodes with any of them (``ModelRunner``), and the objectives compute the old or
/// reference policy's log-probabilities with them.
public protocol ForwardModel: AnyObject {
    /// The model's shape.
    var config: ModelConfig { get }
    /// A workspace for `batch` sequences of `seq` tokens that this model's passes can use.
    func makeWorkspace(batch: Int, seq: Int) -> Workspace
    /// The forward pass of every position (`positions` nil), keeping in `workspace` what a backward
    /// needs, as ``modelForward(_:tokens:keyMask:workspace:)``; or for the logits of `positions` of
    /// every sequence only, as ``modelForward(_:tokens:keyMask:workspace:positions:)``.
    func forward(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, workspace: Workspace,
                 positions: Range<Int>?)
    /// The forward pass of `positions` of every sequence only, every other position's keys and
    /// values read from `workspace`'s previous pass (block-wise caching, approximate), as
    /// ``modelForward(_:tokens:keyMask:workspace:recomputing:)``.
    func forward(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, workspace: Workspace,
                 recomputing positions: Range<Int>)
}

extension ForwardModel {
    /// The forward pass of every position, keeping in `workspace` what a backward needs.
    public func forward(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, workspace: Workspace) {
        forward(tokens: tokens, keyMask: keyMask, workspace: workspace, positions: nil)
    }
}

extension Model: ForwardModel {
    /// A plain ``Workspace``.
    public func makeWorkspace(batch: Int, seq: Int) -> Workspace {
        Workspace(config: config, batch: batch, seq: seq)
    }

    /// ``modelForward(_:tokens:keyMask:workspace:)`` or, with positions,
    /// ``modelForward(_:tokens:keyMask:workspace:positions:)``.
    public func forward(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, workspace: Workspace,
                        positions: Range<Int>?) {
        if let positions {
            modelForward(self, tokens: tokens, keyMask: keyMask, workspace: workspace, positions: positions)
        } else {
            modelForward(self, tokens: tokens, keyMask: keyMask, workspace: workspace)
        }
    }

    /// ``modelForward(_:tokens:keyMask:workspace:recomputing:)``.
    public func forward(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, workspace: Workspace,
                        recomputing positions: Range<Int>) {
        modelForward(self, tokens: tokens, keyMask: keyMask, workspace: workspace, recomputing: positions)
    }
}

extension BF16Model: ForwardModel {
    /// A plain ``Workspace``.
    public func makeWorkspace(batch: Int, seq: Int) -> Workspace {
        Workspace(config: config, batch: batch, seq: seq)
    }

    /// The forward pass over the bfloat16 weights, widened piece by piece.
    public func forward(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, workspace ws: Workspace,
                        positions: Range<Int>?) {
        run(tokens: tokens, keyMask: keyMask, workspace: ws, scope: .logits(of: positions))
    }

    /// The block-cached pass over the bfloat16 weights.
    public func forward(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, workspace ws: Workspace,
                        recomputing positions: Range<Int>) {
        run(tokens: tokens, keyMask: keyMask, workspace: ws, scope: .recomputing(positions))
    }

    private func run(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, workspace ws: Workspace,
                     scope: ForwardScope) {
        precondition(ws.config == config, "BF16Model.forward: workspace was built for another model configuration")
        DLLM.forward(config: config, layout: layout, weights: widened, tokens: tokens, keyMask: keyMask, workspace: ws,
                     scope: scope)
    }
}
