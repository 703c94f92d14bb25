import Base
import Foundation

/// One fuzz target: a parser of untrusted bytes, run on each input libFuzzer generates.
///
/// A target ignores the errors the parser is meant to throw; a crash, a sanitizer report or an error
/// without a documented exit code (``expectHandled(_:codes:_:)``) is a finding.
struct FuzzTarget: Sendable {
    /// The name given in `BGPO_FUZZ_TARGET`, also the seed corpus directory under `Tests/Fuzz/Corpus`.
    let name: String
    /// Parses one input.
    let run: @Sendable (Data) -> Void

    /// Every target, in the order `env/fuzz.sh` runs them.
    static let all: [FuzzTarget] = [
        FuzzTarget(name: "safetensors-header", run: fuzzSafetensorsHeader),
        FuzzTarget(name: "safetensors-file", run: fuzzSafetensorsFile),
        FuzzTarget(name: "safetensors-zstd", run: fuzzSafetensorsZstd),
        FuzzTarget(name: "manifest", run: fuzzManifest),
        FuzzTarget(name: "training-state", run: fuzzTrainingState),
        FuzzTarget(name: "sft-state", run: fuzzSupervisedState),
        FuzzTarget(name: "run-config", run: fuzzRunConfig),
        FuzzTarget(name: "hf-config", run: fuzzHuggingFaceConfig),
        FuzzTarget(name: "tokenizer", run: fuzzTokenizer),
        FuzzTarget(name: "countdown", run: fuzzCountdown),
        FuzzTarget(name: "gsm8k", run: fuzzGSM8K),
        FuzzTarget(name: "sudoku", run: fuzzSudoku),
        FuzzTarget(name: "score-records", run: fuzzScoreRecords),
    ]
}

/// Runs `body`; an error it throws must carry one of the exit codes `codes`, else the process stops
/// with a report naming `what` (bgpo would end such an error with the wrong code).
func expectHandled(_ what: String, codes: Set<Int32>, _ body: () throws -> Void) {
    do {
        try body()
    } catch let error as any ExitCodeProviding {
        guard codes.contains(error.exitCode) else {
            fatalError("\(what): exit code \(error.exitCode), expected one of \(codes.sorted()): \(error)")
        }
    } catch {
        fatalError("\(what): error without an exit code: \(type(of: error)) \(error)")
    }
}

/// The input split at its first zero byte: the part before it and the part after it (nil without one).
func splitAtZero(_ data: Data) -> (Data, Data?) {
    guard let zero = data.firstIndex(of: 0) else { return (data, nil) }
    return (data[data.startIndex..<zero], data[(zero + 1)...])
}

/// A scratch file for targets that read paths, rewritten for each input; one per process.
let scratchURL: URL = {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("bgpo-fuzz-\(ProcessInfo.processInfo.processIdentifier)")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(at: scratchURL.deletingLastPathComponent()) }
    return directory.appendingPathComponent("input")
}()

/// Writes `data` to ``scratchURL`` (named `name` within its directory) and returns the file's URL.
func scratchFile(_ data: Data, name: String = "input") -> URL {
    let url = scratchURL.deletingLastPathComponent().appendingPathComponent(name)
    guard (try? data.write(to: url)) != nil else { fatalError("bgpo-fuzz: cannot write \(url.path)") }
    return url
}
