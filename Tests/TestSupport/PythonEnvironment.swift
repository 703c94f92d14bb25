import Foundation

/// A Python virtual environment with some packages, set up once per test process and reused by
/// later test runs: `python3 -m venv` and `pip install` in a fresh temporary directory, which is
/// then renamed to a fixed temporary path (`<name>`) and kept as long as it imports `modules`.
///
/// pip honours the machine's configuration (an index or `find-links` of local wheels). A setup
/// failure is the error every test that needs the environment fails with: an unreachable package
/// index fails those tests, it never skips them.
public struct PythonEnvironment: Sendable {
    /// The venv's fixed path in the temporary directory.
    public let path: String
    /// The `pip install` argument lists, installed in order (e.g. torch from its CPU index first,
    /// then packages that depend on it).
    public let installs: [[String]]
    /// The modules the environment must import, comma-separated as in `import a, b`.
    public let modules: String

    /// An environment at `<temporary directory>/<name>` with `installs` installed.
    public init(name: String, installs: [[String]], modules: String) {
        path = FileManager.default.temporaryDirectory.appendingPathComponent(name).path
        self.installs = installs
        self.modules = modules
    }

    /// The environment's `python`, creating the environment first when it does not import ``modules``.
    public func python() throws -> String {
        let python = path + "/bin/python"
        if works(python) { return python }
        let staging = path + "-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let venv = try execute("/usr/bin/env", ["python3", "-m", "venv", staging])
        guard venv.status == 0 else {
            throw PythonError("python3 -m venv failed (is python3-venv installed?): \(venv.errorText)")
        }
        for arguments in installs {
            let pip = try execute(staging + "/bin/pip", ["install", "--quiet", "--disable-pip-version-check"] + arguments)
            guard pip.status == 0 else {
                throw PythonError("pip install \(arguments.joined(separator: " ")) failed (package index unreachable?): \(pip.errorText)")
            }
        }
        // Python finds its venv from the path it runs at, so the directory can move (pip's scripts
        // cannot, and are not used again). If another test process got there first, use its venv.
        try? FileManager.default.removeItem(atPath: path)
        try? FileManager.default.moveItem(atPath: staging, toPath: path)
        guard works(python) else { throw PythonError("the venv at \(path) does not import \(modules)") }
        return python
    }

    /// Runs `script` with the environment's Python and `arguments`; throws with Python's standard
    /// error when the environment or the script fails. Returns standard output.
    public func run(_ script: String, _ arguments: [String]) throws -> String {
        let result = try execute(try python(), ["-c", script] + arguments)
        guard result.status == 0 else { throw PythonError("python script failed (\(result.status)): \(result.errorText)") }
        return String(decoding: result.stdout, as: UTF8.self)
    }

    private func works(_ python: String) -> Bool {
        (try? execute(python, ["-c", "import \(modules)"]))?.status == 0
    }

    private func execute(_ executable: String, _ arguments: [String]) throws -> ProcessOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        return try runToEnd(process)
    }
}

/// A Python environment or script that failed, with what it printed.
public struct PythonError: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String

    init(_ description: String) { self.description = description }
}

extension ProcessOutput {
    /// Standard error as text.
    var errorText: String { String(decoding: stderr, as: UTF8.self) }
}
