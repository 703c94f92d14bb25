#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The checkpoints of one run: `RUN_DIR/checkpoints/step-NNNNNN/` directories and the `LATEST`
/// file naming the newest.
///
/// One process writes (rank 0); any process may read. A save writes the files into a temporary
/// directory beside the target (`.tmp-step-NNNNNN-<pid>@<host>`), syncs every file and the
/// directory, renames it into place, syncs the parent, then replaces `LATEST` the same way
/// (temporary file, sync, rename, sync). A crash at any point leaves either the old state or the
/// new checkpoint complete, plus at most a temporary entry that the next save removes:
///
/// - a temporary entry whose writer ran on this host and no longer runs is removed at once;
/// - one from another host (shared storage: its pid cannot be checked) is removed once neither
///   it nor anything directly inside it has changed for ``foreignTemporaryLifetime``;
/// - entries of a live writer on this host, including this process, are left alone.
///
/// Temporary entries are never checkpoints: only names `step-<digits>` count.
public struct CheckpointStore: Sendable {
    /// The name of the file holding the name of the newest complete checkpoint.
    public static let latestFile = "LATEST"
    /// How long a temporary entry written from another host must be untouched before a save
    /// removes it: 24 hours.
    public static let foreignTemporaryLifetime: TimeInterval = 24 * 3600

    /// The run directory.
    public let runDirectory: URL
    /// How model and optimizer files are compressed.
    public var compression: CompressionOptions
    /// Which checkpoints a save keeps.
    public var retention: RetentionPolicy

    /// The store of `runDirectory`'s checkpoints.
    public init(runDirectory: URL, compression: CompressionOptions = CompressionOptions(),
                retention: RetentionPolicy = RetentionPolicy()) {
        self.runDirectory = runDirectory.standardizedFileURL
        self.compression = compression
        self.retention = retention
    }

    /// `RUN_DIR/checkpoints`.
    public var directory: URL { runDirectory.appendingPathComponent("checkpoints", isDirectory: true) }

    /// The checkpoint directories (complete or not), ordered by step, oldest first.
    public func list() throws -> [CheckpointDirectory] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch CocoaError.fileReadNoSuchFile {
            return []
        } catch {
            throw CheckpointError(.io, path: directory.path, "cannot list: \(error.localizedDescription)")
        }
        return names.compactMap { name -> (Int, CheckpointDirectory)? in
            var isDirectory: ObjCBool = false
            guard let step = CheckpointDirectory.step(fromName: name),
                  FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path, isDirectory: &isDirectory),
                  isDirectory.boolValue else { return nil }
            return (step, CheckpointDirectory(url: directory.appendingPathComponent(name, isDirectory: true)))
        }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// The checkpoint named `name` (for example `step-000120`); throws `.notFound` if there is
    /// no such directory. The checkpoint is not verified.
    public func checkpoint(named name: String) throws -> CheckpointDirectory {
        guard CheckpointDirectory.step(fromName: name) != nil else {
            throw CheckpointError(.notFound, path: directory.path, "\"\(name)\" is not a checkpoint name (step-<digits>)")
        }
        let checkpoint = CheckpointDirectory(url: directory.appendingPathComponent(name, isDirectory: true))
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: checkpoint.url.path, isDirectory: &isDirectory),
              isDirectory.boolValue else {
            throw CheckpointError(.notFound, path: checkpoint.url.path, "no such checkpoint")
        }
        return checkpoint
    }

    /// The name `LATEST` holds, or nil when there is no `LATEST`.
    ///
    /// Only a checkpoint name of this store (`step-<digits>`) is accepted: any other content (a
    /// path such as `../..`, garbage) is `.invalidContent`, so that `LATEST` can never lead
    /// outside the run directory.
    public func latestName() throws -> String? {
        let path = directory.appendingPathComponent(Self.latestFile).path
        guard try statEntry(path) != nil else { return nil }
        let name: String
        do {
            name = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw CheckpointError(.io, path: path, "cannot read: \(error.localizedDescription)")
        }
        guard CheckpointDirectory.step(fromName: name) != nil else {
            let shown = name.count > 80 ? String(name.prefix(80)) + "..." : name
            throw CheckpointError(.invalidContent, path: path,
                                  "names \"\(shown)\", which is not a checkpoint of this run (step-<digits>)")
        }
        return name
    }

    /// Fully verifies the checkpoint named `name` (see ``CheckpointDirectory/verify()``).
    public func verify(_ name: String) throws -> CheckpointSummary {
        try checkpoint(named: name).verify()
    }

    /// Loads the checkpoint named `name` into the caller's memory, verifying it on the way, and
    /// returns its state.json (see ``CheckpointDirectory/load(model:optimizer:)``).
    public func load(_ name: String, model: [TensorDestination], optimizer: [TensorDestination]?) throws -> Data {
        try checkpoint(named: name).load(model: model, optimizer: optimizer)
    }

    /// The newest checkpoint that verifies, for `--resume auto`.
    ///
    /// Checkpoints are tried newest step first; each one that fails verification is listed in
    /// ``CheckpointLookup/skipped`` with the reason; a checkpoint that cannot be read (an I/O
    /// error, not damage) ends the lookup with that error. `LATEST` is only cross-checked: a `LATEST`
    /// that is missing, names a missing directory, or lags behind a newer complete checkpoint is
    /// reported in ``CheckpointLookup/notes``. Temporary directories are never candidates.
    /// Full verification (the default, what a resume needs) reads every byte of each candidate;
    /// `.summary` reads manifests, headers and state only (``CheckpointDirectory/summary()``), for
    /// a quick look at many runs.
    public func latestValid(_ check: CheckpointCheck = .full) throws -> CheckpointLookup {
        let checkpoints = try list()
        var lookup = CheckpointLookup(found: nil, skipped: [], notes: [])
        let latest: String?
        do {
            latest = try latestName()
        } catch {
            latest = nil
            lookup.notes.append("\(error); chose by scanning the checkpoint directories")
        }
        if let latest, !checkpoints.contains(where: { $0.name == latest }) {
            lookup.notes.append("LATEST names \(latest), which does not exist; "
                                + "chose by scanning the checkpoint directories")
        } else if latest == nil, !checkpoints.isEmpty, lookup.notes.isEmpty {
            lookup.notes.append("no LATEST file; chose by scanning the checkpoint directories")
        }
        for checkpoint in checkpoints.reversed() {
            do {
                lookup.found = try check == .full ? checkpoint.verify() : checkpoint.summary()
                break
            } catch let error as CheckpointError where error.kind == .io {
                // A read that failed (permission, a flaky file system) says nothing about the
                // checkpoint: passing it over could resume from an older one or start afresh.
                throw error
            } catch {
                lookup.skipped.append(SkippedCheckpoint(name: checkpoint.name, reason: "\(error)"))
            }
        }
        if let found = lookup.found?.checkpoint, let latest, latest != found.name,
           let latestStep = CheckpointDirectory.step(fromName: latest), let step = found.step, latestStep < step,
           checkpoints.contains(where: { $0.name == latest }) {
            lookup.notes.append("LATEST names \(latest), but \(found.name) is newer and verifies "
                                + "(its writer stopped before updating LATEST)")
        }
        return lookup
    }

    /// Writes the checkpoint of `step` and publishes it atomically, then applies the retention
    /// policy.
    ///
    /// `model` holds the weights; `optimizer` exactly `exp_avg.<name>` and `exp_avg_sq.<name>`
    /// (``OptimizerTensorName``) of each model tensor, with its shape; `state` the bytes of
    /// state.json (JSON). Tensor data is streamed from the views through zstd to disk, never
    /// copied whole. An existing checkpoint of the same step is replaced: moved aside, the new
    /// one renamed in, the old one removed (a crash in between leaves the other checkpoints).
    /// The checkpoint `LATEST` names (the new one) is never removed by retention.
    ///
    /// `beforePublishing` runs once the files are written and synced, just before the rename
    /// that publishes the checkpoint: whatever it writes (a training run's metrics line of the
    /// step) then exists whenever the checkpoint does, even after a crash in between.
    ///
    /// Throws `.invalidArgument` (exit 70) for inconsistent input, otherwise `.io` (74), or what
    /// `beforePublishing` throws; on failure the previous checkpoints and `LATEST` are untouched
    /// and the temporary directory is removed.
    public func save(step: Int, model: [TensorView], optimizer: [TensorView], state: Data,
                     beforePublishing: () throws -> Void = {}) throws -> CheckpointSaveResult {
        let name = CheckpointDirectory.name(forStep: step)
        let target = directory.appendingPathComponent(name, isDirectory: true)
        func invalid(_ problem: String) -> CheckpointError { CheckpointError(.invalidArgument, path: target.path, problem) }
        guard step >= 0 else { throw invalid("negative step \(step)") }
        if let problem = retention.problem { throw invalid(problem) }
        if let problem = optimizerMismatch(optimizer: optimizer.map(\.descriptor), model: model.map(\.descriptor)) {
            throw invalid("optimizer tensors: \(problem)")
        }
        guard (try? JSONSerialization.jsonObject(with: state)) != nil else { throw invalid("state.json: not valid JSON") }
        // "format": "pt" lets Hugging Face transformers load the exported model file.
        let finalPath = { (file: String) in target.appendingPathComponent(file).path }
        let modelHeader = try Safetensors.makeHeader(model, metadata: ["format": "pt"],
                                                     path: finalPath(CheckpointDirectory.modelFile))
        let optimizerHeader = try Safetensors.makeHeader(optimizer, metadata: [:],
                                                         path: finalPath(CheckpointDirectory.optimizerFile))

        try createDirectories(directory)
        let cleaned = removeStaleTemporaries()
        let temporary = directory.appendingPathComponent(temporaryName(for: name), isDirectory: true)
        try? FileManager.default.removeItem(at: temporary)
        try createDirectories(temporary)
        let manifest: CheckpointManifest
        do {
            func file(_ name: String) throws -> OutputFile {
                try OutputFile(path: temporary.appendingPathComponent(name).path)
            }
            let modelDigest = try Safetensors.emit(model, header: modelHeader,
                                                   to: try file(CheckpointDirectory.modelFile), compression: compression)
            let optimizerDigest = try Safetensors.emit(optimizer, header: optimizerHeader,
                                                       to: try file(CheckpointDirectory.optimizerFile), compression: compression)
            let stateFile = try file(CheckpointDirectory.stateFile)
            try state.withUnsafeBytes { try stateFile.write($0) }
            let stateDigest = try stateFile.finish()
            manifest = CheckpointManifest(step: step, files: [
                .init(name: CheckpointDirectory.modelFile, digest: modelDigest),
                .init(name: CheckpointDirectory.optimizerFile, digest: optimizerDigest),
                .init(name: CheckpointDirectory.stateFile, digest: stateDigest),
            ])
            let manifestFile = try file(CheckpointDirectory.manifestFile)
            try manifest.encoded().withUnsafeBytes { try manifestFile.write($0) }
            _ = try manifestFile.finish()
            try fsyncDirectory(temporary.path)
            try beforePublishing()
            try publishDirectory(temporary, as: target,
                                 replacingVia: directory.appendingPathComponent(temporaryName(for: "replaced-" + name)))
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        let latest = directory.appendingPathComponent(Self.latestFile).path
        _ = try writeAtomically(latest) { file in
            try Array((name + "\n").utf8).withUnsafeBytes { try file.write($0) }
            return try file.finish()
        }
        let removed = applyRetention(protecting: step)
        return CheckpointSaveResult(checkpoint: CheckpointDirectory(url: target), manifest: manifest,
                                    removed: removed, removedTemporaries: cleaned)
    }

    /// Removes the temporary entries of writers that are gone (see the type's documentation) and
    /// returns their names. Failures to remove are ignored: the next save tries again.
    @discardableResult
    public func removeStaleTemporaries() -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        var removed: [String] = []
        for name in names.sorted() {
            guard let owner = TemporaryOwner(temporaryName: name) else { continue }
            let url = directory.appendingPathComponent(name)
            let stale = owner.host == TemporaryOwner.currentHost ? owner.isGone
                : Date().timeIntervalSince(lastModification(url)) > Self.foreignTemporaryLifetime
            if stale, (try? FileManager.default.removeItem(at: url)) != nil { removed.append(name) }
        }
        return removed
    }

    /// Removes the checkpoints the retention policy drops (never `protecting` or LATEST's) and
    /// returns their names. Each is first renamed to a temporary name, so that it disappears
    /// from the list at once even if removing its files is interrupted. Best effort: a
    /// checkpoint that cannot be removed stays, and the next save tries again.
    private func applyRetention(protecting step: Int) -> [String] {
        guard let checkpoints = try? list() else { return [] }
        var protected: Set<Int> = [step]
        if let latest = try? latestName(), let latestStep = CheckpointDirectory.step(fromName: latest) {
            protected.insert(latestStep)
        }
        let doomed = Set(retention.stepsToRemove(from: checkpoints.compactMap(\.step), protecting: protected))
        var removed: [String] = []
        for checkpoint in checkpoints where checkpoint.step.map(doomed.contains) == true {
            let aside = directory.appendingPathComponent(temporaryName(for: "removed-" + checkpoint.name))
            guard (try? renameEntry(checkpoint.url.path, to: aside.path)) != nil else { continue }
            removed.append(checkpoint.name)
            try? FileManager.default.removeItem(at: aside)
        }
        if !removed.isEmpty { try? fsyncDirectory(directory.path) }
        return removed
    }

    /// The latest modification time of `url` and the entries directly inside it.
    private func lastModification(_ url: URL) -> Date {
        let manager = FileManager.default
        let paths = [url.path] + ((try? manager.contentsOfDirectory(atPath: url.path)) ?? []).map {
            url.appendingPathComponent($0).path
        }
        let dates = paths.compactMap { (try? manager.attributesOfItem(atPath: $0)[.modificationDate]) as? Date }
        return dates.max() ?? .distantPast
    }
}

/// The result of ``CheckpointStore/save(step:model:optimizer:state:beforePublishing:)``.
public struct CheckpointSaveResult: Sendable {
    /// The checkpoint written.
    public var checkpoint: CheckpointDirectory
    /// Its manifest (sizes and SHA-256 of its files).
    public var manifest: CheckpointManifest
    /// Checkpoints the retention policy removed (best effort: one that could not be removed is
    /// not listed and stays until a later save).
    public var removed: [String]
    /// Temporary entries of earlier, dead writers that were removed.
    public var removedTemporaries: [String]
}

/// How much of a checkpoint ``CheckpointStore/latestValid(_:)`` reads to accept it.
public enum CheckpointCheck: Sendable, Equatable {
    /// Every byte: sizes, SHA-256 and zstd checksums of all files (``CheckpointDirectory/verify()``).
    case full
    /// The manifest, the state and both safetensors headers (``CheckpointDirectory/summary()``).
    case summary
}

/// The result of ``CheckpointStore/latestValid(_:)``.
public struct CheckpointLookup: Sendable {
    /// The newest checkpoint that passes the check, with its contents; nil when none does.
    public var found: CheckpointSummary?
    /// Newer checkpoints that failed verification, newest first, with the reason.
    public var skipped: [SkippedCheckpoint]
    /// Remarks on `LATEST` (missing, naming a missing directory, lagging behind).
    public var notes: [String]
}

/// A checkpoint passed over by ``CheckpointStore/latestValid(_:)``.
public struct SkippedCheckpoint: Sendable, Equatable {
    /// The checkpoint's directory name.
    public var name: String
    /// Why it does not verify.
    public var reason: String
}
