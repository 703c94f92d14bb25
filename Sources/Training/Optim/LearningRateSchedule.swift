import Foundation
import RunConfig

/// The learning rate of each optimiser update: linear warm-up, then a constant, linear or cosine
/// decay to zero at the last update.
public struct LearningRateSchedule: Sendable, Equatable {
    /// How the rate evolves after the warm-up: the configuration's `lr_scheduler_type` names.
    public typealias Shape = LRSchedule

    /// The rate reached at the end of the warm-up.
    public var peak: Double
    /// How many updates the linear warm-up takes (0: none).
    public var warmupUpdates: Int
    /// The number of updates of the whole run.
    public var totalUpdates: Int
    /// The shape after the warm-up.
    public var shape: Shape

    /// Creates a schedule.
    public init(peak: Double, warmupUpdates: Int, totalUpdates: Int, shape: Shape) {
        self.peak = peak
        self.warmupUpdates = warmupUpdates
        self.totalUpdates = totalUpdates
        self.shape = shape
    }

    /// The rate of update `update` (1 is the first update): `peak * update / warmupUpdates`
    /// during the warm-up, so that even the first update moves the weights.
    public func rate(update: Int) -> Double {
        if update <= warmupUpdates {
            return peak * Double(update) / Double(warmupUpdates)
        }
        let span = max(1, totalUpdates - warmupUpdates)
        let progress = min(1, Double(update - warmupUpdates) / Double(span))
        switch shape {
        case .constant: return peak
        case .linear: return peak * (1 - progress)
        case .cosine: return peak * 0.5 * (1 + cos(Double.pi * progress))
        }
    }
}
