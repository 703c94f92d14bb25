/// The bfloat16 nearest to the F32 with bit pattern `bits` (ties to even); NaN stays a quiet NaN.
@inline(__always)
public func bfloat16Bits(_ bits: UInt32) -> UInt16 {
    if bits & 0x7FFF_FFFF > 0x7F80_0000 { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
    let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
    return UInt16(truncatingIfNeeded: rounded >> 16)
}

/// Widens `count` bfloat16 values to F32 (exact: the bits move to the upper half).
///
/// source: [count] bfloat16 bits; destination: [count].
public func bfloat16Widen(_ source: UnsafePointer<UInt16>, _ destination: UnsafeMutablePointer<Float>, count: Int) {
    let out = UnsafeMutableRawPointer(destination).assumingMemoryBound(to: UInt32.self)
    for i in 0..<count { out[i] = UInt32(source[i]) << 16 }
}
