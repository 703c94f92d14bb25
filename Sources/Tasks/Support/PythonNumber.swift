import Foundation

/// A Python 3.10 number as the countdown reward's `eval` can produce it, with CPython's arithmetic.
///
/// Mixed operations promote int -> float -> complex as CPython does (an int too large for a float
/// raises `OverflowError`). Float `+ - *` follow IEEE (they may give `inf`); `/`, `//` and `**` raise
/// where CPython raises. Complex arithmetic follows CPython 3.10's `complexobject.c`.
enum PythonNumber: Equatable, Sendable {
    case int(PythonInt)
    case float(Double)
    case complex(Double, Double)

    /// `abs(self - target) < 1e-5`, the countdown reward's test.
    func isClose(to target: Int) -> Bool {
        switch self {
        case .int(let v):
            return v == PythonInt(target)
        case .float(let x):
            return abs(x - Double(target)) < 1e-5
        case .complex(let re, let im):
            return hypot(re - Double(target), im) < 1e-5
        }
    }

    /// Python's `repr` of the value.
    var repr: String {
        switch self {
        case .int(let v): v.decimalString
        case .float(let x): PythonNumber.floatRepr(x, addDotZero: true)
        case .complex(let re, let im):
            if re == 0 && re.sign == .plus {
                PythonNumber.floatRepr(im, addDotZero: false) + "j"
            } else {
                "(" + PythonNumber.floatRepr(re, addDotZero: false)
                    + PythonNumber.floatRepr(im, addDotZero: false, alwaysSign: true) + "j)"
            }
        }
    }

    static prefix func - (x: PythonNumber) -> PythonNumber {
        switch x {
        case .int(let v): .int(-v)
        case .float(let f): .float(-f)
        case .complex(let re, let im): .complex(-re, -im)
        }
    }

    static func + (a: PythonNumber, b: PythonNumber) throws(ArithmeticFailure) -> PythonNumber {
        switch try promoted(a, b) {
        case .ints(let x, let y): .int(try x + y)
        case .floats(let x, let y): .float(x + y)
        case .complexes(let x, let y): .complex(x.re + y.re, x.im + y.im)
        }
    }

    static func - (a: PythonNumber, b: PythonNumber) throws(ArithmeticFailure) -> PythonNumber {
        switch try promoted(a, b) {
        case .ints(let x, let y): .int(try x - y)
        case .floats(let x, let y): .float(x - y)
        case .complexes(let x, let y): .complex(x.re - y.re, x.im - y.im)
        }
    }

    static func * (a: PythonNumber, b: PythonNumber) throws(ArithmeticFailure) -> PythonNumber {
        switch try promoted(a, b) {
        case .ints(let x, let y): .int(try x * y)
        case .floats(let x, let y): .float(x * y)
        case .complexes(let x, let y): wrap(product(x, y))
        }
    }

    /// `a / b`.
    static func trueDivide(_ a: PythonNumber, _ b: PythonNumber) throws(ArithmeticFailure) -> PythonNumber {
        switch try promoted(a, b) {
        case .ints(let x, let y): return .float(try x.trueDivided(by: y))
        case .floats(let x, let y):
            guard y != 0 else { throw .zeroDivision }
            return .float(x / y)
        case .complexes(let x, let y): return wrap(try quotient(x, y))
        }
    }

    /// `a // b`.
    static func floorDivide(_ a: PythonNumber, _ b: PythonNumber) throws(ArithmeticFailure) -> PythonNumber {
        switch try promoted(a, b) {
        case .ints(let x, let y): return .int(try x.floorDivided(by: y))
        case .floats(let x, let y): return .float(try floatFloorDivide(x, y))
        case .complexes: throw .type
        }
    }

    /// `a ** b`.
    static func power(_ a: PythonNumber, _ b: PythonNumber) throws(ArithmeticFailure) -> PythonNumber {
        switch try promoted(a, b) {
        case .ints(let x, let y):
            // A negative int exponent goes through float_pow (so 0 ** -1 is a ZeroDivisionError).
            return y.negative ? try floatPower(x.toDouble(), y.toDouble()) : .int(try x.power(y))
        case .floats(let x, let y): return try floatPower(x, y)
        case .complexes(let x, let y): return wrap(try complexPower(x, y))
        }
    }

    // MARK: Promotion

    private struct Complex { var re: Double, im: Double }

    private static func wrap(_ c: Complex) -> PythonNumber { .complex(c.re, c.im) }

    private enum Promoted {
        case ints(PythonInt, PythonInt)
        case floats(Double, Double)
        case complexes(Complex, Complex)
    }

    private static func promoted(_ a: PythonNumber, _ b: PythonNumber) throws(ArithmeticFailure) -> Promoted {
        switch (a, b) {
        case (.int(let x), .int(let y)): return .ints(x, y)
        case (.complex, _), (_, .complex): return .complexes(try a.asComplex(), try b.asComplex())
        default: return .floats(try a.asDouble(), try b.asDouble())
        }
    }

    private func asDouble() throws(ArithmeticFailure) -> Double {
        switch self {
        case .int(let v): return try v.toDouble()
        case .float(let x): return x
        case .complex: throw .type
        }
    }

    private func asComplex() throws(ArithmeticFailure) -> Complex {
        if case .complex(let re, let im) = self { return Complex(re: re, im: im) }
        return Complex(re: try asDouble(), im: 0)
    }

    // MARK: Float (floatobject.c)

    /// `float_floor_div` via `float_divmod`.
    private static func floatFloorDivide(_ vx: Double, _ wx: Double) throws(ArithmeticFailure) -> Double {
        guard wx != 0 else { throw .zeroDivision }
        var mod = fmod(vx, wx)
        var div = (vx - mod) / wx
        if mod != 0 {
            if (wx < 0) != (mod < 0) {
                mod += wx
                div -= 1.0
            }
        }
        if div != 0 {
            var floordiv = floor(div)
            if div - floordiv > 0.5 { floordiv += 1.0 }
            return floordiv
        }
        return copysign(0.0, vx / wx)
    }

    private static func isOddInteger(_ x: Double) -> Bool {
        fmod(abs(x), 2.0) == 1.0
    }

    /// `float_pow`: special cases first, negative base with a fractional exponent goes complex.
    private static func floatPower(_ base: Double, _ exponent: Double) throws(ArithmeticFailure) -> PythonNumber {
        var iv = base
        let iw = exponent
        if iw == 0 { return .float(1.0) }
        if iv.isNaN { return .float(iv) }
        if iw.isNaN { return .float(iv == 1.0 ? 1.0 : iw) }
        if iw.isInfinite {
            iv = abs(iv)
            if iv == 1.0 { return .float(1.0) }
            return .float((iw > 0) == (iv > 1.0) ? abs(iw) : 0.0)
        }
        if iv.isInfinite {
            let odd = isOddInteger(iw)
            if iw > 0 { return .float(odd ? iv : abs(iv)) }
            return .float(odd ? copysign(0.0, iv) : 0.0)
        }
        if iv == 0 {
            if iw < 0 { throw .zeroDivision }
            return .float(isOddInteger(iw) ? iv : 0.0)
        }
        var negate = false
        if iv < 0 {
            if iw != floor(iw) {
                return wrap(try complexPower(Complex(re: iv, im: 0), Complex(re: iw, im: 0)))
            }
            iv = -iv
            negate = isOddInteger(iw)
        }
        if iv == 1.0 { return .float(negate ? -1.0 : 1.0) }
        let ix = pow(iv, iw)
        guard ix.isFinite else { throw .overflow }
        return .float(negate ? -ix : ix)
    }

    // MARK: Complex (complexobject.c, CPython 3.10)

    private static func product(_ a: Complex, _ b: Complex) -> Complex {
        Complex(re: a.re * b.re - a.im * b.im, im: a.re * b.im + a.im * b.re)
    }

    /// `_Py_c_quot`; a zero divisor is a ZeroDivisionError.
    private static func quotient(_ a: Complex, _ b: Complex) throws(ArithmeticFailure) -> Complex {
        let absRe = abs(b.re), absIm = abs(b.im)
        if absRe >= absIm {
            guard absRe != 0 else { throw .zeroDivision }
            let ratio = b.im / b.re
            let denom = b.re + b.im * ratio
            return Complex(re: (a.re + a.im * ratio) / denom, im: (a.im - a.re * ratio) / denom)
        }
        if absIm >= absRe {
            let ratio = b.re / b.im
            let denom = b.re * ratio + b.im
            return Complex(re: (a.re * ratio + a.im) / denom, im: (a.im * ratio - a.re) / denom)
        }
        return Complex(re: .nan, im: .nan)
    }

    /// `complex_pow`: small integral exponents by repeated squaring (`c_powi`), others in polar form.
    private static func complexPower(_ a: Complex, _ b: Complex) throws(ArithmeticFailure) -> Complex {
        let p: Complex
        if b.im == 0, b.re == b.re.rounded(.towardZero), abs(b.re) < 0x1p63 {
            let n = Int(b.re)
            if n > 100 || n < -100 {
                p = try polarPower(a, Complex(re: Double(n), im: 0))
            } else if n > 0 {
                p = unsignedPower(a, n)
            } else {
                p = try quotient(Complex(re: 1, im: 0), unsignedPower(a, -n))
            }
        } else {
            p = try polarPower(a, b)
        }
        guard !p.re.isInfinite && !p.im.isInfinite else { throw .overflow }
        return p
    }

    /// `c_powu`.
    private static func unsignedPower(_ x: Complex, _ n: Int) -> Complex {
        var r = Complex(re: 1, im: 0)
        var p = x
        var mask = 1
        while mask > 0 && n >= mask {
            if n & mask != 0 { r = product(r, p) }
            mask <<= 1
            p = product(p, p)
        }
        return r
    }

    /// `_Py_c_pow`.
    private static func polarPower(_ a: Complex, _ b: Complex) throws(ArithmeticFailure) -> Complex {
        if b.re == 0 && b.im == 0 { return Complex(re: 1, im: 0) }
        if a.re == 0 && a.im == 0 {
            if b.im != 0 || b.re < 0 { throw .zeroDivision }
            return Complex(re: 0, im: 0)
        }
        let vabs = hypot(a.re, a.im)
        var len = pow(vabs, b.re)
        let at = atan2(a.im, a.re)
        var phase = at * b.re
        if b.im != 0 {
            len /= exp(at * b.im)
            phase += b.im * log(vabs)
        }
        return Complex(re: len * cos(phase), im: len * sin(phase))
    }

    // MARK: repr

    /// CPython's `repr(float)` (`'r'` format): shortest round-trip digits, exponent form when the
    /// decimal point lies outside (-4, 16].
    static func floatRepr(_ x: Double, addDotZero: Bool, alwaysSign: Bool = false) -> String {
        let sign = x.sign == .minus && !x.isNaN ? "-" : (alwaysSign ? "+" : "")
        if x.isNaN { return sign + "nan" }
        if x.isInfinite { return sign + "inf" }
        if x == 0 { return sign + (addDotZero ? "0.0" : "0") }
        // Swift's description also gives the shortest round-trip digits; re-lay them out Python's way.
        let text = abs(x).description
        let parts = text.split(separator: "e")
        let mantissa = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        let whole = String(mantissa[0]), fraction = mantissa.count > 1 ? String(mantissa[1]) : ""
        var digits = Substring(whole + fraction)
        var decpt = whole.count + (parts.count > 1 ? Int(parts[1])! : 0)
        while digits.first == "0" {
            digits.removeFirst()
            decpt -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        let body: String
        if decpt <= -4 || decpt > 16 {
            let exponent = decpt - 1
            let lead = String(digits.prefix(1)), rest = digits.dropFirst()
            let e = abs(exponent) < 10 ? "0\(abs(exponent))" : "\(abs(exponent))"
            body = lead + (rest.isEmpty ? "" : "." + rest) + "e" + (exponent < 0 ? "-" : "+") + e
        } else if decpt <= 0 {
            body = "0." + String(repeating: "0", count: -decpt) + digits
        } else if decpt >= digits.count {
            body = digits + String(repeating: "0", count: decpt - digits.count) + (addDotZero ? ".0" : "")
        } else {
            body = digits.prefix(decpt) + "." + digits.dropFirst(decpt)
        }
        return sign + body
    }
}
