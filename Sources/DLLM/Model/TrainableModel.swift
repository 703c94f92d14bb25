import Base

/// A model as a trainer sees it: one flat F32 buffer of trainable parameters (every weight of a
/// ``Model``; the adapters of a ``LoRAModel``), whose gradients and optimiser moments are buffers of
/// the same size and layout, and the backward pass that fills the gradients.
public protocol TrainableModel: ForwardModel {
    /// What the optimiser updates.
    var trainableParameters: FlatBuffer { get }
    /// Where the named tensors of ``trainableParameters`` (and of its gradients and moments) lie.
    var trainableLayout: any TensorLayout { get }
    /// The backward pass of the last forward of every position run in `workspace`, reading its
    /// `dLogits` and ACCUMULATING into `gradients` (`[trainableParameters.count]`).
    func backward(workspace: Workspace, gradients: FlatBuffer)
}

extension Model: TrainableModel {
    /// Every weight.
    public var trainableParameters: FlatBuffer { parameters }
    /// The ``ParameterLayout``.
    public var trainableLayout: any TensorLayout { layout }

    /// ``modelBackward(_:workspace:gradients:)``.
    public func backward(workspace: Workspace, gradients: FlatBuffer) {
        modelBackward(self, workspace: workspace, gradients: gradients)
    }
}
