/// A configuration value as a TOML or JSON document holds it, before it is decoded into ``RunConfig``.
enum ConfigValue: Equatable, Sendable {
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    case array([ConfigValue])
    case table(ConfigTable)

    /// The value's kind and the value itself, for error messages: `float 2.5`, `string "x"`.
    var summary: String {
        switch self {
        case .string: return "string \(tomlLiteral)"
        case .integer: return "integer \(tomlLiteral)"
        case .float: return "float \(tomlLiteral)"
        case .boolean: return "boolean \(tomlLiteral)"
        case .array: return "array \(tomlLiteral)"
        case .table: return "a table"
        }
    }

    /// What a value of the same kind as this one is called in "expected ..." messages.
    var expectedKind: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .float: return "a float (an integer is accepted)"
        case .boolean: return "a boolean (true or false)"
        case .array: return "an array"
        case .table: return "a table of keys"
        }
    }
}

/// A table of configuration values that remembers the order its keys were first set in.
struct ConfigTable: Equatable, Sendable {
    /// The keys, in insertion order.
    private(set) var keys: [String] = []
    private var values: [String: ConfigValue] = [:]

    /// The value of `key`, if set; setting a new key appends it to ``keys``.
    subscript(key: String) -> ConfigValue? {
        get { values[key] }
        set {
            if values[key] == nil, newValue != nil { keys.append(key) }
            if newValue == nil { keys.removeAll { $0 == key } }
            values[key] = newValue
        }
    }

    /// The key-value pairs, in insertion order.
    var entries: [(key: String, value: ConfigValue)] { keys.map { ($0, values[$0]!) } }

    /// The value at a dotted path below this table, if every step exists.
    func value(at path: [String]) -> ConfigValue? {
        guard let first = path.first, let value = self[first] else { return nil }
        if path.count == 1 { return value }
        guard case .table(let table) = value else { return nil }
        return table.value(at: Array(path.dropFirst()))
    }

    /// Every path below this table, tables before their keys, in insertion order.
    func allPaths(prefix: [String] = []) -> [[String]] {
        entries.flatMap { key, value -> [[String]] in
            let path = prefix + [key]
            guard case .table(let table) = value else { return [path] }
            return [path] + table.allPaths(prefix: path)
        }
    }
}
