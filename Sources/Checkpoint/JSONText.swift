/// Appends `string` to `out` as a JSON string literal, escaped as serde_json escapes it
/// (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other control characters as `\u00XX`; everything
/// else, including non-ASCII UTF-8, as it is), so that headers match the Python library's byte for byte.
func appendJSONString(_ string: String, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    for byte in string.utf8 {
        switch byte {
        case UInt8(ascii: "\""): out.append(contentsOf: Array("\\\"".utf8))
        case UInt8(ascii: "\\"): out.append(contentsOf: Array("\\\\".utf8))
        case 0x08: out.append(contentsOf: Array("\\b".utf8))
        case 0x0C: out.append(contentsOf: Array("\\f".utf8))
        case 0x0A: out.append(contentsOf: Array("\\n".utf8))
        case 0x0D: out.append(contentsOf: Array("\\r".utf8))
        case 0x09: out.append(contentsOf: Array("\\t".utf8))
        case 0..<0x20: out.append(contentsOf: Array("\\u00".utf8) + Array(hexString([byte]).utf8))
        default: out.append(byte)
        }
    }
    out.append(UInt8(ascii: "\""))
}
