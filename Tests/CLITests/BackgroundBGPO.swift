import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The built `bgpo` (or `mpirun -np N bgpo`) running in the background, so that a test can watch
/// its files and signal or kill it (or one of its ranks) meanwhile.
///
/// Output goes to files, so the child never blocks on a full pipe. The child starts with SIGUSR1,
/// SIGUSR2 and SIGTERM unblocked: it inherits the signal mask of the spawning thread, the test
/// runner's threads block them, and `mpirun` would then never forward a stop signal.
final class BackgroundBGPO {
    private let process: Process
    private let stdoutURL: URL
    private let stderrURL: URL

    /// Starts `bgpo arguments` (see ``bgpoProcess(_:ranks:environment:directory:)``).
    init(_ arguments: [String], ranks: Int? = nil, environment: [String: String] = [:]) throws {
        process = bgpoProcess(arguments, ranks: ranks, environment: environment, directory: nil)
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("bgpo-bg-\(UUID().uuidString)")
        stdoutURL = base.appendingPathExtension("out")
        stderrURL = base.appendingPathExtension("err")
        for url in [stdoutURL, stderrURL] { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        process.standardInput = FileHandle.nullDevice

        var stopSignals = sigset_t(), previous = sigset_t()
        sigemptyset(&stopSignals)
        for signal in [SIGUSR1, SIGUSR2, SIGTERM] { sigaddset(&stopSignals, signal) }
        pthread_sigmask(SIG_UNBLOCK, &stopSignals, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: stdoutURL)
        try? FileManager.default.removeItem(at: stderrURL)
    }

    /// The child's pid (`mpirun`'s under MPI).
    var pid: pid_t { process.processIdentifier }

    /// Whether the child still runs.
    var isRunning: Bool { process.isRunning }

    /// Standard output so far.
    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }

    /// Sends `signal` to the child.
    func signal(_ signal: Int32) {
        kill(pid, signal)
    }

    /// The pids of the child's own children (the ranks, under `mpirun`), from `/proc`.
    var children: [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let child = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            // After "pid (comm)": state, then the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == pid ? child : nil
        }.sorted()
    }

    /// The pids of the MPI ranks among the child's children, by rank (`OMPI_COMM_WORLD_RANK` in
    /// each one's environment).
    var rankPIDs: [Int: pid_t] {
        let prefix = "OMPI_COMM_WORLD_RANK="
        var ranks: [Int: pid_t] = [:]
        for pid in children {
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
            let variable = data.split(separator: 0).lazy.map { String(decoding: $0, as: UTF8.self) }.first { $0.hasPrefix(prefix) }
            if let rank = variable.flatMap({ Int($0.dropFirst(prefix.count)) }) { ranks[rank] = pid }
        }
        return ranks
    }

    /// Waits up to `seconds` for the child to end; whether it did.
    @discardableResult
    func wait(seconds: Double) -> Bool {
        waitUntil(seconds: seconds, interval: 0.01) { !process.isRunning }
    }

    /// Waits for the child to end (killing it after `seconds`) and returns what it did.
    func finish(seconds: Double = 120) throws -> ProcessResult {
        if !wait(seconds: seconds) {
            kill(pid, SIGKILL)
            process.waitUntilExit()
            Issue.record("bgpo did not end within \(seconds) s and was killed")
        }
        process.waitUntilExit()
        let status = process.terminationReason == .uncaughtSignal
            ? 128 + process.terminationStatus : process.terminationStatus
        return ProcessResult(status: status, stdout: stdout,
                             stderr: (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "")
    }
}

/// Polls `condition` every `interval` seconds for up to `seconds`; whether it became true.
func waitUntil(seconds: Double, interval: Double = 0.05, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: interval)
    }
    return condition()
}
