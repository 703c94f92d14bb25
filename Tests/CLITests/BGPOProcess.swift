import Foundation
import Testing

/// The result of running the built `bgpo` binary.
struct ProcessResult {
    /// The exit status (or 128 + signal number when killed by a signal).
    var status: Int32
    /// Everything written to standard output.
    var stdout: String
    /// Everything written to standard error.
    var stderr: String
}

/// Runs the built `bgpo` binary, or `mpirun -np ranks bgpo` when `ranks` is given.
///
/// The child gets this process's environment minus any Open MPI / PMIx variables (a test runner
/// launched under mpirun must not leak them), plus `environment`. Standard input is closed.
func runBGPO(_ arguments: [String], ranks: Int? = nil, environment: [String: String] = [:],
             directory: URL? = nil) throws -> ProcessResult {
    let process = Process()
    var env = ProcessInfo.processInfo.environment.filter { key, _ in
        !key.hasPrefix("OMPI_") && !key.hasPrefix("PMIX_")
    }
    if let ranks {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["mpirun", "-np", String(ranks), bgpoBinary.path] + arguments
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        env["OMPI_MCA_pml"] = "ob1"
        env["OMPI_MCA_btl"] = "self,vader"
    } else {
        process.executableURL = bgpoBinary
        process.arguments = arguments
    }
    env.merge(environment) { _, new in new }
    process.environment = env
    if let directory { process.currentDirectoryURL = directory }
    // Standard error goes to a file so that neither stream can block the child on a full pipe.
    let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("bgpo-stderr-\(UUID().uuidString)")
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
    let errData = try Data(contentsOf: errURL)
    let status = process.terminationReason == .uncaughtSignal
        ? 128 + process.terminationStatus : process.terminationStatus
    return ProcessResult(status: status, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// The `bgpo` executable built beside this test bundle.
let bgpoBinary: URL = {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    // The test runner lives at .build/<triple>/<config>/bgpoPackageTests.xctest (a file or a bundle).
    while dir.pathComponents.count > 1 {
        dir = dir.deletingLastPathComponent()
        let candidate = dir.appendingPathComponent("bgpo")
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            return candidate
        }
    }
    return URL(fileURLWithPath: "bgpo")
}()

/// A fresh temporary directory, removed by the caller with `FileManager.removeItem`.
func temporaryDirectory(_ label: String = "bgpo-test") throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("\(label)-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Test func binaryIsBuilt() throws {
    #expect(FileManager.default.isExecutableFile(atPath: bgpoBinary.path), "build bgpo first: swift build")
    let result = try runBGPO(["--help"])
    #expect(result.status == 0)
    #expect(result.stdout.contains("bgpo"))
}
