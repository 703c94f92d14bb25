/// Finds table headers that toml++ cannot report as errors.
///
/// toml++ (the parser under TOMLKit) asserts, and so aborts the process, when a table header's `[` or
/// `[[` is followed (after spaces) by anything but a key or `]`, e.g. `[=a]` or `[ [a]]`. This scan
/// tracks strings, comments and brackets as the parser does up to its first error, and finds such a
/// header before the text reaches it.
enum TOMLHeaderCheck {
    /// The 1-based line and column of the first character after `[` that cannot start a key, or nil.
    static func badHeaderPosition(in text: String) -> (line: Int, column: Int)? {
        let s = Array(text.unicodeScalars)
        var i = 0, line = 1, lineStart = 0
        var depth = 0  // open `[` and `{` of values
        var atStatementStart = true, inHeader = false
        func at(_ k: Int) -> Unicode.Scalar? { k < s.count ? s[k] : nil }
        while i < s.count {
            let c = s[i]
            switch c {
            case "\"", "'":
                i = endOfString(s, from: i, line: &line, lineStart: &lineStart)
                atStatementStart = false
                continue
            case "#":
                while i < s.count, s[i] != "\n" { i += 1 }
                continue
            case "\n":
                line += 1
                lineStart = i + 1
                inHeader = false
                if depth == 0 { atStatementStart = true }
            case " ", "\t", "\r":
                break
            case "[" where atStatementStart && depth == 0:
                var j = i + 1
                if at(j) == "[" { j += 1 }
                while at(j) == " " || at(j) == "\t" { j += 1 }
                if let next = at(j), !startsKey(next) && next != "]" {
                    return (line, j - lineStart + 1)
                }
                atStatementStart = false
                inHeader = true
            default:
                atStatementStart = false
                guard !inHeader else { break }
                if c == "[" || c == "{" { depth += 1 }
                if c == "]" || c == "}" { depth = max(0, depth - 1) }
            }
            i += 1
        }
        return nil
    }

    /// Whether `c` may start a key: a bare-key character or a quote.
    private static func startsKey(_ c: Unicode.Scalar) -> Bool {
        ("A"..."Z").contains(c) || ("a"..."z").contains(c) || ("0"..."9").contains(c)
            || c == "_" || c == "-" || c == "\"" || c == "'"
    }

    /// The index after the string (basic, literal, or either multi-line form) that starts at `start`;
    /// counts the line breaks inside multi-line strings. An unterminated string runs to the end.
    private static func endOfString(_ s: [Unicode.Scalar], from start: Int, line: inout Int, lineStart: inout Int) -> Int {
        let quote = s[start]
        let multiLine = start + 2 < s.count && s[start + 1] == quote && s[start + 2] == quote
        var i = start + (multiLine ? 3 : 1)
        while i < s.count {
            let c = s[i]
            if c == "\\" && quote == "\"" {
                i += 2
                continue
            }
            if c == "\n" {
                guard multiLine else { return i }  // a single-line string ends in an error here
                line += 1
                lineStart = i + 1
            }
            if c == quote {
                if !multiLine { return i + 1 }
                if i + 2 < s.count && s[i + 1] == quote && s[i + 2] == quote {
                    var end = i + 3
                    while end < s.count && s[end] == quote && end < i + 5 { end += 1 }  // up to two quotes of content
                    return end
                }
            }
            i += 1
        }
        return i
    }
}
