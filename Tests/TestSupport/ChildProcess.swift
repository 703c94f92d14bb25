import Foundation

/// What a finished child process left: its exit status and both output streams.
public struct ProcessOutput {
    /// The exit status, or 128 + the signal number when a signal ended the process.
    public var status: Int32
    /// Everything written to standard output.
    public var stdout: Data
    /// Everything written to standard error.
    public var stderr: Data
}

/// Runs `process` (set up but not started) to its end with standard input closed, and returns
/// its status and output.
///
/// Standard error goes to a temporary file, so that neither stream can block the child on a full
/// pipe while the other is read.
public func runToEnd(_ process: Process) throws -> ProcessOutput {
    let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("test-stderr-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errURL) }
    let out = Pipe()
    let err = try FileHandle(forWritingTo: errURL)
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try err.close()
    let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    return ProcessOutput(status: status, stdout: outData, stderr: try Data(contentsOf: errURL))
}

/// A fresh, empty temporary directory named `<label>-<UUID>`; the caller removes it.
public func temporaryDirectory(_ label: String = "bgpo-test") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
