import Base

/// Global gradient-norm clipping over the flat gradient buffer (PyTorch's `clip_grad_norm_`).
public enum GradientClipping {
    /// The Euclidean norm of `gradients`, accumulated in Double in index order (so that every rank
    /// computes the same value); NaN or infinity when any element is not finite.
    public static func norm(_ gradients: FlatBuffer) -> Double {
        let p = gradients.pointer
        var sum = 0.0
        for i in 0..<gradients.count {
            let g = Double(p[i])
            sum += g * g
        }
        return sum.squareRoot()
    }

    /// Multiplies every element of `buffer` by `factor`.
    public static func scale(_ buffer: FlatBuffer, by factor: Float) {
        let p = buffer.pointer
        for i in 0..<buffer.count {
            p[i] *= factor
        }
    }

    /// Scales `gradients` so that their norm is at most `maxNorm` (with PyTorch's `1e-6` guard)
    /// and returns the norm before clipping. A non-positive `maxNorm` turns clipping off.
    @discardableResult
    public static func clip(_ gradients: FlatBuffer, maxNorm: Double) -> Double {
        let total = norm(gradients)
        if maxNorm > 0, total.isFinite {
            let factor = maxNorm / (total + 1e-6)
            if factor < 1 { scale(gradients, by: Float(factor)) }
        }
        return total
    }
}
