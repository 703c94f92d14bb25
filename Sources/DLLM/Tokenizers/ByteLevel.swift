/// The byte-level alphabet of GPT-2-style BPE tokenizers: every byte is shown as one printable
/// Unicode scalar, so that any text is a string over 256 symbols.
///
/// Bytes `!`...`~`, `¡`...`¬` and `®`...`ÿ` stand for themselves; the other 68 bytes (controls,
/// space, DEL, NBSP, soft hyphen) map to U+0100 onwards in byte order (space is `Ġ`, newline `Ċ`).
enum ByteLevel {
    /// The scalar standing for each byte.
    static let scalars: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte) {
                table[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte each alphabet scalar stands for.
    static let bytes: [Unicode.Scalar: UInt8] = {
        Dictionary(uniqueKeysWithValues: scalars.enumerated().map { ($1, UInt8($0)) })
    }()

    /// The alphabet string of `utf8` bytes.
    static func encode<C: Collection>(_ utf8: C) -> String where C.Element == UInt8 {
        var text = String.UnicodeScalarView()
        for byte in utf8 { text.append(scalars[Int(byte)]) }
        return String(text)
    }

    /// The bytes of one token's text: each alphabet scalar becomes its byte; a token with any
    /// scalar outside the alphabet (an added token such as `<|eot_id|>` with a space) keeps its UTF-8.
    static func decode(_ token: String, into bytes: inout [UInt8]) {
        let start = bytes.count
        for scalar in token.unicodeScalars {
            guard let byte = Self.bytes[scalar] else {
                bytes.removeSubrange(start...)
                bytes.append(contentsOf: token.utf8)
                return
            }
            bytes.append(byte)
        }
    }
}
