import Tasks
import Testing

// Expected values are CPython 3.10's `repr(eval(s))` after the countdown reward's strip and
// character check; nil where the reward's `evaluate_equation` returns None (rejected character or
// any exception).

@Test func precedenceAndUnaryOperators() {
    let cases: [(String, String?)] = [
        ("1+2*3", "7"), ("2**3**2", "512"), ("-2**2", "-4"), ("(-2)**2", "4"), ("2**-1", "0.5"),
        ("2**-1**2", "0.5"), ("--1", "1"), ("+-+1", "-1"), ("5--5", "10"), ("2***3", nil), ("1///2", nil),
    ]
    for (source, expected) in cases {
        #expect(PythonArithmetic.evaluate(source) == expected, "\(source.debugDescription)")
    }
}

@Test func divisionFloorDivisionAndZero() {
    let cases: [(String, String?)] = [
        ("7//2", "3"), ("-7//2", "-4"), ("7//-2", "-4"), ("7.5//2", "3.0"), ("-7.5//2", "-4.0"),
        ("7//0", nil), ("7//0.0", nil), ("7/0", nil), ("1/3", "0.3333333333333333"), ("10/4", "2.5"),
        ("2/3*3", "2.0"), ("1/49*49", "0.9999999999999999"), ("1/3+1/3+1/3", "1.0"), ("0.1+0.2", "0.30000000000000004"),
    ]
    for (source, expected) in cases {
        #expect(PythonArithmetic.evaluate(source) == expected, "\(source.debugDescription)")
    }
}

@Test func powersOfZeroNegativeAndFractionalBases() {
    let cases: [(String, String?)] = [
        ("0**0", "1"), ("0.**0", "1.0"), ("0**-1", nil), ("0.0**-1", nil), ("(0-0.)**-1", nil), ("4**0.5", "2.0"),
        ("(-4)**2.", "16.0"), ("(-2)**(-3)", "-0.125"), ("2**-1074", "5e-324"), ("2**-1075", "0.0"),
        ("2.**1024", nil), ("2**1023*2.", "inf"),
        ("(-8)**(1/3)", "(1.0000000000000002+1.7320508075688772j)"), ("(-1)**0.5", "(6.123233995736766e-17+1j)"),
        ("(-8)**(1/3)*0", "0j"), ("((-8)**(1/3))**3", "(-8+3.1086244689504383e-15j)"), ("(-8)**(1/3)/0", nil),
    ]
    for (source, expected) in cases {
        #expect(PythonArithmetic.evaluate(source) == expected, "\(source.debugDescription)")
    }
}

@Test func literalsLeadingZerosAndDecimals() {
    let cases: [(String, String?)] = [
        ("05", nil), ("00", "0"), ("0123.", "123.0"), ("00.5", "0.5"), (".5+5.", "5.5"), ("1..5", nil),
        ("1e5", nil), ("12 34", nil), ("3.0000000000000004-3", "4.440892098500626e-16"), ("-0.0", "-0.0"), ("-0.", "-0.0"),
    ]
    for (source, expected) in cases {
        #expect(PythonArithmetic.evaluate(source) == expected, "\(source.debugDescription)")
    }
}

@Test func nonNumericFormsAndSyntaxErrors() {
    for source in ["...", "()", "(1)(2)", "2(3)", "(1", "1)", "", "   ", "1+", "*1", "1 .5", "1.5.", "x", "1j", "1%2", "2^3"] {
        #expect(PythonArithmetic.evaluate(source) == nil, "\(source.debugDescription)")
    }
}

@Test func whitespaceAndLineBreaks() {
    let cases: [(String, String?)] = [
        ("(1+\n2)", "3"), ("1+\n2", nil), ("(1+\r2)", "3"), ("1+\r2", nil), ("(1+2\r\n)", "3"), ("1 + 2\t*\u{0C}3", "7"),
        ("1+\u{0B}2", nil), ("1+\u{1C}2", nil), (" 1 + 2 ", "3"), ("\n 1+2 \n", "3"), ("\u{A0}1+2\u{3000}", "3"),
        ("1\u{A0}+2", nil), ("\u{661}+2", nil), ("\u{FF11}+2", nil),
    ]
    for (source, expected) in cases {
        #expect(PythonArithmetic.evaluate(source) == expected, "\(source.debugDescription)")
    }
}

@Test func exactIntegersAndCorrectlyRoundedDivision() {
    let cases: [(String, String?)] = [
        ("3**100", "515377520732011331036461129765621272702107522001"), ("(99**99)//(99**98)", "99"),
        ("(2**200+1)//(2**100)", "1267650600228229401496703205376"),
        ("-(2**200+1)//(2**100)", "-1267650600228229401496703205377"),
        ("(2**100-1)*(2**100+1)", "1606938044258990275541962092341162602522202993782792835301375"),
        ("10**30//7", "142857142857142857142857142857"), ("-10**30//7", "-142857142857142857142857142858"),
        ("(10**20+1)/(10**20)", "1.0"), ("2**64/3", "6.148914691236517e+18"), ("(2**64+1)/(2**64-1)", "1.0"),
        ("99**99/7", "5.281851966424668e+196"), ("10**400/10**399", "10.0"), ("10**400*1.0", nil), ("10.**400", nil),
        ("123456789012345678901234567890/3", "4.115226300411523e+28"), ("(2**53+1)/1", "9007199254740992.0"),
        ("(2**53+1)*1.", "9007199254740992.0"), ("(2**54+3)/2", "9007199254740994.0"), ("1**100**100", "1"),
        ("0**100**100", "0"), ("(-1)**99**99", "-1"),
    ]
    for (source, expected) in cases {
        #expect(PythonArithmetic.evaluate(source) == expected, "\(source.debugDescription)")
    }
}

@Test func towersBeyondTheIntegerLimitFail() {
    // CPython would grind through (or run out of memory on) these; the evaluator refuses them.
    #expect(PythonArithmetic.evaluate("2**100**100") == nil)
    #expect(PythonArithmetic.evaluate("(7**400)**150") == nil)
}
