/// d1's five GSM8K reward functions (`diffu-grpo/reward_func.py`), with Python's string semantics.
///
/// The rewards are summed; the formal maximum is 4.0, but the soft format (`<reasoning>` and
/// `</reasoning>` on one line, `.` does not match a newline) and the strict format (newlines after the
/// tags) exclude each other, so a completion earns at most 3.5, exactly as in d1.
public enum MathRewards {
    /// The reward names, in d1's order (and the order they are summed in).
    public static let names = ["xmlcount_reward_func", "soft_format_reward_func", "strict_format_reward_func",
                               "int_reward_func", "correctness_reward_func"]

    /// The five rewards of `completion` against the final answer `answer` (already extracted, see
    /// ``finalAnswer(of:)``), keyed by ``names``.
    public static func components(completion: String, answer: String) -> [String: Double] {
        let text = PythonText.scalars(completion)
        let extracted = extractXMLAnswer(text)
        return [
            names[0]: xmlCount(text),
            names[1]: softFormat(text) ? 0.5 : 0,
            names[2]: strictFormat(text) ? 0.5 : 0,
            names[3]: PythonText.isDigits(extracted) ? 0.5 : 0,
            names[4]: extracted.elementsEqual(answer.unicodeScalars) ? 2.0 : 0,
        ]
    }

    /// The sum of the components in d1's order.
    public static func total(_ components: [String: Double]) -> Double {
        names.reduce(0) { $0 + (components[$1] ?? 0) }
    }

    /// d1's `extract_hash_answer`: the stripped text between the first and a second `####`; a text
    /// without `####` is taken as the final answer itself (stripped), as d1's trainer receives it.
    public static func finalAnswer(of gsm8kAnswer: String) -> String {
        let text = PythonText.scalars(gsm8kAnswer)
        let pieces = PythonText.split(text, separator: hashes)
        let answer = pieces.count > 1 ? pieces[1] : text
        return String(String.UnicodeScalarView(PythonText.strip(answer)))
    }

    private static let hashes = PythonText.literal("####")
    private static let reasoningOpen = PythonText.literal("<reasoning>")
    private static let reasoningClose = PythonText.literal("</reasoning>")
    private static let reasoningOpenLine = PythonText.literal("<reasoning>\n")
    private static let reasoningCloseLine = PythonText.literal("\n</reasoning>\n")
    private static let answerOpenLine = PythonText.literal("\n<answer>\n")
    private static let answerCloseLine = PythonText.literal("\n</answer>\n")
    private static let answerCloseNewline = PythonText.literal("\n</answer>")
    private static let strictMiddle = PythonText.literal("\n</reasoning>\n<answer>\n")

    /// `extract_xml_answer`: `text.split("<answer>")[-1].split("</answer>")[0].strip()`.
    static func extractXMLAnswer(_ text: PythonText.Scalars) -> PythonText.Scalars {
        let afterOpen = PythonText.split(text, separator: PythonText.answerOpen).last!
        return PythonText.strip(PythonText.split(afterOpen, separator: PythonText.answerClose)[0])
    }

    /// `count_xml`, with d1's arithmetic in the same order (and its quirks: the `\n<answer>\n` term is
    /// charged for the text after the last `\n</answer>\n`).
    static func xmlCount(_ text: PythonText.Scalars) -> Double {
        var count = 0.0
        if PythonText.count(reasoningOpenLine, in: text) == 1 { count += 0.125 }
        if PythonText.count(reasoningCloseLine, in: text) == 1 { count += 0.125 }
        if PythonText.count(answerOpenLine, in: text) == 1 {
            count += 0.125
            count -= Double(PythonText.split(text, separator: answerCloseLine).last!.count) * 0.001
        }
        if PythonText.count(answerCloseNewline, in: text) == 1 {
            count += 0.125
            count -= Double(PythonText.split(text, separator: answerCloseNewline).last!.count - 1) * 0.001
        }
        return count
    }

    /// `re.match(r"<reasoning>.*?</reasoning>\s*<answer>.*?</answer>", text)` (no DOTALL).
    static func softFormat(_ text: PythonText.Scalars) -> Bool {
        guard text.starts(with: reasoningOpen) else { return false }
        let start = text.startIndex + reasoningOpen.count
        return lazyLine(text, from: start, until: reasoningClose) { afterClose in
            var i = afterClose
            while i < text.endIndex && PythonText.isSpace(text[i]) { i += 1 }
            guard text[i...].starts(with: PythonText.answerOpen) else { return false }
            return lazyLine(text, from: i + PythonText.answerOpen.count, until: PythonText.answerClose) { _ in true }
        }
    }

    /// `.*?` followed by `terminator` and then `rest`: tries each occurrence of `terminator` on the
    /// same line (`.` does not match "\n"), shortest first.
    private static func lazyLine(_ text: PythonText.Scalars, from start: Int, until terminator: [Unicode.Scalar],
                                 then rest: (Int) -> Bool) -> Bool {
        var i = start
        while i <= text.endIndex {
            if text[i...].starts(with: terminator) && rest(i + terminator.count) { return true }
            if i == text.endIndex || text[i] == "\n" { return false }
            i += 1
        }
        return false
    }

    /// `re.match(r"^<reasoning>\n.*?\n</reasoning>\n<answer>\n.*?\n</answer>\n$", text)`.
    static func strictFormat(_ text: PythonText.Scalars) -> Bool {
        guard text.starts(with: reasoningOpenLine) else { return false }
        // `.*?` cannot cross a newline, so each lazy group ends at the next newline.
        guard let firstBreak = text[(text.startIndex + reasoningOpenLine.count)...].firstIndex(of: "\n"),
              text[firstBreak...].starts(with: strictMiddle) else { return false }
        guard let secondBreak = text[(firstBreak + strictMiddle.count)...].firstIndex(of: "\n"),
              text[secondBreak...].starts(with: answerCloseLine) else { return false }
        let end = secondBreak + answerCloseLine.count
        // `$` matches at the end or before a final newline.
        return end == text.endIndex || (end == text.endIndex - 1 && text[end] == "\n")
    }
}
