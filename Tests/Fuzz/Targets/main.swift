import Base
import CFuzzDriver
import Foundation

// bgpo-fuzz: runs the fuzz target named by BGPO_FUZZ_TARGET under libFuzzer, which reads its flags and
// corpus directories from the command line (see env/fuzz.sh).

/// The fuzz target this process runs.
nonisolated(unsafe) private var selectedTarget: FuzzTarget?

let targetName = ProcessInfo.processInfo.environment["BGPO_FUZZ_TARGET"] ?? ""
guard let target = FuzzTarget.all.first(where: { $0.name == targetName }) else {
    let names = FuzzTarget.all.map(\.name).joined(separator: ", ")
    FileHandle.standardError.write(Data("bgpo-fuzz: set BGPO_FUZZ_TARGET to one of: \(names)\n".utf8))
    exit(ExitStatus.usage)
}
selectedTarget = target
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { bytes, count in
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    selectedTarget?.run(data)
    return 0
})
