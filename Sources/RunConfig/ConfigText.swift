/// TOML and canonical JSON text of ``ConfigValue`` trees.
extension ConfigValue {
    /// The value as an inline TOML literal: `"text"`, `3`, `0.6`, `true`, `[1, 2]`, `{ a = 1 }`.
    var tomlLiteral: String {
        switch self {
        case .string(let string): return quoted(string)
        case .integer(let int): return String(int)
        case .float(let double): return double.description  // always has ".", "e", "inf" or "nan"
        case .boolean(let bool): return bool ? "true" : "false"
        case .array(let elements): return "[" + elements.map(\.tomlLiteral).joined(separator: ", ") + "]"
        case .table(let table):
            let pairs = table.entries.map { "\(tomlKey($0.key)) = \($0.value.tomlLiteral)" }
            return pairs.isEmpty ? "{}" : "{ " + pairs.joined(separator: ", ") + " }"
        }
    }

    /// The value as canonical JSON: no white space, object keys sorted by code point, floats in
    /// Swift's shortest round-trip form. Equal trees give equal text on every platform.
    var canonicalJSON: String {
        switch self {
        case .string(let string): return quoted(string)
        case .integer(let int): return String(int)
        case .float(let double): return double.description
        case .boolean(let bool): return bool ? "true" : "false"
        case .array(let elements): return "[" + elements.map(\.canonicalJSON).joined(separator: ",") + "]"
        case .table(let table):
            let keys = table.keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
            return "{" + keys.map { quoted($0) + ":" + table[$0]!.canonicalJSON }.joined(separator: ",") + "}"
        }
    }
}

extension ConfigTable {
    /// The table as a TOML document: this table's plain keys first, then one `[section]` per
    /// sub-table (depth first), keys in insertion order.
    func tomlDocument(path: [String] = []) -> String {
        var lines: [String] = []
        var sections: [(String, ConfigTable)] = []
        for (key, value) in entries {
            if case .table(let table) = value {
                sections.append((key, table))
            } else {
                lines.append("\(tomlKey(key)) = \(value.tomlLiteral)")
            }
        }
        var text = lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
        for (key, table) in sections {
            let sectionPath = path + [key]
            text += (text.isEmpty ? "" : "\n") + "[" + sectionPath.map(tomlKey).joined(separator: ".") + "]\n"
            text += table.tomlDocument(path: sectionPath)
        }
        return text
    }
}

/// A TOML key, bare when it can be.
private func tomlKey(_ key: String) -> String {
    let bare = !key.isEmpty && key.unicodeScalars.allSatisfy {
        ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
    }
    return bare ? key : quoted(key)
}

/// A double-quoted string with the escapes TOML basic strings and JSON strings share.
private func quoted(_ string: String) -> String {
    var result = "\""
    for scalar in string.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\t": result += "\\t"
        case "\r": result += "\\r"
        case "\u{08}": result += "\\b"
        case "\u{0C}": result += "\\f"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            let hex = String(scalar.value, radix: 16, uppercase: true)
            result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}
