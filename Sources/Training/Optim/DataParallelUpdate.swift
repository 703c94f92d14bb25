import Base
import Cluster
import RunConfig

/// AdamW's hyper-parameters and the global gradient-norm clip of an update.
public struct AdamWSettings: Sendable, Equatable {
    /// Adam β1.
    public var beta1: Double
    /// Adam β2.
    public var beta2: Double
    /// Adam ε.
    public var epsilon: Double
    /// Decoupled weight decay.
    public var weightDecay: Double
    /// Global gradient-norm clip (L2); 0 turns clipping off.
    public var maxGradNorm: Double

    /// Creates settings.
    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0.01,
                maxGradNorm: Double = 1) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.maxGradNorm = maxGradNorm
    }

    /// The `optim` section's betas, epsilon, weight decay and clip (its learning rate and schedule
    /// are the ``LearningRateSchedule``'s).
    public init(_ settings: OptimizerSettings) {
        self.init(beta1: settings.adamBeta1, beta2: settings.adamBeta2, epsilon: settings.adamEpsilon,
                  weightDecay: settings.weightDecay, maxGradNorm: settings.maxGradNorm)
    }
}

/// What one applied update did.
public struct AppliedUpdate: Sendable, Equatable {
    /// The global gradient norm before clipping.
    public var gradientNorm: Double
    /// The learning rate of the update.
    public var learningRate: Double
}

/// The one data-parallel optimiser update of every trainer: a gradient buffer the trainer
/// accumulates into, its sum over the ranks, global-norm clipping, and AdamW on the trained buffer.
///
/// Every rank holds the same trained weights and calls the same methods in the same order: after
/// ``allReduce(scalars:)`` the gradients are the same on every rank, so ``apply(step:gradientScale:)``
/// takes the same step everywhere and the weights stay equal.
public final class DataParallelUpdate {
    /// The weights being trained, updated in place: `[count]`.
    public let parameters: FlatBuffer
    /// The gradient accumulator: `[count]`, the layout of ``parameters``.
    public let gradients: FlatBuffer
    /// AdamW's moments and update count.
    public let optimizer: OptimizerState
    /// The learning rate of each update.
    public let schedule: LearningRateSchedule
    /// AdamW's hyper-parameters and the clip.
    public let settings: AdamWSettings
    private let communicator: any Communicator

    /// An update of `parameters` with fresh moments and a zero gradient.
    public init(parameters: FlatBuffer, schedule: LearningRateSchedule, settings: AdamWSettings,
                communicator: any Communicator) {
        self.parameters = parameters
        self.schedule = schedule
        self.settings = settings
        self.communicator = communicator
        gradients = FlatBuffer(count: parameters.count)
        optimizer = OptimizerState(count: parameters.count)
    }

    /// Zeroes the gradient buffer before an accumulation.
    public func zeroGradients() {
        gradients.zero()
    }

    /// Sums the gradients over the ranks, then `scalars` (the losses and counts the update is
    /// normalised by), and returns the summed scalars.
    public func allReduce(scalars: [Double]) throws -> [Double] {
        try communicator.allReduceSum(gradients.pointer, count: gradients.count)
        return try communicator.allReduceSum(scalars: scalars)
    }

    /// Sums the gradients over the ranks, then `sums`, and returns the summed `sums`.
    public func allReduce<S: FieldwiseSums>(_ sums: S) throws -> S {
        S(packed: try allReduce(scalars: sums.packed))
    }

    /// Applies the update of training step `step`: the summed gradients times `gradientScale`
    /// (when given), clipped to ``AdamWSettings/maxGradNorm``, then one AdamW step at the
    /// schedule's next rate.
    ///
    /// - Throws: ``TrainingError/nonFinite(step:quantity:value:)`` when the gradient norm is not
    ///   finite (no update is applied), ``TrainingError/nonFiniteWeights(step:source:)`` when the
    ///   weights are not after the update (they are then unusable: stop without a checkpoint).
    public func apply(step: Int, gradientScale: Float? = nil) throws -> AppliedUpdate {
        if let gradientScale { GradientClipping.scale(gradients, by: gradientScale) }
        let norm = GradientClipping.clip(gradients, maxNorm: settings.maxGradNorm)
        guard norm.isFinite else { throw TrainingError.nonFinite(step: step, quantity: "gradient norm", value: norm) }
        let rate = schedule.rate(update: optimizer.updates + 1)
        guard optimizer.apply(parameters: parameters, gradients: gradients, learningRate: rate, settings: settings) else {
            throw TrainingError.nonFiniteWeights(step: step, source: nil)
        }
        return AppliedUpdate(gradientNorm: norm, learningRate: rate)
    }
}
