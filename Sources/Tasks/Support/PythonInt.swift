import Foundation

/// An arbitrary-precision integer with the semantics of Python's `int` for `+ - * // ** /`.
///
/// Sign and magnitude; the magnitude is little-endian 32-bit limbs without leading zero limbs
/// (zero has no limbs and is never negative). Results wider than ``maxBits`` are refused
/// (``ArithmeticFailure/tooLarge``); only exponent towers get there.
struct PythonInt: Equatable, Sendable {
    /// Widest result computed, in bits (2^16: a few milliseconds of schoolbook arithmetic at most).
    static let maxBits = 1 << 16

    private(set) var negative: Bool
    private(set) var limbs: [UInt32]

    /// Zero.
    static let zero = PythonInt(negative: false, limbs: [])
    /// One.
    static let one = PythonInt(1)

    private init(negative: Bool, limbs: [UInt32]) {
        var limbs = limbs
        while limbs.last == 0 { limbs.removeLast() }
        self.negative = negative && !limbs.isEmpty
        self.limbs = limbs
    }

    /// The integer `value`.
    init(_ value: Int) {
        var m = value.magnitude
        var limbs: [UInt32] = []
        while m != 0 {
            limbs.append(UInt32(truncatingIfNeeded: m))
            m >>= 32
        }
        self.init(negative: value < 0, limbs: limbs)
    }

    /// Parses a run of ASCII decimal digits (leading zeros allowed).
    init<S: Sequence>(decimalDigits: S) where S.Element == Unicode.Scalar {
        var limbs: [UInt32] = []
        for digit in decimalDigits {
            var carry = UInt64(digit.value - 48)
            for i in limbs.indices {
                let t = UInt64(limbs[i]) * 10 + carry
                limbs[i] = UInt32(truncatingIfNeeded: t)
                carry = t >> 32
            }
            if carry != 0 { limbs.append(UInt32(carry)) }
        }
        self.init(negative: false, limbs: limbs)
    }

    var isZero: Bool { limbs.isEmpty }

    /// The number of bits of the magnitude (0 for zero).
    var bitWidth: Int { PythonInt.bitWidth(limbs) }

    /// Whether the value is odd.
    var isOdd: Bool { (limbs.first ?? 0) & 1 == 1 }

    /// The value as an `Int`, when it fits.
    var intValue: Int? {
        guard limbs.count <= 2 else { return nil }
        let m = limbs.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (32 * $1.offset) }
        if negative { return m <= UInt64(Int.max) + 1 ? Int(truncatingIfNeeded: 0 &- m) : nil }
        return m <= UInt64(Int.max) ? Int(m) : nil
    }

    static prefix func - (x: PythonInt) -> PythonInt {
        PythonInt(negative: !x.negative, limbs: x.limbs)
    }

    static func + (a: PythonInt, b: PythonInt) throws(ArithmeticFailure) -> PythonInt {
        if a.negative == b.negative { return try checked(PythonInt(negative: a.negative, limbs: addMagnitudes(a.limbs, b.limbs))) }
        if compareMagnitudes(a.limbs, b.limbs) >= 0 {
            return PythonInt(negative: a.negative, limbs: subtractMagnitudes(a.limbs, b.limbs))
        }
        return PythonInt(negative: b.negative, limbs: subtractMagnitudes(b.limbs, a.limbs))
    }

    static func - (a: PythonInt, b: PythonInt) throws(ArithmeticFailure) -> PythonInt {
        try a + (-b)
    }

    static func * (a: PythonInt, b: PythonInt) throws(ArithmeticFailure) -> PythonInt {
        guard a.bitWidth + b.bitWidth <= maxBits + 1 else { throw .tooLarge }
        return try checked(PythonInt(negative: a.negative != b.negative, limbs: multiplyMagnitudes(a.limbs, b.limbs)))
    }

    /// Python's `a // b`: the floor of the quotient.
    func floorDivided(by b: PythonInt) throws(ArithmeticFailure) -> PythonInt {
        guard !b.isZero else { throw .zeroDivision }
        let (q, r) = PythonInt.divideMagnitudes(limbs, b.limbs)
        if negative != b.negative {
            // Truncation rounds toward zero; the floor is one further down when there is a remainder.
            let qm = r.isEmpty ? q : PythonInt.addMagnitudes(q, [1])
            return PythonInt(negative: true, limbs: qm)
        }
        return PythonInt(negative: false, limbs: q)
    }

    /// Python's `a ** e` for `e >= 0`; 0, 1 and -1 take any exponent, others up to ``maxBits`` of result.
    func power(_ e: PythonInt) throws(ArithmeticFailure) -> PythonInt {
        precondition(!e.negative)
        if e.isZero || self == .one { return .one }
        if isZero { return .zero }
        if limbs == [1] { return e.isOdd ? self : .one }  // -1
        guard let n = e.intValue else { throw .tooLarge }
        let (minimumBits, overflow) = (bitWidth - 1).multipliedReportingOverflow(by: n)
        guard !overflow, minimumBits < PythonInt.maxBits else { throw .tooLarge }
        var result = PythonInt.one
        var base = self
        var k = n
        while true {
            if k & 1 == 1 { result = try result * base }
            k >>= 1
            if k == 0 { break }
            base = try base * base
        }
        return result
    }

    /// `float(self)`, correctly rounded (half to even); `.overflow` beyond the `Double` range.
    func toDouble() throws(ArithmeticFailure) -> Double {
        let n = bitWidth
        let magnitude: Double
        if n <= 64 {
            magnitude = Double(PythonInt.lowBits(limbs, count: n))  // rounds half to even
        } else {
            // Keep 55 bits, fold the rest into a sticky bit (round to odd), then let the conversion round.
            let shift = n - 55
            var top = PythonInt.lowBits(PythonInt.shiftRight(limbs, by: shift), count: 55)
            if PythonInt.hasNonzeroBits(limbs, below: shift) { top |= 1 }
            magnitude = scalbn(Double(top), shift)
        }
        guard magnitude.isFinite else { throw .overflow }
        return negative ? -magnitude : magnitude
    }

    /// Python's `a / b` for two ints: the correctly rounded quotient (CPython's `long_true_divide`).
    func trueDivided(by b: PythonInt) throws(ArithmeticFailure) -> Double {
        guard !b.isZero else { throw .zeroDivision }
        let negate = negative != b.negative
        if isZero { return negate ? -0.0 : 0.0 }
        let mantissa = 53, minExponent = -1021, maxExponent = 1024
        if bitWidth <= mantissa && b.bitWidth <= mantissa {
            return try toDouble() / b.toDouble()
        }
        let diff = bitWidth - b.bitWidth
        if diff > maxExponent { throw .overflow }
        if diff < minExponent - mantissa - 1 { return negate ? -0.0 : 0.0 }
        let shift = max(diff, minExponent) - mantissa - 2
        var inexact = false
        let x: [UInt32]
        if shift <= 0 {
            x = PythonInt.shiftLeft(limbs, by: -shift)
        } else {
            x = PythonInt.shiftRight(limbs, by: shift)
            inexact = PythonInt.hasNonzeroBits(limbs, below: shift)
        }
        let (q, r) = PythonInt.divideMagnitudes(x, b.limbs)
        if !r.isEmpty { inexact = true }
        let xBits = PythonInt.bitWidth(q)
        let extraBits = max(xBits, minExponent - shift) - mantissa
        // Round half to even by hand at bit `extraBits`, then drop the extra bits.
        var value = PythonInt.lowBits(q, count: min(xBits, 64))
        let mask: UInt64 = 1 << (extraBits - 1)
        let low = value | (inexact ? 1 : 0)
        if low & mask != 0 && low & (3 &* mask &- 1) != 0 { value &+= mask }
        value &= ~(2 &* mask &- 1)
        let dx = Double(value)
        if shift + xBits >= maxExponent
            && (shift + xBits > maxExponent || dx == PythonInt.powerOfTwo(xBits)) { throw .overflow }
        let result = scalbn(dx, shift)  // exact: dx was rounded to the bits the result can hold
        return negate ? -result : result
    }

    /// The decimal representation, as Python's `repr` writes it.
    var decimalString: String {
        if isZero { return "0" }
        var chunks: [UInt32] = []
        var m = limbs
        while !m.isEmpty {
            let (q, r) = PythonInt.divideMagnitudes(m, [1_000_000_000])
            chunks.append(r.first ?? 0)
            m = q
        }
        var text = negative ? "-" : ""
        text += String(chunks.last!)
        for chunk in chunks.dropLast().reversed() {
            let digits = String(chunk)
            text += String(repeating: "0", count: 9 - digits.count) + digits
        }
        return text
    }

    private static func checked(_ x: PythonInt) throws(ArithmeticFailure) -> PythonInt {
        guard x.bitWidth <= maxBits else { throw .tooLarge }
        return x
    }

    // MARK: Magnitudes (little-endian limbs)

    private static func bitWidth(_ a: [UInt32]) -> Int {
        guard let top = a.last else { return 0 }
        return 32 * a.count - top.leadingZeroBitCount
    }

    /// 2^e as a Double (e <= 1023 here).
    private static func powerOfTwo(_ e: Int) -> Double {
        scalbn(1.0, e)
    }

    /// The lowest `count` (<= 64) bits.
    private static func lowBits(_ a: [UInt32], count: Int) -> UInt64 {
        var v: UInt64 = 0
        for (i, limb) in a.prefix(2).enumerated() { v |= UInt64(limb) << (32 * i) }
        return count >= 64 ? v : v & ((1 << count) - 1)
    }

    private static func hasNonzeroBits(_ a: [UInt32], below bits: Int) -> Bool {
        let whole = min(bits / 32, a.count)
        if a[..<whole].contains(where: { $0 != 0 }) { return true }
        guard whole < a.count, bits % 32 != 0 else { return false }
        return a[whole] & ((1 << UInt32(bits % 32)) - 1) != 0
    }

    private static func compareMagnitudes(_ a: [UInt32], _ b: [UInt32]) -> Int {
        if a.count != b.count { return a.count < b.count ? -1 : 1 }
        for i in stride(from: a.count - 1, through: 0, by: -1) where a[i] != b[i] {
            return a[i] < b[i] ? -1 : 1
        }
        return 0
    }

    private static func addMagnitudes(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        var result = [UInt32](repeating: 0, count: max(a.count, b.count) + 1)
        var carry: UInt64 = 0
        for i in 0..<(result.count - 1) {
            let t = UInt64(i < a.count ? a[i] : 0) + UInt64(i < b.count ? b[i] : 0) + carry
            result[i] = UInt32(truncatingIfNeeded: t)
            carry = t >> 32
        }
        result[result.count - 1] = UInt32(carry)
        return result
    }

    /// a - b for a >= b.
    private static func subtractMagnitudes(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        var result = a
        var borrow: Int64 = 0
        for i in 0..<a.count {
            let t = Int64(a[i]) - Int64(i < b.count ? b[i] : 0) - borrow
            result[i] = UInt32(truncatingIfNeeded: t)
            borrow = t < 0 ? 1 : 0
        }
        return result
    }

    private static func multiplyMagnitudes(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        guard !a.isEmpty && !b.isEmpty else { return [] }
        var result = [UInt32](repeating: 0, count: a.count + b.count)
        for i in 0..<a.count {
            var carry: UInt64 = 0
            let ai = UInt64(a[i])
            for j in 0..<b.count {
                let t = ai * UInt64(b[j]) + UInt64(result[i + j]) + carry
                result[i + j] = UInt32(truncatingIfNeeded: t)
                carry = t >> 32
            }
            result[i + b.count] = UInt32(carry)
        }
        return result
    }

    private static func shiftLeft(_ a: [UInt32], by bits: Int) -> [UInt32] {
        guard !a.isEmpty else { return [] }
        let limbShift = bits / 32, bitShift = UInt32(bits % 32)
        var result = [UInt32](repeating: 0, count: a.count + limbShift + 1)
        for i in 0..<a.count {
            let v = UInt64(a[i]) << bitShift
            result[i + limbShift] |= UInt32(truncatingIfNeeded: v)
            result[i + limbShift + 1] |= UInt32(truncatingIfNeeded: v >> 32)
        }
        return trimmed(result)
    }

    private static func shiftRight(_ a: [UInt32], by bits: Int) -> [UInt32] {
        let limbShift = bits / 32, bitShift = UInt32(bits % 32)
        guard limbShift < a.count else { return [] }
        var result = [UInt32](repeating: 0, count: a.count - limbShift)
        for i in 0..<result.count {
            let hi = i + limbShift + 1 < a.count ? UInt64(a[i + limbShift + 1]) : 0
            let v = (hi << 32 | UInt64(a[i + limbShift])) >> bitShift
            result[i] = UInt32(truncatingIfNeeded: v)
        }
        return trimmed(result)
    }

    private static func trimmed(_ a: [UInt32]) -> [UInt32] {
        var a = a
        while a.last == 0 { a.removeLast() }
        return a
    }

    /// Truncating division of magnitudes: (quotient, remainder). Knuth's algorithm D.
    private static func divideMagnitudes(_ u: [UInt32], _ v: [UInt32]) -> ([UInt32], [UInt32]) {
        precondition(!v.isEmpty, "division by zero magnitude")
        if compareMagnitudes(u, v) < 0 { return ([], u) }
        if v.count == 1 {
            let d = UInt64(v[0])
            var q = [UInt32](repeating: 0, count: u.count)
            var r: UInt64 = 0
            for i in stride(from: u.count - 1, through: 0, by: -1) {
                let t = r << 32 | UInt64(u[i])
                q[i] = UInt32(truncatingIfNeeded: t / d)
                r = t % d
            }
            return (trimmed(q), r == 0 ? [] : [UInt32(r)])
        }
        let n = v.count, m = u.count
        let s = v[n - 1].leadingZeroBitCount
        var vn = shiftLeft(v, by: s)
        vn += [UInt32](repeating: 0, count: n - vn.count)
        var un = shiftLeft(u, by: s)
        un += [UInt32](repeating: 0, count: m + 1 - un.count)
        var q = [UInt32](repeating: 0, count: m - n + 1)
        let base: UInt64 = 1 << 32
        let vTop = UInt64(vn[n - 1]), vNext = UInt64(vn[n - 2])
        for j in stride(from: m - n, through: 0, by: -1) {
            let numerator = UInt64(un[j + n]) << 32 | UInt64(un[j + n - 1])
            var qhat = numerator / vTop
            var rhat = numerator % vTop
            while qhat >= base || qhat * vNext > (rhat << 32 | UInt64(un[j + n - 2])) {
                qhat -= 1
                rhat += vTop
                if rhat >= base { break }
            }
            var k: Int64 = 0
            for i in 0..<n {
                let p = qhat * UInt64(vn[i])
                let t = Int64(un[i + j]) - k - Int64(p & 0xFFFF_FFFF)
                un[i + j] = UInt32(truncatingIfNeeded: t)
                k = Int64(p >> 32) - (t >> 32)
            }
            let t = Int64(un[j + n]) - k
            un[j + n] = UInt32(truncatingIfNeeded: t)
            q[j] = UInt32(truncatingIfNeeded: qhat)
            if t < 0 {
                q[j] &-= 1
                var carry: UInt64 = 0
                for i in 0..<n {
                    let sum = UInt64(un[i + j]) + UInt64(vn[i]) + carry
                    un[i + j] = UInt32(truncatingIfNeeded: sum)
                    carry = sum >> 32
                }
                un[j + n] &+= UInt32(truncatingIfNeeded: carry)
            }
        }
        let r = shiftRight(trimmed(Array(un[0..<n])), by: s)
        return (trimmed(q), r)
    }
}

/// Why Python arithmetic failed: the exception Python would raise (or a size this evaluator refuses).
enum ArithmeticFailure: Error, Equatable {
    /// `SyntaxError` (including characters Python's tokenizer rejects).
    case syntax
    /// `ZeroDivisionError`.
    case zeroDivision
    /// `OverflowError`.
    case overflow
    /// `TypeError` (calls, tuples, `Ellipsis`, floor division of complex numbers).
    case type
    /// An integer beyond ``PythonInt/maxBits``; Python would compute it (or run out of memory).
    case tooLarge
    /// `MemoryError` from an expression nested deeper than the parser's stack (``PythonNesting``).
    case parserStack
    /// `RecursionError` from an expression nested deeper than the compiler accepts (``PythonNesting``).
    case recursion
}
