import ArgumentParser
import Base
import Checkpoint
import Foundation

/// `bgpo checkpoint`: verify, inspect and export checkpoint directories.
struct CheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Verify, inspect or export a checkpoint (RUN_DIR/checkpoints/step-NNNNNN).",
        subcommands: [Verify.self, Inspect.self, Export.self]
    )

    /// `bgpo checkpoint verify PATH`.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every file of a checkpoint: manifest, sizes, SHA-256, zstd checksums, headers, tensors.",
            discussion: "Exits 0 when the checkpoint is intact, 74 naming the file and the problem otherwise.")

        @Argument(help: "The checkpoint directory, or a run directory to take the checkpoint LATEST names.")
        var path: String

        func run() throws {
            let checkpoint = try resolveCheckpoint(path)
            let summary = try checkpoint.verify()
            print("\(checkpoint.url.path): OK (step \(summary.manifest.step))")
            for file in summary.manifest.files {
                let tensors = file.name == CheckpointDirectory.modelFile ? summary.model
                    : file.name == CheckpointDirectory.optimizerFile ? summary.optimizer : nil
                let detail = tensors.map { "  \($0.entries.count) tensors, zstd checksum ok" } ?? ""
                print("  \(pad(file.name, 26)) \(pad(byteText(file.digest.byteCount), 10)) sha256 ok\(detail)")
            }
            print("  \(pad(CheckpointDirectory.manifestFile, 26)) \(pad("", 10)) manifest_sha256 ok")
        }
    }

    /// `bgpo checkpoint inspect PATH`.
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a checkpoint's step, run state, files and tensors.",
            discussion: "Reads the manifest, state.json and the safetensors headers only; add --verify to check every byte.")

        @Argument(help: "The checkpoint directory, or a run directory to take the checkpoint LATEST names.")
        var path: String

        @Flag(help: "Also verify every file completely (reads all data).")
        var verify = false

        func run() throws {
            let checkpoint = try resolveCheckpoint(path)
            let summary = try verify ? checkpoint.verify() : checkpoint.summary()
            let manifest = summary.manifest
            print("checkpoint  \(checkpoint.url.path)")
            print("step        \(manifest.step) (format version \(manifest.formatVersion))")
            print("verified    \(summary.isVerified ? "yes, every byte" : "headers and sizes only (use --verify)")")
            print("state.json  \(stateSummary(summary.state))")
            print("")
            print("\(pad("file", 26)) \(pad("size", 10)) \(pad("uncompressed", 12)) \(pad("ratio", 6)) sha256")
            let manifestPath = checkpoint.path(of: CheckpointDirectory.manifestFile)
            let manifestSize = (try? FileManager.default.attributesOfItem(atPath: manifestPath)[.size] as? Int) ?? 0
            for file in manifest.files {
                let digest = file.digest
                let uncompressed = digest.uncompressedByteCount.map(byteText) ?? "-"
                let ratio = digest.uncompressedByteCount.map {
                    String(format: "%.3f", Double($0) / Double(max(1, digest.byteCount)))
                } ?? "-"
                print("\(pad(file.name, 26)) \(pad(byteText(digest.byteCount), 10)) \(pad(uncompressed, 12)) "
                      + "\(pad(ratio, 6)) \(digest.sha256.prefix(16))…")
            }
            print("\(pad(CheckpointDirectory.manifestFile, 26)) \(byteText(manifestSize))")
            print("")
            printTensors("model", summary.model)
            print("")
            let moments = summary.optimizer.entries.reduce(0) { $0 + $1.descriptor.elementCount }
            let dtypes = Set(summary.optimizer.entries.map(\.descriptor.dtype.rawValue)).sorted().joined(separator: ", ")
            print("optimizer: \(summary.optimizer.entries.count) tensors (exp_avg and exp_avg_sq of each model tensor), "
                  + "\(moments) elements, \(dtypes)")
        }

        /// A table of the tensors of `header`.
        private func printTensors(_ title: String, _ header: SafetensorsHeader) {
            let total = header.entries.reduce(0) { $0 + $1.descriptor.elementCount }
            let width = max(4, header.entries.map(\.descriptor.name.count).max() ?? 0)
            let metadata = header.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            print("\(title): \(header.entries.count) tensors, \(total) elements, \(byteText(header.dataByteCount))"
                  + (metadata.isEmpty ? "" : ", metadata " + metadata.joined(separator: " ")))
            print("  \(pad("name", width)) \(pad("dtype", 5)) \(pad("shape", 16)) count")
            for entry in header.entries {
                let d = entry.descriptor
                print("  \(pad(d.name, width)) \(pad(d.dtype.rawValue, 5)) \(pad(d.shapeDescription, 16)) "
                      + "\(d.elementCount)")
            }
        }
    }

    /// `bgpo checkpoint export PATH --out FILE.safetensors`.
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the checkpoint's model as a plain safetensors file.",
            discussion: "The file is written beside --out under a temporary name and renamed when complete and verified; "
                + "on failure nothing is left behind.")

        @Argument(help: "The checkpoint directory, or a run directory to take the checkpoint LATEST names.")
        var path: String

        @Option(name: .customLong("out"), help: ArgumentHelp("The safetensors file to write.", valueName: "file"))
        var output: String

        func run() throws {
            let checkpoint = try resolveCheckpoint(path)
            let out = URL(fileURLWithPath: output)
            let digest = try checkpoint.exportModel(to: out)
            print("wrote \(out.path) (\(byteText(digest.byteCount)), sha256 \(digest.sha256))")
        }
    }
}

/// The checkpoint `path` names: a checkpoint directory itself, or for a run directory (or its
/// `checkpoints` directory) the checkpoint its `LATEST` file names.
private func resolveCheckpoint(_ path: String) throws -> CheckpointDirectory {
    let url = URL(fileURLWithPath: path).standardizedFileURL
    let given = CheckpointDirectory(url: url)
    if given.step != nil || FileManager.default.fileExists(atPath: given.path(of: CheckpointDirectory.manifestFile)) {
        return given
    }
    let run = url.lastPathComponent == "checkpoints" ? url.deletingLastPathComponent() : url
    let store = CheckpointStore(runDirectory: run)
    guard let latest = try store.latestName() else { return given }
    let checkpoint = CheckpointDirectory(url: store.directory.appendingPathComponent(latest, isDirectory: true))
    StandardStream.error.writeLog("checkpoint: \(checkpoint.url.path) (named by LATEST)\n")
    return checkpoint
}

/// `text` padded with spaces to `width` characters.
private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

/// A byte count for people: `512 B`, `1.50 KB`, `12.34 MB`, `1.23 GB` (powers of 1000).
private func byteText(_ count: Int) -> String {
    let value = Double(count)
    switch value {
    case ..<1e3: return "\(count) B"
    case ..<1e6: return String(format: "%.2f KB", value / 1e3)
    case ..<1e9: return String(format: "%.2f MB", value / 1e6)
    default: return String(format: "%.2f GB", value / 1e9)
    }
}

/// One line describing the top level of state.json: scalars as they are (long strings cut),
/// arrays and objects by size.
private func stateSummary(_ state: Data) -> String {
    guard let root = try? JSONSerialization.jsonObject(with: state) as? [String: Any] else {
        return "\(state.count) bytes (not a JSON object)"
    }
    return root.keys.sorted().map { key -> String in
        let value = root[key]!
        let text: String
        switch value {
        case let object as [String: Any]: text = "{\(object.count) keys}"
        case let array as [Any]: text = "[\(array.count) items]"
        case let string as String: text = "\"" + (string.count > 40 ? string.prefix(40) + "…" : string) + "\""
        case is NSNull: text = "null"
        default: text = "\(value)"
        }
        return "\(key)=\(text)"
    }.joined(separator: " ")
}
