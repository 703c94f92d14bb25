import Base
import Foundation
import Kernels
import Testing

@Test func adamwMatchesPyTorchFormula() {
    let count = 37
    let lr = 1e-2, b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.1
    var p = randomValues(count, seed: 90).map(Double.init)
    var m = [Double](repeating: 0, count: count), v = m
    let parameters = FlatBuffer(p.map(Float.init))
    let (mb, vb) = (FlatBuffer(count: count), FlatBuffer(count: count))
    for step in 1...5 {
        let g = randomValues(count, seed: 91 + UInt64(step))
        let finite = adamwStep(parameters: parameters.pointer, gradients: g, m: mb.pointer, v: vb.pointer,
                               count: count, learningRate: Float(lr), beta1: Float(b1), beta2: Float(b2), epsilon: Float(eps),
                               weightDecay: Float(wd), step: step)
        #expect(finite)
        // torch.optim.AdamW, single-tensor path.
        for i in 0..<count {
            let gi = Double(g[i])
            p[i] *= 1 - lr * wd
            m[i] += (gi - m[i]) * (1 - b1)
            v[i] = v[i] * b2 + gi * gi * (1 - b2)
            let denominator = v[i].squareRoot() / (1 - pow(b2, Double(step))).squareRoot() + eps
            p[i] -= lr / (1 - pow(b1, Double(step))) * m[i] / denominator
        }
    }
    #expect(relativeError(parameters.array, p) < 1e-6)
    #expect(relativeError(mb.array, m) < 1e-6)
    #expect(relativeError(vb.array, v) < 1e-6)
}

/// A rate too large for Float leaves infinite or NaN weights, which the step reports; so does a
/// single non-finite weight anywhere in the buffer, in any lane of a vector.
@Test func adamwReportsNonFiniteWeights() {
    let count = 37
    let gradients = randomValues(count, seed: 7)
    func step(rate: Float, poison: Int?) -> (finite: Bool, allFinite: Bool) {
        let parameters = FlatBuffer(randomValues(count, seed: 8))
        if let poison { parameters.pointer[poison] = .infinity }
        let (m, v) = (FlatBuffer(count: count), FlatBuffer(count: count))
        let finite = adamwStep(parameters: parameters.pointer, gradients: gradients, m: m.pointer, v: v.pointer, count: count,
                               learningRate: rate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01, step: 1)
        return (finite, parameters.isAllFinite)
    }
    #expect(step(rate: 1e-3, poison: nil) == (true, true))
    #expect(step(rate: 3e38, poison: nil) == (false, false))
    for index in [0, 15, 16, 36] {
        #expect(step(rate: 1e-3, poison: index) == (false, false), "infinity at \(index)")
    }
}
