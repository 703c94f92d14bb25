internal import TOMLKit

/// Reads TOML text (through TOMLKit, a toml++ wrapper) into ``ConfigValue`` trees.
enum TOMLReader {
    /// Parses a whole TOML document.
    static func parse(_ text: String, source: String) throws -> ConfigTable {
        try rejectNUL(in: text, source: source)
        let document: TOMLTable
        if let (line, column) = TOMLHeaderCheck.badHeaderPosition(in: text) {
            throw ConfigError.syntax(source: source, line: line, column: column,
                                     message: "invalid TOML: a table header must start with a key or a quoted key")
        }
        do {
            document = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError.syntax(source: source, line: error.source.begin.line, column: error.source.begin.column,
                                     message: "invalid TOML: \(error.description)")
        }
        return try table(document, path: [], source: source)
    }

    /// Parses the text of one TOML value (what may follow `key =`), or nil if it is not one.
    static func parseValue(_ text: String) -> ConfigValue? {
        let document = "value = " + text
        guard !text.utf8.contains(0), TOMLHeaderCheck.badHeaderPosition(in: document) == nil,
              let document = try? TOMLTable(string: document), document.count == 1,
              let node = document["value"] else { return nil }
        return try? value(node, path: ["value"], source: "")
    }

    private static func table(_ table: TOMLTable, path: [String], source: String) throws -> ConfigTable {
        var result = ConfigTable()
        for key in table.keys.sorted() {
            result[key] = try value(table[key]!, path: path + [key], source: source)
        }
        return result
    }

    private static func value(_ node: any TOMLValueConvertible, path: [String], source: String) throws -> ConfigValue {
        switch node.type {
        case .table: return .table(try table(node.table!, path: path, source: source))
        case .array: return .array(try node.array!.map { try value($0, path: path, source: source) })
        case .string: return .string(node.string!)
        case .int: return .integer(node.int!)
        case .double: return .float(node.double!)
        case .bool: return .boolean(node.bool!)
        case .date, .time, .dateTime:
            throw ConfigError.typeMismatch(source: source, key: path.joined(separator: "."),
                                           expected: "a string, number, boolean, array or table",
                                           found: "a \(node.type) (\(node.debugDescription))")
        }
    }
}
