/// The added (special) tokens of a tokenizer, found in text before any other processing.
///
/// Like the `tokenizers` package, every added token is matched wherever its exact text occurs, the
/// leftmost match first and the longest among those starting at the same place.
struct AddedTokens: Sendable {
    /// Token text (UTF-8) and id, longest first.
    private let tokens: [(utf8: [UInt8], id: Int32)]

    /// Every added token, text and id.
    init(_ tokens: [(content: String, id: Int32)]) {
        self.tokens = tokens.map { (Array($0.content.utf8), $0.id) }.sorted { $0.utf8.count > $1.utf8.count }
    }

    /// A piece of text between added tokens, or an added token.
    enum Segment: Equatable {
        /// Ordinary text, as a byte range of the input.
        case text(Range<Int>)
        /// An added token's id.
        case token(Int32)
    }

    /// `utf8` cut at the added tokens it contains.
    func segments(_ utf8: [UInt8]) -> [Segment] {
        var segments: [Segment] = []
        var start = 0, i = 0
        while i < utf8.count {
            if let match = tokens.first(where: { matches($0.utf8, utf8, at: i) }) {
                if start < i { segments.append(.text(start..<i)) }
                segments.append(.token(match.id))
                i += match.utf8.count
                start = i
            } else {
                i += 1
            }
        }
        if start < utf8.count { segments.append(.text(start..<utf8.count)) }
        return segments
    }

    /// Whether `pattern` occurs in `text` at `offset`.
    private func matches(_ pattern: [UInt8], _ text: [UInt8], at offset: Int) -> Bool {
        guard !pattern.isEmpty, offset + pattern.count <= text.count else { return false }
        for k in pattern.indices where pattern[k] != text[offset + k] { return false }
        return true
    }
}
