import Foundation
import TestSupport
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
    let output = try runToEnd(bgpoProcess(arguments, ranks: ranks, environment: environment, directory: directory))
    return ProcessResult(status: output.status, stdout: String(decoding: output.stdout, as: UTF8.self),
                         stderr: String(decoding: output.stderr, as: UTF8.self))
}

/// A `Process` set up to run the built `bgpo` (under `mpirun -np ranks` when `ranks` is given)
/// with this process's environment minus Open MPI / PMIx variables, plus `environment`.
func bgpoProcess(_ arguments: [String], ranks: Int?, environment: [String: String], directory: URL?) -> Process {
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
        // Its own session directory: mpiruns started at the same moment (parallel tests) race to
        // create the shared /tmp/ompi.HOST.UID and one fails with "File exists".
        env["OMPI_MCA_orte_tmpdir_base"] = mpirunSessionBase().path
    } else {
        process.executableURL = bgpoBinary
        process.arguments = arguments
    }
    env.merge(environment) { _, new in new }
    process.environment = env
    if let directory { process.currentDirectoryURL = directory }
    return process
}

/// The directory, inside this test process's own, that one mpirun keeps its session files in.
private func mpirunSessionBase() -> URL {
    let directory = mpirunSessionRoot.appendingPathComponent(UUID().uuidString, isDirectory: true)
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}

/// This test process's directory of mpirun session directories; removed when the process exits.
private let mpirunSessionRoot: URL = {
    atexit { try? FileManager.default.removeItem(at: mpirunSessionRootPath) }
    return mpirunSessionRootPath
}()

private let mpirunSessionRootPath = FileManager.default.temporaryDirectory
    .appendingPathComponent("bgpo-mpirun-\(ProcessInfo.processInfo.processIdentifier)", isDirectory: true)

/// The JSON objects of the non-empty lines of `text` (a command's `--json` or event output).
func jsonLines(_ text: String) throws -> [[String: Any]] {
    try text.split(separator: "\n").map { line in
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
    }
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

@Test func binaryIsBuilt() throws {
    #expect(FileManager.default.isExecutableFile(atPath: bgpoBinary.path), "build bgpo first: swift build")
    let result = try runBGPO(["--help"])
    #expect(result.status == 0)
    #expect(result.stdout.contains("bgpo"))
}
