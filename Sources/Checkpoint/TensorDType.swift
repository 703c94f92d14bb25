import Base

/// The element type of a stored tensor, spelled as the safetensors format spells it.
///
/// The reader accepts these five types. Floating-point tensors can be converted while reading
/// (F32, F16 or BF16 in the file into F32 memory) and while writing (F32 memory stored as F16 or
/// BF16, rounding to nearest even). Integer tensors are copied as they are. All data is
/// little-endian, as safetensors requires and as every platform bgpo runs on stores it.
public enum TensorDType: String, Sendable {
    /// IEEE 754 single precision.
    case f32 = "F32"
    /// IEEE 754 half precision.
    case f16 = "F16"
    /// bfloat16: the upper 16 bits of an F32.
    case bf16 = "BF16"
    /// Signed 64-bit integer.
    case i64 = "I64"
    /// Signed 32-bit integer.
    case i32 = "I32"

    /// The size of one element in bytes.
    public var byteWidth: Int {
        switch self {
        case .f32, .i32: 4
        case .f16, .bf16: 2
        case .i64: 8
        }
    }

    /// Whether elements of type `source` can be converted into this type: the same type, or F32
    /// to and from F16 or BF16.
    public func canConvert(from source: TensorDType) -> Bool {
        source == self || (source == .f32 && (self == .f16 || self == .bf16))
            || (self == .f32 && (source == .f16 || source == .bf16))
    }
}

/// Converts `count` elements from `source` (of type `from`) into `destination` (of type `to`).
///
/// Requires `to.canConvert(from: from)` and both pointers aligned to their element types.
/// F32 to F16/BF16 rounds to nearest even and keeps NaN a NaN; widening is exact.
func convertElements(_ source: UnsafeRawPointer, from: TensorDType,
                     _ destination: UnsafeMutableRawPointer, to: TensorDType, count: Int) {
    precondition(to.canConvert(from: from), "no conversion from \(from) to \(to)")
    switch (from, to) {
    case (.f32, .bf16):
        let src = source.assumingMemoryBound(to: UInt32.self)
        let dst = destination.assumingMemoryBound(to: UInt16.self)
        for i in 0..<count { dst[i] = bfloat16Bits(src[i]) }
    case (.bf16, .f32):
        bfloat16Widen(source.assumingMemoryBound(to: UInt16.self), destination.assumingMemoryBound(to: Float.self),
                      count: count)
    case (.f32, .f16):
        let src = source.assumingMemoryBound(to: Float.self)
        let dst = destination.assumingMemoryBound(to: UInt16.self)
        for i in 0..<count { dst[i] = halfBits(src[i]) }
    case (.f16, .f32):
        let src = source.assumingMemoryBound(to: UInt16.self)
        let dst = destination.assumingMemoryBound(to: Float.self)
        for i in 0..<count { dst[i] = floatFromHalfBits(src[i]) }
    default:
        destination.copyMemory(from: source, byteCount: count * from.byteWidth)
    }
}

/// The IEEE half-precision value nearest to `value` (ties to even), as bits.
///
/// Scaling by powers of two lets the FPU do the rounding: the value is shifted so that half's
/// last mantissa bit (also for half's subnormals) lands on F32's, then the exponent and mantissa
/// bits are read off. Overflow gives infinity, NaN a quiet NaN.
@inline(__always)
func halfBits(_ value: Float) -> UInt16 {
    let scaleToInfinity = Float(bitPattern: 0x7780_0000)   // 2^112
    let scaleToZero = Float(bitPattern: 0x0880_0000)       // 2^-110
    var base = (abs(value) * scaleToInfinity) * scaleToZero
    let w = value.bitPattern
    let shl1 = w &+ w
    let sign = w & 0x8000_0000
    var bias = shl1 & 0xFF00_0000
    if bias < 0x7100_0000 { bias = 0x7100_0000 }
    base = Float(bitPattern: (bias >> 1) &+ 0x0780_0000) + base
    let bits = base.bitPattern
    let exponentBits = (bits >> 13) & 0x0000_7C00
    let mantissaBits = bits & 0x0000_0FFF
    let magnitude = shl1 > 0xFF00_0000 ? 0x7E00 : exponentBits &+ mantissaBits
    return UInt16(truncatingIfNeeded: (sign >> 16) | magnitude)
}

/// The F32 equal to the IEEE half-precision value with bit pattern `bits` (exact).
@inline(__always)
func floatFromHalfBits(_ bits: UInt16) -> Float {
    let h = UInt32(bits)
    let sign = (h & 0x8000) << 16
    let exponent = (h >> 10) & 0x1F
    let mantissa = h & 0x3FF
    if exponent == 0 {
        // Zero or subnormal: mantissa * 2^-24, exact in F32.
        let magnitude = Float(mantissa) * Float(bitPattern: 0x3380_0000)
        return Float(bitPattern: magnitude.bitPattern | sign)
    }
    if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
    return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
}
