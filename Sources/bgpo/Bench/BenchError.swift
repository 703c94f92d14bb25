import Base

/// A benchmark's helper process failed or is missing.
enum BenchError: Error, CustomStringConvertible, ExitCodeProviding {
    /// A cell process of `bgpo bench memory` failed.
    case cellFailed(cell: String, status: Int32)
    /// A program or script the benchmark runs is not there.
    case toolMissing(path: String, hint: String)
    /// A helper process failed or printed no JSON.
    case toolFailed(command: String, status: Int32)

    var description: String {
        switch self {
        case let .cellFailed(cell, status): "bench memory: the process of cell \(cell) failed (status \(status))"
        case let .toolMissing(path, hint): "bench: \(path) does not exist; \(hint)"
        case let .toolFailed(command, status): "bench: `\(command)` failed (status \(status)) or printed no JSON object"
        }
    }

    var exitCode: Int32 {
        switch self {
        case .toolMissing: ExitStatus.usage
        case .cellFailed, .toolFailed: ExitStatus.software
        }
    }
}
