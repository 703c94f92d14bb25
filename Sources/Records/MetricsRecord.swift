import Base
import Foundation

/// One line of `metrics.jsonl`: a step number and named values, kept in insertion order.
public struct MetricsRecord: Sendable, Equatable {
    /// The RL step the values belong to (0 is the evaluation before any RL step).
    public var step: Int
    /// The named values in the order they were first set; a non-finite value is written as `null`.
    public private(set) var entries: [Entry] = []

    /// One named value of a record.
    public struct Entry: Sendable, Equatable {
        /// The metric's key, e.g. `reward` or `timing_s/rollout`.
        public var key: String
        /// The metric's value.
        public var value: Double
    }

    /// Creates an empty record for `step`.
    public init(step: Int) {
        self.step = step
    }

    /// The value of `key`, or nil when the record has none; setting nil removes the key.
    public subscript(key: String) -> Double? {
        get { entries.first { $0.key == key }?.value }
        set {
            let index = entries.firstIndex { $0.key == key }
            switch (index, newValue) {
            case let (i?, value?): entries[i].value = value
            case let (i?, nil): entries.remove(at: i)
            case let (nil, value?): entries.append(Entry(key: key, value: value))
            case (nil, nil): break
            }
        }
    }

    /// The record as one line of JSON (no trailing newline), `step` first, then the entries in order.
    public var jsonLine: String {
        var line = "{\"step\": \(step)"
        for entry in entries {
            line += ", \(MetricsRecord.quoted(entry.key)): "
            line += entry.value.isFinite ? "\(entry.value)" : "null"
        }
        return line + "}"
    }

    /// Parses a line written by ``jsonLine`` (or any JSON object with an integer `step` and
    /// numeric or null values; keys come out sorted because JSON objects carry no order).
    public init(jsonLine: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(jsonLine.utf8)) as? [String: Any],
              let step = (object["step"] as? NSNumber)?.intValue else {
            throw RecordError.malformedLine(jsonLine)
        }
        self.step = step
        for key in object.keys.sorted() where key != "step" {
            if let number = object[key] as? NSNumber {
                self[key] = number.doubleValue
            } else if object[key] is NSNull {
                self[key] = .nan
            }
        }
    }

    private static func quoted(_ key: String) -> String {
        var out = "\""
        for scalar in key.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// A problem with the run's record files.
public enum RecordError: Error, CustomStringConvertible, ExitCodeProviding {
    /// A line of a metrics file is not a JSON object with an integer `step`.
    case malformedLine(String)
    /// A record file could not be read or written.
    case io(path: String, reason: String)
    /// A record file (not a metrics line) does not hold what it should.
    case malformed(path: String, reason: String)

    /// A message naming the step, file or value at fault.
    public var description: String {
        switch self {
        case .malformedLine(let line): "malformed metrics line (expected a JSON object with an integer \"step\"): \(line.prefix(200))"
        case let .io(path, reason), let .malformed(path, reason): "\(path): \(reason)"
        }
    }

    /// The process exit code of this error.
    public var exitCode: Int32 {
        switch self {
        case .malformedLine, .malformed: ExitStatus.dataError
        case .io: ExitStatus.ioError
        }
    }
}
