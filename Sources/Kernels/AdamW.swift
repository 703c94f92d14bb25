#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// One AdamW step over a flat buffer, with PyTorch's semantics (`torch.optim.AdamW`, `amsgrad=False`).
///
/// `p *= 1 - lr * wd` (decoupled weight decay), `m += (1 - b1) * (g - m)`, `v = b2 * v + (1 - b2) * g^2`,
/// `p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`.
/// parameters, gradients, m, v: [count]; `step` is the 1-based step number t after this update.
///
/// Returns whether every updated parameter is finite (checked in the same pass): a learning rate
/// or a gradient too large for Float leaves infinities or NaNs that the caller must not save.
@discardableResult
public func adamwStep(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
                      m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count: Int,
                      learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float,
                      step: Int) -> Bool {
    precondition(step >= 1, "adamwStep: step must be at least 1, got \(step)")
    let decay = 1 - learningRate * weightDecay
    let stepSize = Float(Double(learningRate) / (1 - pow(Double(beta1), Double(step))))
    let inverseCorrection2 = Float(1 / (1 - pow(Double(beta2), Double(step))).squareRoot())
    let oneMinusBeta1 = 1 - beta1, oneMinusBeta2 = 1 - beta2
    // A plain loop the compiler vectorises (Kernels builds with -fno-math-errno, so sqrt is one
    // instruction); the finiteness check is an OR of exponent tests, which vectorises too.
    let exponentBits: UInt32 = 0x7f80_0000
    var nonFinite: UInt32 = 0
    for i in 0..<count {
        let g = gradients[i]
        let mi = m[i] + (g - m[i]) * oneMinusBeta1
        let vi = v[i] * beta2 + g * g * oneMinusBeta2
        m[i] = mi
        v[i] = vi
        let p = parameters[i] * decay - mi / (vi.squareRoot() * inverseCorrection2 + epsilon) * stepSize
        parameters[i] = p
        nonFinite |= (p.bitPattern & exponentBits) == exponentBits ? 1 : 0
    }
    return nonFinite == 0
}
