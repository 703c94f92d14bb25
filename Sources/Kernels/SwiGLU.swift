/// SwiGLU gating: `out = silu(gate) * up` with `silu(g) = g * sigmoid(g)`.
///
/// gate, up, out: [count].
public func swigluForward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                          count: Int) {
    for o in stride(from: 0, to: count, by: FloatVector.scalarCount) {
        let lanes = min(FloatVector.scalarCount, count - o)
        let g = loadVector(gate + o, lanes)
        let s = 1 / (1 + vectorExp(-g))
        storeVector(g * s * loadVector(up + o, lanes), out + o, lanes)
    }
}

/// Backward of ``swigluForward(gate:up:out:count:)``:
/// `dGate += dOut * up * s * (1 + g * (1 - s))` and `dUp += dOut * silu(g)`, with `s = sigmoid(g)`.
///
/// gate, up, dOut, dGate, dUp: [count].
public func swigluBackward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                           dGate: UnsafeMutablePointer<Float>, dUp: UnsafeMutablePointer<Float>, count: Int) {
    for o in stride(from: 0, to: count, by: FloatVector.scalarCount) {
        let lanes = min(FloatVector.scalarCount, count - o)
        let g = loadVector(gate + o, lanes)
        let d = loadVector(dOut + o, lanes)
        let s = 1 / (1 + vectorExp(-g))
        let dg = d * loadVector(up + o, lanes) * s * (1 + g * (1 - s))
        storeVector(loadVector(dGate + o, lanes) + dg, dGate + o, lanes)
        storeVector(loadVector(dUp + o, lanes) + d * g * s, dUp + o, lanes)
    }
}
