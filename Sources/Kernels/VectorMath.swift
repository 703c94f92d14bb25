/// The SIMD vector the element-wise kernels work in: two AVX2 registers or one AVX-512 register.
typealias FloatVector = SIMD16<Float>

// Element-wise loops run over `stride(from: 0, to: count, by: FloatVector.scalarCount)` with
// `lanes = min(FloatVector.scalarCount, count - o)`: full vectors, then one partial vector through the
// same code. (A closure-taking helper would be neater, but the optimiser does not inline its body.)

/// Loads `lanes` elements from `p`, filling the remaining lanes with `padding`.
@inline(__always)
func loadVector(_ p: UnsafePointer<Float>, _ lanes: Int, padding: Float = 0) -> FloatVector {
    if lanes == FloatVector.scalarCount {
        return UnsafeRawPointer(p).loadUnaligned(as: FloatVector.self)
    }
    // Through a stack buffer: inserting lanes one by one would push the whole loop's vectors to memory.
    return withUnsafeTemporaryAllocation(of: Float.self, capacity: FloatVector.scalarCount) { buffer in
        buffer.initialize(repeating: padding)
        for i in 0..<lanes { buffer[i] = p[i] }
        return UnsafeRawPointer(buffer.baseAddress!).loadUnaligned(as: FloatVector.self)
    }
}

/// Loads `lanes` elements from `p`, filling the remaining lanes with `padding`.
@inline(__always)
func loadVector(_ p: UnsafeMutablePointer<Float>, _ lanes: Int, padding: Float = 0) -> FloatVector {
    loadVector(UnsafePointer(p), lanes, padding: padding)
}

/// Stores the first `lanes` elements of `v` at `p`.
@inline(__always)
func storeVector(_ v: FloatVector, _ p: UnsafeMutablePointer<Float>, _ lanes: Int) {
    if lanes == FloatVector.scalarCount {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: FloatVector.self)
        return
    }
    withUnsafeTemporaryAllocation(of: Float.self, capacity: FloatVector.scalarCount) { buffer in
        UnsafeMutableRawPointer(buffer.baseAddress!).storeBytes(of: v, as: FloatVector.self)
        for i in 0..<lanes { p[i] = buffer[i] }
    }
}

/// `e^x` lane-wise, relative error about 2e-7; exactly 0 below -87.3 (so `-inf` gives 0).
///
/// Cephes' range reduction `x = n ln 2 + r`, |r| <= ln 2 / 2, a degree-6 polynomial for `e^r`, and
/// `2^n` built in the exponent bits. The rounding uses the 1.5 * 2^23 trick, so every step is a
/// plain vector instruction.
@inline(__always)
func vectorExp(_ x: FloatVector) -> FloatVector {
    let low: Float = -87.33
    let high: Float = 88.0
    var c = x.replacing(with: low, where: x .< low)
    c = c.replacing(with: high, where: c .> high)
    let magic = FloatVector(repeating: 12_582_912)           // 1.5 * 2^23
    let t = c * 1.442_695_04 + magic                          // n + magic, n = round(x / ln 2)
    let n = t - magic
    var r = c - n * 0.693_359_375
    r = r + n * 2.121_944_4e-4
    var p = FloatVector(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_59e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_1e-1
    p = p * (r * r) + r + 1
    let integer = unsafeBitCast(t, to: SIMD16<Int32>.self) &- Int32(bitPattern: magic[0].bitPattern)
    let scale = unsafeBitCast((integer &+ 127) &<< 23, to: FloatVector.self)
    return (p * scale).replacing(with: 0, where: x .< low)
}

/// The largest element of `x[0..<count]` (`-inf` when empty).
@inline(__always)
func maxElement(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
    var m = FloatVector(repeating: -.infinity)
    for o in stride(from: 0, to: count, by: FloatVector.scalarCount) {
        let lanes = min(FloatVector.scalarCount, count - o)
        // Compare-and-blend: the standard library's pointwiseMax is not vectorised for SIMD16<Float>.
        let v = loadVector(x + o, lanes, padding: -.infinity)
        m = m.replacing(with: v, where: v .> m)
    }
    return m.max()
}

/// `sum(x[i] * y[i])` over `0..<count`.
@inline(__always)
func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ count: Int) -> Float {
    var s = FloatVector()
    for o in stride(from: 0, to: count, by: FloatVector.scalarCount) {
        let lanes = min(FloatVector.scalarCount, count - o)
        s += loadVector(x + o, lanes) * loadVector(y + o, lanes)
    }
    return s.sum()
}
