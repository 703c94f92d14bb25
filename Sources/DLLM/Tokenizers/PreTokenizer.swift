/// The Llama-3 pre-tokenizer split of byte-level BPE tokenizers (LLaDA's tokenizer uses it), as a
/// hand-written scanner over Unicode scalars instead of a regular expression engine.
///
/// It finds the same pieces as the `tokenizers` package's `Split` with behaviour `Isolated` and the
/// pattern ``pattern(maxDigits:)``: at each position the first alternative that matches, in order:
/// 1. `(?i:'s|'t|'re|'ve|'m|'ll|'d)`, contractions;
/// 2. `[^\r\n\p{L}\p{N}]?\p{L}+`, a word with at most one leading non-letter;
/// 3. `\p{N}{1,maxDigits}`, a run of numbers;
/// 4. ` ?[^\s\p{L}\p{N}]+[\r\n]*`, punctuation with an optional leading space and trailing newlines;
/// 5. `\s*[\r\n]+`, whitespace up to its last newline;
/// 6. `\s+(?!\S)`, whitespace not followed by a non-space (the last space stays for the next word);
/// 7. `\s+`.
/// `\s` is Unicode White_Space, `\p{L}` and `\p{N}` the letter and number categories.
struct PreTokenizer: Sendable, Equatable {
    /// The longest run of numbers in one piece; `nil` for no limit (`\p{N}+`).
    var maxDigits: Int?

    /// The regular expression this scanner implements.
    static func pattern(maxDigits: Int?) -> String {
        let numbers = switch maxDigits {
        case nil: #"\p{N}+"#
        case 1: #"\p{N}"#
        case let k?: #"\p{N}{1,\#(k)}"#
        }
        return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|"# + numbers
            + #"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    }

    /// The scanner for `pattern`, or nil if it is not one of the ``pattern(maxDigits:)`` family.
    init?(pattern: String) {
        for limit in [3, nil, 1, 2, 4, 5, 6] where Self.pattern(maxDigits: limit) == pattern {
            maxDigits = limit
            return
        }
        return nil
    }

    /// The pieces of `text`, as ranges of its scalars, covering it without gaps.
    func split(_ text: [Unicode.Scalar]) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        var i = 0
        while i < text.count {
            let end = match(text, at: i)
            pieces.append(i..<end)
            i = end
        }
        return pieces
    }

    /// The end of the piece starting at `i` (always > i).
    private func match(_ s: [Unicode.Scalar], at i: Int) -> Int {
        let n = s.count
        func at(_ j: Int) -> Unicode.Scalar? { j < n ? s[j] : nil }
        if let end = contraction(s, at: i) { return end }
        // 2. [^\r\n\p{L}\p{N}]?\p{L}+
        var j = i
        if !isNewline(s[j]) && !isLetter(s[j]) && !isNumber(s[j]), let next = at(j + 1), isLetter(next) { j += 1 }
        if isLetter(s[j]) {
            while let c = at(j), isLetter(c) { j += 1 }
            return j
        }
        // 3. \p{N}{1,k}
        if isNumber(s[i]) {
            j = i
            while let c = at(j), isNumber(c), maxDigits.map({ j - i < $0 }) ?? true { j += 1 }
            return j
        }
        // 4.  ?[^\s\p{L}\p{N}]+[\r\n]*
        j = s[i] == " " && at(i + 1).map(isPunctuation) == true ? i + 1 : i
        if isPunctuation(s[j]) {
            while let c = at(j), isPunctuation(c) { j += 1 }
            while let c = at(j), isNewline(c) { j += 1 }
            return j
        }
        // 5.-7. The whitespace run s[i..<end].
        var end = i
        while let c = at(end), isSpace(c) { end += 1 }
        if let last = (i..<end).last(where: { isNewline(s[$0]) }) { return last + 1 }
        return end == n || end - i == 1 ? end : end - 1
    }

    /// The end of a contraction `'s`, `'t`, `'re`, `'ve`, `'m`, `'ll` or `'d` (any case) at `i`, or nil.
    private func contraction(_ s: [Unicode.Scalar], at i: Int) -> Int? {
        guard s[i] == "'", i + 1 < s.count else { return nil }
        let first = folded(s[i + 1])
        if "stmd".unicodeScalars.contains(first) { return i + 2 }
        guard i + 2 < s.count else { return nil }
        switch (first, folded(s[i + 2])) {
        case ("r", "e"), ("v", "e"), ("l", "l"): return i + 3
        default: return nil
        }
    }

    /// The lowercase ASCII letter `c` matches case-insensitively (long s `ſ` folds to `s`), or `c`.
    private func folded(_ c: Unicode.Scalar) -> Unicode.Scalar {
        if c == "\u{17F}" { return "s" }
        if ("A"..."Z").contains(c) { return Unicode.Scalar(c.value + 32)! }
        return c
    }
}

/// `\r` or `\n`.
private func isNewline(_ c: Unicode.Scalar) -> Bool { c == "\n" || c == "\r" }

/// `\s`: the Unicode White_Space property.
private func isSpace(_ c: Unicode.Scalar) -> Bool { c.properties.isWhitespace }

/// `\p{L}`: general category Lu, Ll, Lt, Lm or Lo.
private func isLetter(_ c: Unicode.Scalar) -> Bool {
    switch c.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: true
    default: false
    }
}

/// `\p{N}`: general category Nd, Nl or No.
private func isNumber(_ c: Unicode.Scalar) -> Bool {
    switch c.properties.generalCategory {
    case .decimalNumber, .letterNumber, .otherNumber: true
    default: false
    }
}

/// `[^\s\p{L}\p{N}]`.
private func isPunctuation(_ c: Unicode.Scalar) -> Bool { !isSpace(c) && !isLetter(c) && !isNumber(c) }
