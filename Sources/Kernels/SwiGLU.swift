import CKernels

/// SwiGLU gating: `out = silu(gate) * up` with `silu(g) = g * sigmoid(g)`, through `CKernels` on
/// the `avx512` path (the default where the CPU has it).
///
/// gate, up, out: [count], in shares among `threads` threads (element-wise: the same result).
public func swigluForward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                          count: Int, threads: Int = 1, path: KernelPath = .best) {
    precondition(path.isSupported, "swigluForward: this CPU does not run the \(path) path")
    nonisolated(unsafe) let (gate, up, out) = (gate, up, out)
    forEachVectorShare(of: count, threads: threads) { range in
        if path == .avx512 {
            bgpo_f32_swiglu_forward(gate + range.lowerBound, up + range.lowerBound, out + range.lowerBound, range.count)
            return
        }
        for o in stride(from: range.lowerBound, to: range.upperBound, by: FloatVector.scalarCount) {
            let lanes = min(FloatVector.scalarCount, range.upperBound - o)
            let g = loadVector(gate + o, lanes)
            let s = 1 / (1 + vectorExp(-g))
            storeVector(g * s * loadVector(up + o, lanes), out + o, lanes)
        }
    }
}

/// Backward of ``swigluForward(gate:up:out:count:threads:path:)``:
/// `dGate += dOut * up * s * (1 + g * (1 - s))` and `dUp += dOut * silu(g)`, with `s = sigmoid(g)`
/// (`=` for both when `accumulate` is false: what they held is ignored).
///
/// gate, up, dOut, dGate, dUp: [count], in shares among `threads` threads (element-wise: the same result).
public func swigluBackward(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                           dGate: UnsafeMutablePointer<Float>, dUp: UnsafeMutablePointer<Float>, count: Int,
                           threads: Int = 1, path: KernelPath = .best, accumulate: Bool = true) {
    precondition(path.isSupported, "swigluBackward: this CPU does not run the \(path) path")
    nonisolated(unsafe) let (gate, up, dOut, dGate, dUp) = (gate, up, dOut, dGate, dUp)
    forEachVectorShare(of: count, threads: threads) { range in
        if path == .avx512 {
            let o = range.lowerBound
            bgpo_f32_swiglu_backward(gate + o, up + o, dOut + o, dGate + o, dUp + o, range.count, accumulate ? 1 : 0)
            return
        }
        for o in stride(from: range.lowerBound, to: range.upperBound, by: FloatVector.scalarCount) {
            let lanes = min(FloatVector.scalarCount, range.upperBound - o)
            let g = loadVector(gate + o, lanes)
            let d = loadVector(dOut + o, lanes)
            let s = 1 / (1 + vectorExp(-g))
            let dg = d * loadVector(up + o, lanes) * s * (1 + g * (1 - s)), du = d * g * s
            storeVector(accumulate ? loadVector(dGate + o, lanes) + dg : dg, dGate + o, lanes)
            storeVector(accumulate ? loadVector(dUp + o, lanes) + du : du, dUp + o, lanes)
        }
    }
}
