/// The character-level tokenizer "char-v1" of the built-in tasks.
///
/// Id layout (never change it; make a "char-v2" instead):
///
/// | id | token |
/// |---|---|
/// | 0 | `<|endoftext|>` (EOS and padding) |
/// | 1 | `<|mdm_mask|>` (`[MASK]`) |
/// | 2 | `<|startoftext|>` (BOS) |
/// | 3 | `\n` |
/// | 4...98 | printable ASCII 32...126 in order (id = byte - 28) |
public struct CharTokenizer: Tokenizer, Equatable {
    /// The stored identifier of this id layout.
    public static let identifier = "char-v1"
    /// The special tokens' names, by id.
    public static let specialNames = ["<|endoftext|>", "<|mdm_mask|>", "<|startoftext|>"]

    /// Creates the tokenizer.
    public init() {}

    /// "char-v1".
    public var identifier: String { Self.identifier }
    /// 99.
    public var vocabSize: Int { 99 }
    /// 0, `<|endoftext|>`.
    public var eosTokenID: Int32 { 0 }
    /// 0, `<|endoftext|>`.
    public var padTokenID: Int32 { 0 }
    /// 1, `<|mdm_mask|>`.
    public var maskTokenID: Int32 { 1 }
    /// 2, `<|startoftext|>`.
    public var bosTokenID: Int32 { 2 }

    /// The ids of `text`: '\n' is 3, printable ASCII byte b is b - 28; anything else throws.
    public func encode(_ text: String) throws -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(text.utf8.count)
        var offset = 0
        for character in text {
            for byte in character.utf8 {
                switch byte {
                case 10: ids.append(3)
                case 32...126: ids.append(Int32(byte) - 28)
                default: throw TokenizerError.unknownCharacter(character, offset: offset)
                }
            }
            offset += character.utf8.count
        }
        return ids
    }

    /// EOS, `[MASK]` and BOS (ids 0, 1, 2).
    public var specialTokenIDs: Set<Int32> { [0, 1, 2] }

    /// The text of `tokens`; special tokens by name, ids outside the vocabulary as `<|unk:ID|>`.
    public func decode<S: Sequence>(_ tokens: S) -> String where S.Element == Int32 {
        var text = ""
        for token in tokens {
            switch token {
            case 0..<3: text += Self.specialNames[Int(token)]
            case 3: text += "\n"
            case 4...98: text.unicodeScalars.append(Unicode.Scalar(UInt8(token + 28)))
            default: text += "<|unk:\(token)|>"
            }
        }
        return text
    }
}
