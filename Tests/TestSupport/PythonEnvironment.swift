import Foundation

/// A Python virtual environment with some packages, set up once and reused by later test runs.
///
/// Either a venv of its own (`python3 -m venv` and `pip install` in a fresh temporary directory,
/// renamed to a fixed temporary path and kept as long as it imports its modules), or the venv a
/// set-up script of the repository provides (`env/setup-torch.sh`, which knows where CPU PyTorch
/// comes from). pip honours the machine's configuration (an index, `find-links` of local wheels).
/// A setup failure is the error every test that needs the environment fails with: an unreachable
/// package index fails those tests, it never skips them.
public struct PythonEnvironment: Sendable {
    private enum Source: Sendable {
        /// A venv at `path` with `packages` installed, that must import `modules`.
        case venv(path: String, packages: [String], modules: String)
        /// The venv whose python the bash script at `script` prints, given `arguments`.
        case script(String, arguments: [String])
    }

    private let source: Source

    /// A venv of its own at `<temporary directory>/<name>` with `packages`, importing `modules`
    /// (comma-separated, as in `import a, b`).
    public init(name: String, packages: [String], modules: String) {
        source = .venv(path: FileManager.default.temporaryDirectory.appendingPathComponent(name).path,
                       packages: packages, modules: modules)
    }

    /// The venv the repository's set-up script `script` (a path) prints with `arguments`.
    public init(setupScript script: String, arguments: [String]) {
        source = .script(script, arguments: arguments)
    }

    /// The environment's `python`, setting the environment up first when needed.
    public func python() throws -> String {
        switch source {
        case let .venv(path, packages, modules):
            return try venvPython(path: path, packages: packages, modules: modules)
        case let .script(script, arguments):
            let result = try execute("/usr/bin/env", ["bash", script] + arguments)
            guard result.status == 0 else { throw PythonError("\(script) failed (\(result.status)): \(result.errorText)") }
            return String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// The python of the venv at `path`, created with `packages` when it does not import `modules`.
    private func venvPython(path: String, packages: [String], modules: String) throws -> String {
        let python = path + "/bin/python"
        if works(python, modules) { return python }
        let staging = path + "-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let venv = try execute("/usr/bin/env", ["python3", "-m", "venv", staging])
        guard venv.status == 0 else {
            throw PythonError("python3 -m venv failed (is python3-venv installed?): \(venv.errorText)")
        }
        let pip = try execute(staging + "/bin/pip", ["install", "--quiet", "--disable-pip-version-check"] + packages)
        guard pip.status == 0 else {
            throw PythonError("pip install \(packages.joined(separator: " ")) failed (package index unreachable?): \(pip.errorText)")
        }
        // Python finds its venv from the path it runs at, so the directory can move (pip's scripts
        // cannot, and are not used again). If another test process got there first, use its venv.
        try? FileManager.default.removeItem(atPath: path)
        try? FileManager.default.moveItem(atPath: staging, toPath: path)
        guard works(python, modules) else { throw PythonError("the venv at \(path) does not import \(modules)") }
        return python
    }

    /// Runs `script` with the environment's Python and `arguments`; throws with Python's standard
    /// error when the environment or the script fails. Returns standard output.
    public func run(_ script: String, _ arguments: [String]) throws -> String {
        let result = try execute(try python(), ["-c", script] + arguments)
        guard result.status == 0 else { throw PythonError("python script failed (\(result.status)): \(result.errorText)") }
        return String(decoding: result.stdout, as: UTF8.self)
    }

    private func works(_ python: String, _ modules: String) -> Bool {
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
