import Checkpoint
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Storage faults and forged files that must cost nothing: a run that cannot use its checkpoints
/// stops with 74 and leaves the run directory byte for byte as it was, a run directory that cannot
/// be written is named, a `LATEST` never leads outside the run, non-finite weights are never
/// saved or resumed.
@Suite struct DataLossTests {
    /// A run of `steps` tiny BGPO steps with a checkpoint at every step, in a new directory.
    private func trainedRun(_ label: String, steps: Int = 3) throws -> (run: URL, arguments: [String]) {
        let run = try temporaryDirectory(label)
        let arguments = tinyRLArguments(run, base: try warmStartedBaseModel(), steps: steps, saveSteps: 1)
        let first = try runBGPO(arguments, environment: rlRunEnvironment)
        try #require(first.status == 0, "\(first.stderr)")
        return (run, arguments)
    }

    /// `arguments` with `train.max_steps` raised to `steps`, so that a resume has work to do.
    private func extended(_ arguments: [String], to steps: Int) -> [String] {
        arguments + ["--set", "train.max_steps=\(steps)"]
    }

    // MARK: - Checkpoints that cannot be used

    @Test func unreadableCheckpointsStopWith74AndTouchNothing() throws {
        let (run, arguments) = try trainedRun("bgpo-unreadable")
        defer { try? FileManager.default.removeItem(at: run) }
        let models = try CheckpointStore(runDirectory: run).list().map { $0.url.appendingPathComponent(CheckpointDirectory.modelFile) }
        try #require(!models.isEmpty)
        let user = try UnprivilegedUser(owning: run)
        for model in models { try #require(chmod(model.path, 0) == 0) }
        let before = try snapshot(run)

        let result = try user.runBGPO(extended(arguments, to: 5))
        #expect(result.status == 74, "\(result.stderr)")
        #expect(result.stderr.contains(models[models.count - 1].path) && result.stderr.contains("Permission denied"),
                "\(result.stderr)")
        #expect(!result.stdout.contains("starting a fresh run"), "\(result.stdout)")
        #expect(try snapshot(run) == before)
    }

    @Test func checkpointsNoneOfWhichVerifiesStopWith74AndTouchNothing() throws {
        let (run, arguments) = try trainedRun("bgpo-all-damaged")
        defer { try? FileManager.default.removeItem(at: run) }
        let checkpoints = try CheckpointStore(runDirectory: run).list()
        for checkpoint in checkpoints {
            let model = checkpoint.url.appendingPathComponent(CheckpointDirectory.modelFile)
            var data = try Data(contentsOf: model)
            data[data.count / 2] ^= 0x20
            try data.write(to: model)
        }
        let before = try snapshot(run)

        let result = try runBGPO(extended(arguments, to: 5), environment: rlRunEnvironment)
        #expect(result.status == 74, "\(result.stderr)")
        #expect(result.stderr.contains("\(checkpoints.count) checkpoint(s) and none verifies"), "\(result.stderr)")
        #expect(try snapshot(run) == before)
    }

    @Test func resumeNeverRefusesARunDirectoryWithCheckpoints() throws {
        let (run, arguments) = try trainedRun("bgpo-resume-never", steps: 2)
        defer { try? FileManager.default.removeItem(at: run) }
        let before = try snapshot(run)
        let result = try runBGPO(arguments + ["--resume", "never"], environment: rlRunEnvironment)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("holds 2 checkpoint(s) and --resume never would overwrite them"), "\(result.stderr)")
        #expect(try snapshot(run) == before)
    }

    // MARK: - Forged checkpoint contents

    @Test(arguments: [
        ("step", -1, "step -1 is negative"),
        ("step", 2, "step 2 disagrees with the checkpoint's manifest and directory (step 3)"),
        ("step", 1 << 40, "disagrees with the checkpoint's manifest"),
        ("updates", -5, "updates -5 is not between the step 3"),
        ("world_size", 0, "world_size 0 is not a number of ranks"),
    ])
    func aForgedStateIsRefusedWith74(field: String, value: Int, message: String) throws {
        let (run, arguments) = try trainedRun("bgpo-forged-state")
        defer { try? FileManager.default.removeItem(at: run) }
        try rewriteCheckpoint(run, step: 3) { state, _ in state[field] = value }
        let before = try snapshot(run)

        let result = try runBGPO(extended(arguments, to: 5), environment: rlRunEnvironment)
        #expect(result.status == 74, "\(result.stderr)")
        #expect(result.stderr.contains("state.json") && result.stderr.contains(message), "\(result.stderr)")
        #expect(!result.stdout.contains("already complete"))
        #expect(try snapshot(run) == before)
    }

    @Test func aCheckpointWithNonFiniteWeightsIsRefusedWith70() throws {
        let (run, arguments) = try trainedRun("bgpo-forged-nan")
        defer { try? FileManager.default.removeItem(at: run) }
        try rewriteCheckpoint(run, step: 3) { _, weights in weights[weights.count / 2] = .nan }
        let before = try snapshot(run)

        let result = try runBGPO(extended(arguments, to: 5), environment: rlRunEnvironment)
        #expect(result.status == 70, "\(result.stderr)")
        #expect(result.stderr.contains("step-000003: the weights or Adam moments of step 3 are not all finite"), "\(result.stderr)")
        #expect(try snapshot(run) == before)
    }

    @Test func weightsMadeNonFiniteByAnUpdateStopWith70AndNoCheckpoint() throws {
        let (run, arguments) = try trainedRun("bgpo-huge-rate", steps: 2)
        defer { try? FileManager.default.removeItem(at: run) }
        let result = try runBGPO(extended(arguments, to: 4) + ["--allow-config-change", "--set", "optim.learning_rate=3e38"],
                                 environment: rlRunEnvironment)
        #expect(result.status == 70, "\(result.stderr)")
        #expect(result.stderr.contains("step 3: the updated weights are not all finite"), "\(result.stderr)")
        #expect(try CheckpointStore(runDirectory: run).list().compactMap(\.step) == [1, 2])
        #expect(try latestStep(run) == 2)
    }

    // MARK: - LATEST

    @Test(arguments: ["verify", "inspect", "export"])
    func aLatestThatLeavesTheRunIsRefused(subcommand: String) throws {
        let (run, _) = try trainedRun("bgpo-escaping-latest", steps: 1)
        defer { try? FileManager.default.removeItem(at: run) }
        let latest = run.appendingPathComponent("checkpoints/LATEST")
        try Data("../..\n".utf8).write(to: latest)
        let out = run.appendingPathComponent("exported.safetensors")
        let result = try runBGPO(["checkpoint", subcommand, run.path] + (subcommand == "export" ? ["--out", out.path] : []))
        #expect(result.status == 74, "\(result.stderr)")
        #expect(result.stderr.contains("\(latest.path): names \"../..\", which is not a checkpoint of this run"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    // MARK: - Unwritable places

    @Test func aRunDirectoryThatCannotBeCreatedExits74NamingIt() throws {
        let parent = try temporaryDirectory("bgpo-read-only")
        defer { try? FileManager.default.removeItem(at: parent) }
        let user = try UnprivilegedUser(owning: parent)
        try #require(chmod(parent.path, 0o555) == 0)
        let run = parent.appendingPathComponent("run")
        let result = try user.runBGPO(tinyRLArguments(run, base: try warmStartedBaseModel(), steps: 1))
        #expect(result.status == 74, "\(result.stderr)")
        #expect(result.stderr.contains("\(run.path): cannot create directory: Permission denied"), "\(result.stderr)")
        #expect(!result.stderr.contains("Error Domain"), "\(result.stderr)")
    }

    @Test func aReadOnlyRunDirectoryExits74NamingTheFile() throws {
        let run = try temporaryDirectory("bgpo-read-only-run")
        defer { try? FileManager.default.removeItem(at: run) }
        let user = try UnprivilegedUser(owning: run)
        try #require(chmod(run.path, 0o555) == 0)
        let result = try user.runBGPO(tinyRLArguments(run, base: try warmStartedBaseModel(), steps: 1))
        #expect(result.status == 74, "\(result.stderr)")
        #expect(result.stderr.contains("\(run.path)/config.toml: cannot create: Permission denied"), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: run.path).isEmpty)
    }

    @Test func aFullStandardOutputFailsAProductCommandWith74() throws {
        let input = try temporaryDirectory("bgpo-full-output")
        defer { try? FileManager.default.removeItem(at: input) }
        let records = input.appendingPathComponent("records.jsonl")
        try Data(#"{"completion": "<answer>1 + 2</answer>", "numbers": [1, 2], "target": 3}"#.utf8 + [0x0A]).write(to: records)
        for arguments in [["score", "--task", "countdown", "--input", records.path], ["config", "show", "--preset", "countdown-tiny"]] {
            let result = try runWritingStandardOutputToFullDevice(arguments)
            #expect(result.status == 74, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("standard output: cannot write: No space left on device"), "\(result.stderr)")
        }
    }

    @Test func aTrainingRunWhoseLogDeviceIsFullCompletesWithItsCheckpoints() throws {
        let run = try temporaryDirectory("bgpo-full-log")
        defer { try? FileManager.default.removeItem(at: run) }
        let result = try runWritingStandardOutputToFullDevice(tinyRLArguments(run, base: try warmStartedBaseModel(), steps: 2, saveSteps: 1),
                                                              environment: rlRunEnvironment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("the log on standard output is incomplete"), "\(result.stderr)")
        #expect(try latestStep(run) == 2)
        #expect(recordedSteps(run) == [0, 1, 2])
    }
}

/// Every file under `directory` (relative path to contents), to compare before and after.
private func snapshot(_ directory: URL) throws -> [String: Data] {
    var files: [String: Data] = [:]
    let root = directory.standardizedFileURL.path
    guard let walker = FileManager.default.enumerator(atPath: root) else { return files }
    while let relative = walker.nextObject() as? String {
        let path = root + "/" + relative
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            files[relative + "/"] = Data()
            continue
        }
        // Unreadable files (this test made them so) are compared by their mode instead.
        files[relative] = FileManager.default.contents(atPath: path)
            ?? Data("mode \((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int ?? -1)".utf8)
    }
    return files
}

/// Rewrites the checkpoint of `step` in `run` through the checkpoint store, so that its manifest
/// matches: `edit` changes state.json's object and the model's weights (flat, in file order).
private func rewriteCheckpoint(_ run: URL, step: Int, edit: (inout [String: Any], inout [Float]) -> Void) throws {
    let store = CheckpointStore(runDirectory: run)
    let checkpoint = checkpointDirectory(run, step: step)
    let summary = try CheckpointDirectory(url: checkpoint).summary()
    let modelTensors = summary.model.entries.map(\.descriptor)
    let optimizerTensors = summary.optimizer.entries.map(\.descriptor)
    var weights = [Float](repeating: 0, count: modelTensors.reduce(0) { $0 + $1.elementCount })
    var moments = [Float](repeating: 0, count: optimizerTensors.reduce(0) { $0 + $1.elementCount })
    func destinations(_ tensors: [TensorDescriptor], _ buffer: UnsafeMutableBufferPointer<Float>) -> [TensorDestination] {
        var offset = 0
        return tensors.map { tensor in
            defer { offset += tensor.elementCount }
            return TensorDestination(name: tensor.name, shape: tensor.shape,
                                     floats: UnsafeMutableBufferPointer(rebasing: buffer[offset..<offset + tensor.elementCount]))
        }
    }
    let stateData = try weights.withUnsafeMutableBufferPointer { weightBuffer in
        try moments.withUnsafeMutableBufferPointer { momentBuffer in
            try CheckpointDirectory(url: checkpoint).load(model: destinations(modelTensors, weightBuffer),
                                                          optimizer: destinations(optimizerTensors, momentBuffer))
        }
    }
    var state = try #require(try JSONSerialization.jsonObject(with: stateData) as? [String: Any])
    edit(&state, &weights)
    let newState = try JSONSerialization.data(withJSONObject: state, options: [.sortedKeys])
    func views(_ tensors: [TensorDescriptor], _ buffer: UnsafeBufferPointer<Float>) -> [TensorView] {
        var offset = 0
        return tensors.map { tensor in
            defer { offset += tensor.elementCount }
            return TensorView(name: tensor.name, shape: tensor.shape,
                              floats: UnsafeBufferPointer(rebasing: buffer[offset..<offset + tensor.elementCount]))
        }
    }
    _ = try weights.withUnsafeBufferPointer { weightBuffer in
        try moments.withUnsafeBufferPointer { momentBuffer in
            try store.save(step: step, model: views(modelTensors, weightBuffer), optimizer: views(optimizerTensors, momentBuffer),
                           state: newState)
        }
    }
}

/// Runs `bgpo arguments` with standard output on `/dev/full`, which refuses every write with
/// ENOSPC, as a full log file system does; standard output comes back empty.
private func runWritingStandardOutputToFullDevice(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
    let process = bgpoProcess(arguments, ranks: nil, environment: environment, directory: nil)
    let full = try #require(FileHandle(forWritingAtPath: "/dev/full"))
    let errors = Pipe()
    process.standardOutput = full
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let stderr = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, stdout: "", stderr: String(decoding: stderr, as: UTF8.self))
}

/// Who runs `bgpo` when a test needs file permissions to hold: this user, or when the tests run
/// as root (as in CI), for whom permission bits do not count, the user `nobody` through
/// `setpriv`, owning the directory under test.
private struct UnprivilegedUser {
    private static let nobody: UInt32 = 65534
    private let isRoot = getuid() == 0

    /// Makes `directory` (and everything in it) belong to the user who will run `bgpo`.
    init(owning directory: URL) throws {
        guard isRoot else { return }
        let walker = FileManager.default.enumerator(atPath: directory.path)
        var paths = [directory.path]
        while let relative = walker?.nextObject() as? String { paths.append(directory.path + "/" + relative) }
        for path in paths { try #require(chown(path, Self.nobody, Self.nobody) == 0, "chown \(path)") }
    }

    /// Runs `bgpo arguments` as this user, with the tiny training runs' environment.
    func runBGPO(_ arguments: [String]) throws -> ProcessResult {
        let process = bgpoProcess(arguments, ranks: nil, environment: rlRunEnvironment, directory: nil)
        if isRoot {
            let binary = process.executableURL?.path ?? bgpoBinary.path
            process.arguments = ["--reuid=\(Self.nobody)", "--regid=\(Self.nobody)", "--clear-groups", binary]
                + (process.arguments ?? [])
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        }
        let output = try runToEnd(process)
        return ProcessResult(status: output.status, stdout: String(decoding: output.stdout, as: UTF8.self),
                             stderr: String(decoding: output.stderr, as: UTF8.self))
    }
}
