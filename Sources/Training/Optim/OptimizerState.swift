import Base
import Kernels

/// AdamW's first and second moments over the flat parameter buffer, and its update count.
public final class OptimizerState {
    /// exp_avg: `[parameter count]`, the same layout as the parameters.
    public let m: FlatBuffer
    /// exp_avg_sq: `[parameter count]`, the same layout as the parameters.
    public let v: FlatBuffer
    /// How many updates have been applied (AdamW's bias-correction step).
    public var updates: Int = 0

    /// Zero moments for `count` parameters.
    public init(count: Int) {
        m = FlatBuffer(count: count)
        v = FlatBuffer(count: count)
    }

    /// Applies one AdamW update with `settings`' betas, epsilon and weight decay at `learningRate`;
    /// returns whether every parameter is finite after it.
    @discardableResult
    public func apply(parameters: FlatBuffer, gradients: FlatBuffer, learningRate: Double, settings: AdamWSettings) -> Bool {
        updates += 1
        return adamwStep(parameters: parameters.pointer, gradients: gradients.pointer, m: m.pointer, v: v.pointer,
                         count: parameters.count, learningRate: Float(learningRate), beta1: Float(settings.beta1),
                         beta2: Float(settings.beta2), epsilon: Float(settings.epsilon),
                         weightDecay: Float(settings.weightDecay), step: updates)
    }
}
