import Base
import Testing

extension FlatBuffer {
    /// A buffer holding `values`.
    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        for (i, x) in values.enumerated() { pointer[i] = x }
    }

    /// The elements as an array.
    var array: [Float] { Array(buffer) }
}

/// `count` uniform values in [-scale, scale), reproducible from `seed`.
func randomValues(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var rng = CounterRandom(seed: seed, purpose: .test)
    return (0..<count).map { _ in (2 * rng.nextFloat() - 1) * scale }
}

/// `||a - b|| / ||b||` (or `||a - b||` when b is zero).
func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    var diff = 0.0, norm = 0.0
    for i in a.indices {
        diff += (a[i] - b[i]) * (a[i] - b[i])
        norm += b[i] * b[i]
    }
    return norm > 0 ? (diff / norm).squareRoot() : diff.squareRoot()
}

/// `||a - b|| / ||b||` for Float results against a Double reference.
func relativeError(_ a: [Float], _ b: [Double]) -> Double {
    relativeError(a.map(Double.init), b)
}

/// Compares a kernel's backward with central finite differences of a Double reference.
///
/// The scalar checked is `sum(r * reference(inputs))` for random upstream weights `r`. `backward`
/// gets the inputs as buffers, the upstream gradient `r` and, for each index in `wrt`, a gradient
/// buffer pre-filled with random values; the check subtracts those afterwards, so it also verifies
/// that the backward accumulates rather than overwrites.
func checkGradients(inputs: [[Float]], wrt: [Int], names: [String], seed: UInt64, tolerance: Double = 1e-3,
                    reference: ([[Double]]) -> [Double],
                    backward: (_ inputs: [FlatBuffer], _ dOut: FlatBuffer, _ gradients: [FlatBuffer]) -> Void,
                    sourceLocation: SourceLocation = #_sourceLocation) {
    let doubles = inputs.map { $0.map(Double.init) }
    let outCount = reference(doubles).count
    let r = randomValues(outCount, seed: seed &+ 1000)
    let rd = r.map(Double.init)
    func loss(_ x: [[Double]]) -> Double {
        zip(reference(x), rd).reduce(0) { $0 + $1.0 * $1.1 }
    }
    let prefills = wrt.enumerated().map { randomValues(inputs[$0.element].count, seed: seed &+ 2000 &+ UInt64($0.offset)) }
    let gradientBuffers = prefills.map { FlatBuffer($0) }
    backward(inputs.map { FlatBuffer($0) }, FlatBuffer(r), gradientBuffers)
    for (slot, index) in wrt.enumerated() {
        var x = doubles
        var numeric = [Double](repeating: 0, count: x[index].count)
        for j in numeric.indices {
            let h = 1e-5 * max(1, abs(doubles[index][j]))
            x[index][j] = doubles[index][j] + h
            let plus = loss(x)
            x[index][j] = doubles[index][j] - h
            let minus = loss(x)
            x[index][j] = doubles[index][j]
            numeric[j] = (plus - minus) / (2 * h)
        }
        let analytic = zip(gradientBuffers[slot].array, prefills[slot]).map { Double($0) - Double($1) }
        let error = relativeError(analytic, numeric)
        #expect(error < tolerance, "gradient of \(names[slot]): relative error \(error)", sourceLocation: sourceLocation)
    }
}
