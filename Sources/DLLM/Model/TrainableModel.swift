import Base

/// A model as a trainer sees it: one flat F32 buffer of trainable parameters (every weight of a
/// ``Model``; the adapters of a ``LoRAModel``), whose gradients and optimiser moments are buffers of
/// the same size and layout, and the forward/backward pair that fills the gradients.
public protocol TrainableModel: AnyObject {
    /// The model's shape.
    var config: ModelConfig { get }
    /// What the optimiser updates.
    var trainableParameters: FlatBuffer { get }
    /// The named tensors of ``trainableParameters``, in buffer order.
    var trainableEntries: [TensorEntry] { get }
    /// A workspace for `batch` sequences of `seq` tokens that this model's passes can use.
    func makeWorkspace(batch: Int, seq: Int) -> Workspace
    /// The forward pass, keeping in `workspace` what the backward needs (see ``modelForward(_:tokens:keyMask:workspace:)``).
    func forward(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, workspace: Workspace)
    /// The backward pass of the last forward in `workspace`, reading its `dLogits` and ACCUMULATING
    /// into `gradients` (`[trainableParameters.count]`).
    func backward(workspace: Workspace, gradients: FlatBuffer)
}

extension Model: TrainableModel {
    /// Every weight.
    public var trainableParameters: FlatBuffer { parameters }
    /// Every tensor of the ``ParameterLayout``.
    public var trainableEntries: [TensorEntry] { layout.entries }

    /// A plain ``Workspace``.
    public func makeWorkspace(batch: Int, seq: Int) -> Workspace {
        Workspace(config: config, batch: batch, seq: seq)
    }

    /// ``modelForward(_:tokens:keyMask:workspace:)``.
    public func forward(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, workspace: Workspace) {
        modelForward(self, tokens: tokens, keyMask: keyMask, workspace: workspace)
    }

    /// ``modelBackward(_:workspace:gradients:)``.
    public func backward(workspace: Workspace, gradients: FlatBuffer) {
        modelBackward(self, workspace: workspace, gradients: gradients)
    }
}
