import Foundation

extension SlurmEnvironment {
    /// When Slurm will end this job, or nil when the job has no time limit.
    ///
    /// Asks `squeue -h -j JOBID -o %e` first and `scontrol show job JOBID` (its `EndTime=` field)
    /// second; each gets `timeout` seconds, since a busy or absent controller must not hang the
    /// start of a run.
    ///
    /// - Throws: `ClusterError.slurmQuery` when this is not a Slurm job or both commands fail.
    public func queryJobEndTime(timeout: TimeInterval = 10) throws -> Date? {
        guard let jobID else {
            throw ClusterError.slurmQuery(command: "squeue", detail: "SLURM_JOB_ID is not set")
        }
        do {
            let output = try runSlurmCommand(["squeue", "-h", "-j", jobID, "-o", "%e"], timeout: timeout)
            return try Self.parseEndTime(output.trimmingCharacters(in: .whitespacesAndNewlines))
        } catch let squeueError as ClusterError {
            let output = try runSlurmCommand(["scontrol", "show", "job", jobID], timeout: timeout)
            guard let field = output.split(whereSeparator: \.isWhitespace).first(where: { $0.hasPrefix("EndTime=") }) else {
                throw ClusterError.slurmQuery(command: "scontrol show job \(jobID)",
                                              detail: "no EndTime field (squeue: \(squeueError))")
            }
            return try Self.parseEndTime(String(field.dropFirst("EndTime=".count)))
        }
    }

    /// Reads an end time as Slurm prints it (`2025-01-31T23:59:00`, in `timeZone`); nil for the
    /// words Slurm prints when there is none (`Unknown`, `N/A`, `NONE`, `UNLIMITED`).
    ///
    /// - Throws: `ClusterError.slurmQuery` for any other text.
    public static func parseEndTime(_ text: String, timeZone: TimeZone = .current) throws -> Date? {
        if ["unknown", "n/a", "none", "unlimited", "invalid"].contains(text.lowercased()) { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        guard let date = formatter.date(from: text) else {
            throw ClusterError.slurmQuery(command: "squeue -o %e", detail: "unreadable end time \"\(text)\"")
        }
        return date
    }
}

/// Runs a Slurm client command found on the PATH and returns its standard output; the command is
/// terminated after `timeout` seconds.
private func runSlurmCommand(_ arguments: [String], timeout: TimeInterval) throws -> String {
    let command = arguments.joined(separator: " ")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    do {
        try process.run()
    } catch {
        throw ClusterError.slurmQuery(command: command, detail: "\(error)")
    }
    let watchdog = DispatchWorkItem { [process] in
        if process.isRunning { process.terminate() }
    }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    watchdog.cancel()
    guard process.terminationReason == .exit, process.terminationStatus == 0 else {
        let detail = String(decoding: errorData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let status = process.terminationReason == .exit
            ? "exit status \(process.terminationStatus)" : "killed after \(timeout) s"
        throw ClusterError.slurmQuery(command: command, detail: detail.isEmpty ? status : "\(status): \(detail)")
    }
    return String(decoding: data, as: UTF8.self)
}
