import Base

/// A configuration that cannot be used, with the key, the value and what was expected.
///
/// Every case maps to exit code 64 (bad command line or configuration).
public enum ConfigError: Error, Equatable, ExitCodeProviding, CustomStringConvertible {
    /// A document that is not valid TOML or JSON, at a 1-based line and column when known.
    case syntax(source: String, line: Int?, column: Int?, message: String)
    /// A key the configuration does not have, with the nearest valid keys (equally near) when
    /// any is close, and the valid keys of the table it was found in.
    case unknownKey(source: String, key: String, suggestions: [String], validKeys: [String])
    /// A value of the wrong type for its key; `found` shows the value (`string "hot"`).
    case typeMismatch(source: String, key: String, expected: String, found: String)
    /// A well-typed value outside its range, or one that contradicts another key.
    case invalidValue(key: String, value: String, expected: String)
    /// A `--preset` name that is not compiled in.
    case unknownPreset(name: String, available: [String])
    /// A `--set` argument that is not `key.path=value`.
    case invalidOverride(argument: String, reason: String)
    /// A configuration file that cannot be read or has an unsupported extension.
    case unreadableFile(path: String, reason: String)
    /// A resume whose configuration changes keys that alter the algorithm or the data order.
    case changedOnResume([ConfigChange])

    /// The dotted key the error is about, when it is about one key.
    public var key: String? {
        switch self {
        case .unknownKey(_, let key, _, _), .typeMismatch(_, let key, _, _), .invalidValue(let key, _, _):
            return key
        case .changedOnResume(let changes):
            return changes.first { $0.affectsTraining }?.key
        case .syntax, .unknownPreset, .invalidOverride, .unreadableFile:
            return nil
        }
    }

    /// Always ``ExitStatus/usage`` (64): the command line or configuration must change.
    public var exitCode: Int32 { ExitStatus.usage }

    /// One message naming the source, the key, the value and what was expected.
    public var description: String {
        switch self {
        case .syntax(let source, let line, let column, let message):
            let position = (line.map { ":\($0)" } ?? "") + (column.map { ":\($0)" } ?? "")
            return "\(source)\(position): \(message)"
        case .unknownKey(let source, let key, let suggestions, let validKeys):
            let hint = !suggestions.isEmpty
                ? "; did you mean " + suggestions.map { "'\($0)'" }.joined(separator: " or ") + "?"
                : "; valid keys here: " + validKeys.joined(separator: ", ")
            return "\(source): unknown key '\(key)'\(hint)"
        case .typeMismatch(let source, let key, let expected, let found):
            return "\(source): '\(key)' must be \(expected), got \(found)"
        case .invalidValue(let key, let value, let expected):
            return "invalid configuration: '\(key)' = \(value): expected \(expected)"
        case .unknownPreset(let name, let available):
            return "unknown preset '\(name)'; available: \(available.joined(separator: ", "))"
        case .invalidOverride(let argument, let reason):
            return "--set \(argument): \(reason)"
        case .unreadableFile(let path, let reason):
            return "cannot read configuration file \(path): \(reason)"
        case .changedOnResume(let changes):
            let lines = changes.filter(\.affectsTraining).map { "  \($0)" }
            return "the configuration differs from the checkpoint's in keys that change the algorithm or the data order:\n"
                + lines.joined(separator: "\n")
                + "\nrestore them, start a new run directory, or pass --allow-config-change"
        }
    }

    /// The same error attributed to `source` (for errors raised while decoding one layer).
    func attributed(to source: String) -> ConfigError {
        switch self {
        case .typeMismatch(_, let key, let expected, let found):
            return .typeMismatch(source: source, key: key, expected: expected, found: found)
        case .unknownKey(_, let key, let suggestions, let validKeys):
            return .unknownKey(source: source, key: key, suggestions: suggestions, validKeys: validKeys)
        default:
            return self
        }
    }
}
