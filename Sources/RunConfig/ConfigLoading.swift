import Foundation

extension RunConfig {
    /// The configuration of a run: defaults, then the preset, then the file, then each
    /// `--set` override in order, validated.
    ///
    /// - Parameters:
    ///   - preset: a name from ``ConfigPreset/all``, or nil.
    ///   - configFile: a `.toml` or `.json` file path, or nil.
    ///   - overrides: `key.path=value` arguments; the value is a TOML value (`0.7`, `true`,
    ///     `"text"`), and for string keys any unquoted text (`objective.objective=vrpo-ol`).
    /// - Throws: ``ConfigError`` naming the source, the key, the value and what was expected.
    public static func resolve(preset: String? = nil, configFile: String? = nil,
                               overrides: [String] = []) throws -> RunConfig {
        var config = RunConfig()
        if let preset { config = try ConfigPreset.named(preset).applied(to: config) }
        if let configFile { config = try config.applying(file: configFile) }
        config = try config.applying(overrides: overrides)
        try config.validate()
        return config
    }

    /// This configuration with the keys of a TOML document replaced (not validated).
    public func applying(toml text: String, source: String = "<toml>") throws -> RunConfig {
        try applying(TOMLReader.parse(text, source: source), source: source)
    }

    /// This configuration with the keys of a JSON object replaced (not validated).
    public func applying(json text: String, source: String = "<json>") throws -> RunConfig {
        try applying(JSONReader.parse(text, source: source), source: source)
    }

    /// This configuration with the keys of a `.toml` or `.json` file replaced (not validated).
    public func applying(file path: String) throws -> RunConfig {
        let format = (path as NSString).pathExtension.lowercased()
        guard format == "toml" || format == "json" else {
            throw ConfigError.unreadableFile(path: path, reason: "expected a .toml or .json file")
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError.unreadableFile(path: path, reason: (error as NSError).localizedDescription)
        }
        return format == "json" ? try applying(json: text, source: path) : try applying(toml: text, source: path)
    }

    /// This configuration with `key.path=value` overrides applied in order (not validated).
    public func applying(overrides: [String]) throws -> RunConfig {
        var config = self
        for argument in overrides {
            guard let equals = argument.firstIndex(of: "=") else {
                throw ConfigError.invalidOverride(argument: argument, reason: "expected key.path=value")
            }
            let key = argument[..<equals].trimmingCharacters(in: .whitespaces)
            let text = argument[argument.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            let path = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard path.allSatisfy({ !$0.isEmpty }) else {
                throw ConfigError.invalidOverride(argument: argument, reason: "'\(key)' is not a dotted key path")
            }
            let value = try overrideValue(text, current: config.tree.value(at: path), key: key)
            let layer = path.dropLast().reversed().reduce(tableWith(path.last!, value)) { tableWith($1, .table($0)) }
            config = try config.applying(layer, source: "--set")
        }
        return config
    }

    /// This configuration as a value tree; it holds only integers, floats, booleans and strings.
    var tree: ConfigTable {
        guard case .table(let table)? = try? ConfigValueEncoder.encode(self) else {
            preconditionFailure("RunConfig encodes to a table of plain values")
        }
        return table
    }

    /// Merges `layer` into this configuration's tree and decodes the result.
    func applying(_ layer: ConfigTable, source: String) throws -> RunConfig {
        let root = tree
        var merged = root
        try merge(layer, into: &merged, path: [], root: root, source: source)
        do {
            return try ConfigValueDecoder.decode(RunConfig.self, from: .table(merged))
        } catch let error as ConfigError {
            throw error.attributed(to: source)
        }
    }
}

/// Throws ``ConfigError/syntax(source:line:column:message:)`` at the first NUL character of
/// `text`: the TOML parser would take it for the end of the document, and neither format allows it.
func rejectNUL(in text: String, source: String) throws {
    guard text.utf8.contains(0) else { return }
    var line = 1, column = 1
    for scalar in text.unicodeScalars {
        if scalar == "\0" { break }
        if scalar == "\n" { (line, column) = (line + 1, 1) } else { column += 1 }
    }
    throw ConfigError.syntax(source: source, line: line, column: column,
                             message: "a NUL character (U+0000) is not allowed in a configuration")
}

private func tableWith(_ key: String, _ value: ConfigValue) -> ConfigTable {
    var table = ConfigTable()
    table[key] = value
    return table
}

/// The value of an override's text: a TOML value, or the raw text for a string key.
private func overrideValue(_ text: String, current: ConfigValue?, key: String) throws -> ConfigValue {
    let parsed = TOMLReader.parseValue(text)
    if case .string? = current {
        if case .string? = parsed { return parsed! }
        return .string(text)
    }
    if let parsed { return parsed }
    guard let current else { return .string(text) }  // an unknown key: the merge reports it with a suggestion
    throw ConfigError.typeMismatch(source: "--set", key: key, expected: current.expectedKind,
                                   found: "'\(text)', which is not a TOML value")
}

/// Replaces the leaves of `base` with those of `layer`; every key of `layer` must exist in `base`.
private func merge(_ layer: ConfigTable, into base: inout ConfigTable, path: [String],
                   root: ConfigTable, source: String) throws {
    for (key, value) in layer.entries {
        let keyPath = path + [key]
        let dotted = keyPath.joined(separator: ".")
        guard let existing = base[key] else {
            throw ConfigError.unknownKey(source: source, key: dotted, suggestions: nearestKeys(to: keyPath, in: root),
                                         validKeys: base.keys)
        }
        switch (existing, value) {
        case (.table(var table), .table(let overlay)):
            try merge(overlay, into: &table, path: keyPath, root: root, source: source)
            base[key] = .table(table)
        case (.table, _):
            throw ConfigError.typeMismatch(source: source, key: dotted,
                                           expected: "a table of keys (the [\(dotted)] section)", found: value.summary)
        case (_, .table):
            throw ConfigError.typeMismatch(source: source, key: dotted, expected: existing.expectedKind, found: "a table")
        default:
            base[key] = value
        }
    }
}

/// The valid dotted keys closest to `path` (near-misses in spelling, or the same name in another
/// section), all those at the smallest distance, or none if nothing is close.
private func nearestKeys(to path: [String], in root: ConfigTable) -> [String] {
    let dotted = path.joined(separator: ".")
    let name = path.last!
    let scored = root.allPaths().map { candidate in
        let sameParent = candidate.dropLast() == path.dropLast()
        let distance = min(editDistance(dotted, candidate.joined(separator: ".")),
                           editDistance(name, candidate.last!) + (sameParent ? 0 : 1))
        return (distance: distance, key: candidate.joined(separator: "."))
    }
    guard let best = scored.map(\.distance).min(), best <= max(2, name.count / 3) else { return [] }
    return scored.filter { $0.distance == best }.map(\.key)
}

/// Levenshtein distance between two strings, by Unicode scalar.
private func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
    guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
