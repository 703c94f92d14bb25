import Foundation

/// The non-blank lines of a dataset file, with 1-based line numbers for error messages.
struct DataLines {
    /// The name used in error messages (the path as given, or a label for embedded data).
    let file: String
    /// Each non-blank line (a trailing "\r" removed) with its 1-based number.
    let lines: [(number: Int, text: Substring)]

    /// Splits `text` into lines.
    init(text: String, file: String) {
        self.file = file
        var lines: [(Int, Substring)] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.last == "\r" ? raw.dropLast() : raw
            if !line.allSatisfy(\.isWhitespace) { lines.append((i + 1, line)) }
        }
        self.lines = lines
    }

    /// Reads the UTF-8 file at `path`; throws ``TaskError/unreadableFile(path:reason:)`` when it
    /// cannot be read, and ``TaskError/malformedLine(file:line:reason:)`` (bad data) at the first
    /// line that is not valid UTF-8.
    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TaskError.unreadableFile(path: path, reason: "no such file or not readable")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            let (line, column) = Self.firstInvalidUTF8(in: Array(data))
            throw TaskError.malformedLine(file: path, line: line, reason: "not valid UTF-8 (byte \(column) of the line)")
        }
        self.init(text: text, file: path)
    }

    /// The 1-based line and byte within it of the first byte that is not valid UTF-8 in `bytes`.
    static func firstInvalidUTF8(in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1, lineStart = 0, index = 0
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        while true {
            let start = index
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                index += UTF8.width(scalar)
                if scalar == "\n" { line += 1; lineStart = index }
            case .emptyInput:
                return (line, index - lineStart + 1)
            case .error:
                return (line, start - lineStart + 1)
            }
        }
    }

    /// The error for a malformed line.
    func error(_ number: Int, _ reason: String) -> TaskError {
        .malformedLine(file: file, line: number, reason: reason)
    }
}

/// A JSON value, decoded from one JSONL line.
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}

/// One JSON object from a JSONL line, with typed field accessors whose errors name the file and line.
struct JSONRecord {
    /// The fields.
    let fields: [String: JSONValue]
    private let source: DataLines
    private let number: Int

    /// Parses line `number` of `source`; it must be one JSON object.
    init(_ text: Substring, line number: Int, of source: DataLines) throws {
        self.source = source
        self.number = number
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else {
            throw source.error(number, "not valid JSON")
        }
        guard case .object(let fields) = value else { throw source.error(number, "expected a JSON object") }
        self.fields = fields
    }

    /// The error for this line.
    func error(_ reason: String) -> TaskError {
        source.error(number, reason)
    }

    private func field(_ key: String) throws -> JSONValue {
        guard let value = fields[key] else { throw error("missing key '\(key)'") }
        return value
    }

    /// Whether `key` is present.
    func has(_ key: String) -> Bool {
        fields[key] != nil
    }

    /// A string field.
    func string(_ key: String) throws -> String {
        guard case .string(let s) = try field(key) else { throw error("key '\(key)' must be a string") }
        return s
    }

    /// A string field that may be absent (or null).
    func optionalString(_ key: String) throws -> String? {
        guard let value = fields[key], value != .null else { return nil }
        return try string(key)
    }

    /// An integer field.
    func int(_ key: String) throws -> Int {
        guard case .int(let n) = try field(key) else { throw error("key '\(key)' must be an integer") }
        return n
    }

    /// An array-of-integers field.
    func ints(_ key: String) throws -> [Int] {
        guard case .array(let items) = try field(key) else { throw error("key '\(key)' must be an array of integers") }
        return try items.map { item in
            guard case .int(let n) = item else { throw error("key '\(key)' must be an array of integers") }
            return n
        }
    }

    /// An array-of-strings field.
    func strings(_ key: String) throws -> [String] {
        guard case .array(let items) = try field(key) else { throw error("key '\(key)' must be an array of strings") }
        return try items.map { item in
            guard case .string(let s) = item else { throw error("key '\(key)' must be an array of strings") }
            return s
        }
    }
}
