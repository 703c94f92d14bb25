/// Python 3 `str` and `re` semantics over Unicode scalars (code points), as d1's reward functions use them.
///
/// Python strings are sequences of code points, while Swift's `String` works on grapheme clusters with
/// canonical equivalence; the rewards therefore work on `[Unicode.Scalar]` so that lengths, searches and
/// splits agree with Python's exactly.
enum PythonText {
    /// Text as Python sees it: one element per code point.
    typealias Scalars = ArraySlice<Unicode.Scalar>

    /// The code points of `text`.
    static func scalars(_ text: String) -> Scalars {
        ArraySlice(text.unicodeScalars)
    }

    /// The code points of an ASCII literal.
    static func literal(_ text: StaticString) -> [Unicode.Scalar] {
        text.withUTF8Buffer { buffer in buffer.map { Unicode.Scalar($0) } }
    }

    /// `str.isspace()` for one code point (also what `\s` matches in a `str` pattern).
    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            true
        default:
            false
        }
    }

    /// `str.isdigit()` for one code point: Unicode numeric type Decimal or Digit (so '²' counts, '½' not).
    static func isDigit(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.numericType {
        case .decimal?, .digit?: true
        default: false
        }
    }

    /// `s.isdigit()`: non-empty and every code point a digit.
    static func isDigits(_ s: Scalars) -> Bool {
        !s.isEmpty && s.allSatisfy(isDigit)
    }

    /// `s.strip()`: removes Python whitespace at both ends.
    static func strip(_ s: Scalars) -> Scalars {
        guard let first = s.firstIndex(where: { !isSpace($0) }) else { return s[s.endIndex...] }
        let last = s.lastIndex(where: { !isSpace($0) })!
        return s[first...last]
    }

    /// The index where `needle` first occurs in `s` at or after `start`.
    static func find(_ needle: [Unicode.Scalar], in s: Scalars, from start: Int) -> Int? {
        guard !needle.isEmpty else { return start }
        var i = start
        while i + needle.count <= s.endIndex {
            if s[i] == needle[0] && s[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// `s.count(needle)`: non-overlapping occurrences, scanning left to right.
    static func count(_ needle: [Unicode.Scalar], in s: Scalars) -> Int {
        var n = 0
        var i = s.startIndex
        while let hit = find(needle, in: s, from: i) {
            n += 1
            i = hit + needle.count
        }
        return n
    }

    /// `s.split(separator)`: the pieces between non-overlapping occurrences, scanning left to right.
    static func split(_ s: Scalars, separator: [Unicode.Scalar]) -> [Scalars] {
        var pieces: [Scalars] = []
        var i = s.startIndex
        while let hit = find(separator, in: s, from: i) {
            pieces.append(s[i..<hit])
            i = hit + separator.count
        }
        pieces.append(s[i...])
        return pieces
    }

    /// The content of the last match of `re.findall(r"<answer>(.*?)</answer>", s, re.DOTALL)`, or nil.
    ///
    /// Each match starts at the first `<answer>` not yet consumed and ends at the first `</answer>`
    /// after it, so a match may contain an inner `<answer>`.
    static func lastAnswerBlock(_ s: Scalars) -> Scalars? {
        var last: Scalars?
        var i = s.startIndex
        while let open = find(answerOpen, in: s, from: i),
              let close = find(answerClose, in: s, from: open + answerOpen.count) {
            last = s[(open + answerOpen.count)..<close]
            i = close + answerClose.count
        }
        return last
    }

    static let answerOpen = literal("<answer>")
    static let answerClose = literal("</answer>")
}
