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
        adamwStep(parameters: parameters.pointer, gradients: g, m: mb.pointer, v: vb.pointer,
                  count: count, learningRate: Float(lr), beta1: Float(b1), beta2: Float(b2), epsilon: Float(eps),
                  weightDecay: Float(wd), step: step)
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
