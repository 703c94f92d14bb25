import Base

/// An error of the Tasks module; its description names the problem precisely.
public enum TaskError: Error, Equatable, ExitCodeProviding, CustomStringConvertible {
    /// No task has this name.
    case unknownTask(String)
    /// A line of a dataset or record file is malformed (1-based line number).
    case malformedLine(file: String, line: Int, reason: String)
    /// A file could not be read.
    case unreadableFile(path: String, reason: String)
    /// The code task needs a Python 3 interpreter and found none.
    case pythonUnavailable(String)

    /// 64 for a bad task name or missing interpreter, 65 for bad data, 74 for an unreadable file.
    public var exitCode: Int32 {
        switch self {
        case .unknownTask, .pythonUnavailable: ExitStatus.usage
        case .malformedLine: ExitStatus.dataError
        case .unreadableFile: ExitStatus.ioError
        }
    }

    /// A one-line message naming the task, file, line or interpreter concerned.
    public var description: String {
        switch self {
        case .unknownTask(let name):
            "unknown task '\(name)' (known tasks: \(TaskRegistry.names.joined(separator: ", ")))"
        case .malformedLine(let file, let line, let reason):
            "\(file):\(line): \(reason)"
        case .unreadableFile(let path, let reason):
            "cannot read \(path): \(reason)"
        case .pythonUnavailable(let detail):
            "the code task needs a Python 3 interpreter: \(detail)"
        }
    }
}
