/// Text for the char-level tokenizer: only '\n' and printable ASCII (32...126).
enum PromptText {
    /// `text` with "\r\n" and "\r" as "\n", tabs as spaces, common typographic characters spelled in
    /// ASCII and any other character outside the alphabet as '?'.
    static func ascii(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var previousCR = false
        for c in text.unicodeScalars {
            defer { previousCR = c == "\r" }
            switch c.value {
            case 10 where previousCR: continue
            case 10, 13: out.append("\n")
            case 9: out.append(" ")
            case 32...126: out.append(c)
            case 0x2018, 0x2019, 0x2032: out.append("'")
            case 0x201C, 0x201D, 0x2033: out.append("\"")
            case 0x2010...0x2015, 0x2212: out.append("-")
            case 0x00A0, 0x2000...0x200A, 0x202F: out.append(" ")
            case 0x2026: out.append(contentsOf: "...".unicodeScalars)
            case 0x00D7: out.append("*")
            case 0x00F7: out.append("/")
            default: out.append("?")
            }
        }
        return String(out)
    }
}
