import Foundation

/// Runs a Python program against `assert` tests in a limited `python3` subprocess.
///
/// Each run is a fresh `python3 -I -S` (isolated: no user site, no `PYTHON*` variables) in a new
/// temporary working directory, with standard input, output and error on /dev/null and an almost
/// empty environment. The harness sets, before any user code runs: `RLIMIT_AS` (memory),
/// `RLIMIT_CPU`, `RLIMIT_FSIZE` (1 MiB), `RLIMIT_NPROC` 0 (no forking, where the kernel enforces it
/// for the user), and replaces the `socket` and `_socket` constructors with functions that raise.
/// When the kernel allows it, the interpreter also runs under `unshare -rn` (or `unshare -n`) in a
/// network namespace of its own, with no interfaces but loopback. Each of the prompt, the program and
/// every test runs under a `SIGALRM` time limit; a wall-clock deadline for the whole run kills the
/// process group with SIGKILL (so infinite loops that swallow exceptions, and forked children, end
/// too). The sandbox protects against accidents and runaway resource use, not against a program that
/// deliberately tampers with the harness in its own interpreter.
struct CodeSandbox: Sendable {
    /// The Python 3 interpreter (the real executable, not a version-manager shim).
    let python: String
    /// The `unshare` command prefix used for network isolation, empty when unavailable.
    let isolation: [String]
    /// Seconds for the prompt, the program and each test.
    let secondsPerTest: Double
    /// The address-space limit in bytes.
    let memoryBytes: Int

    /// Finds `python` (a name on `PATH` or a path) and probes for `unshare`.
    init(python: String, secondsPerTest: Double, memoryBytes: Int) throws {
        guard let located = Subprocess.locate(python) else { throw TaskError.pythonUnavailable("'\(python)' not found on PATH") }
        // The interpreter reports its real path (version managers install shell-script shims that
        // need the caller's environment); the sandbox then runs that path with a minimal environment.
        let probe = "import sys; print(sys.version_info[0], sys.executable)"
        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let answer = Subprocess.run([located, "-I", "-S", "-c", probe], environment: environment,
                                    captured: 1, timeout: 30)?.split(separator: " ", maxSplits: 1)
        guard let answer, answer.count == 2, answer[0] == "3" else {
            throw TaskError.pythonUnavailable("'\(located)' does not run as Python 3")
        }
        let resolved = answer[1].trimmingCharacters(in: .whitespacesAndNewlines)
        let unshare = Subprocess.locate("unshare")
        let isolation = [["-rn"], ["-n"]].lazy.compactMap { flags -> [String]? in
            guard let unshare else { return nil }
            let command = [unshare] + flags + ["--", resolved, "-I", "-S", "-c", "print('ok')"]
            return Subprocess.run(command, environment: CodeSandbox.environment, captured: 1, timeout: 30) == "ok\n"
                ? [unshare] + flags + ["--"] : nil
        }.first
        self.python = resolved
        self.isolation = isolation ?? []
        self.secondsPerTest = secondsPerTest
        self.memoryBytes = memoryBytes
    }

    /// Which tests pass: runs `prompt` (errors ignored: it may be prose, or a stub that brings
    /// imports), then `program`, then each test; a test passes when it raises nothing. When the
    /// program itself raises, every test fails. Tests without a result by the deadline fail.
    func passes(prompt: String, program: String, entryPoint: String, tests: [String]) -> [Bool] {
        guard let directory = CodeSandbox.makeTemporaryDirectory() else { return tests.map { _ in false } }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let budget = secondsPerTest * Double(tests.count + 2)
        let job = Job(prompt: prompt, program: program, entryPoint: entryPoint, tests: tests,
                      secondsPerTest: secondsPerTest, memoryBytes: memoryBytes, cpuSeconds: Int(budget.rounded(.up)) + 1)
        guard let data = try? JSONEncoder().encode(job),
              FileManager.default.createFile(atPath: directory + "/job.json", contents: data) else {
            return tests.map { _ in false }
        }
        let output = Subprocess.run(isolation + [python, "-I", "-S", "-c", CodeSandbox.harness, directory],
                                    environment: CodeSandbox.environment, captured: 3, endMarker: "end\n",
                                    timeout: budget + 5) ?? ""
        let results = output.split(separator: "\n").filter { $0 == "1" || $0 == "0" }.map { $0 == "1" }
        return tests.indices.map { $0 < results.count && results[$0] }
    }

    private struct Job: Encodable {
        var prompt, program, entryPoint: String
        var tests: [String]
        var secondsPerTest: Double
        var memoryBytes, cpuSeconds: Int

        enum CodingKeys: String, CodingKey {
            case prompt, program, tests
            case entryPoint = "entry_point", secondsPerTest = "seconds_per_test"
            case memoryBytes = "memory_bytes", cpuSeconds = "cpu_seconds"
        }
    }

    private static let environment = ["PATH=/usr/bin:/bin", "LANG=C.UTF-8"]

    private static func makeTemporaryDirectory() -> String? {
        var template = Array((FileManager.default.temporaryDirectory.path + "/bgpo-code-XXXXXX").utf8CString)
        return template.withUnsafeMutableBufferPointer { buffer in
            mkdtemp(buffer.baseAddress!).map { String(cString: $0) }
        }
    }

    /// The harness: reads job.json from the directory in argv[1], applies the limits, reports one
    /// line per test ("1" pass, "0" fail) on descriptor 3, then "end".
    private static let harness = #"""
    import json, os, resource, signal, sys
    os.chdir(sys.argv[1])
    with open("job.json", encoding="utf-8") as f:
        job = json.load(f)
    report = os.fdopen(3, "w", buffering=1)
    resource.setrlimit(resource.RLIMIT_AS, (job["memory_bytes"], job["memory_bytes"]))
    resource.setrlimit(resource.RLIMIT_CPU, (job["cpu_seconds"], job["cpu_seconds"]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
    try:
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    except (ValueError, OSError):
        pass
    import socket, _socket
    def no_network(*args, **kwargs):
        raise OSError("network access is disabled")
    for module in (socket, _socket):
        for name in ("socket", "socketpair", "create_connection", "create_server", "fromfd", "getaddrinfo"):
            if hasattr(module, name):
                setattr(module, name, no_network)
    class TimeLimit(BaseException):
        pass
    def on_alarm(signum, frame):
        raise TimeLimit()
    signal.signal(signal.SIGALRM, on_alarm)
    namespace = {"__name__": "__solution__"}
    def run(source):
        try:
            signal.setitimer(signal.ITIMER_REAL, job["seconds_per_test"])
            exec(compile(source, "<solution>", "exec"), namespace)
            return True
        except BaseException:
            return False
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    run(job["prompt"])
    loaded = run(job["program"])
    if loaded and callable(namespace.get(job["entry_point"])):
        namespace["candidate"] = namespace[job["entry_point"]]
    for test in job["tests"]:
        report.write("1\n" if loaded and run(test) else "0\n")
    report.write("end\n")
    """#
}
