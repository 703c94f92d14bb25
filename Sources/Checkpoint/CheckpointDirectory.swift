import Foundation

/// One checkpoint on disk: a directory holding the model, the optimizer state, the run state and
/// the manifest.
///
/// ```
/// step-000120/
///   model.safetensors.zst       weights; `zstd -d` gives a standard safetensors file
///   optimizer.safetensors.zst   Adam moments, `exp_avg.<name>` and `exp_avg_sq.<name>`
///   state.json                  the caller's run state (JSON)
///   MANIFEST.json               size and SHA-256 of the three files above; written last
/// ```
///
/// Every read checks the manifest first; errors name the file and what is wrong
/// (``CheckpointError``, exit code 74).
public struct CheckpointDirectory: Sendable, Hashable {
    /// The model file's name.
    public static let modelFile = "model.safetensors.zst"
    /// The optimizer file's name.
    public static let optimizerFile = "optimizer.safetensors.zst"
    /// The run state file's name.
    public static let stateFile = "state.json"
    /// The manifest's name.
    public static let manifestFile = "MANIFEST.json"

    /// The directory.
    public let url: URL

    /// A checkpoint at `url` (which need not exist).
    public init(url: URL) { self.url = url.standardizedFileURL }

    /// The directory's name, for example `step-000120`.
    public var name: String { url.lastPathComponent }

    /// The step in a name of the form `step-NNNNNN`, nil for other names.
    public var step: Int? { Self.step(fromName: name) }

    /// The directory name for `step`: `step-` and at least six digits.
    public static func name(forStep step: Int) -> String {
        let digits = String(step)
        return "step-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The step in `name` when it has the form `step-` followed by digits only.
    public static func step(fromName name: String) -> Int? {
        guard name.hasPrefix("step-") else { return nil }
        let digits = name.dropFirst(5)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }

    /// The path of the file `name` inside the checkpoint.
    public func path(of file: String) -> String { url.appendingPathComponent(file).path }

    /// Reads and checks MANIFEST.json: present (else the checkpoint is `.incomplete`), intact,
    /// listing the three data files, with the step of the directory's name.
    public func readManifest() throws -> CheckpointManifest {
        guard try statEntry(url.path)?.isDirectory == true else {
            throw CheckpointError(.notFound, path: url.path, "no such checkpoint directory")
        }
        let path = path(of: Self.manifestFile)
        guard try statEntry(path) != nil else {
            throw CheckpointError(.incomplete, path: path, "missing: the checkpoint is incomplete (its writer did not finish)")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CheckpointError(.io, path: path, "cannot read: \(error.localizedDescription)")
        }
        let manifest = try CheckpointManifest(decoding: data, path: path)
        for file in [Self.modelFile, Self.optimizerFile, Self.stateFile] where manifest[file: file] == nil {
            throw CheckpointError(.invalidContent, path: path, "lists no \(file)")
        }
        if let step, step != manifest.step {
            throw CheckpointError(.invalidContent, path: path, "says step \(manifest.step), but the directory is \(name)")
        }
        return manifest
    }

    /// Reads the manifest, the run state and both safetensors headers without decompressing the
    /// tensor data: checks file sizes and the state's SHA-256, but not the big files' SHA-256 or
    /// zstd checksums (use ``verify()`` for that).
    public func summary() throws -> CheckpointSummary {
        let (manifest, state) = try openChecked()
        var headers: [SafetensorsHeader] = []
        for file in [Self.modelFile, Self.optimizerFile] {
            let input = try InputFile(path: path(of: file))
            headers.append(try SafetensorsStreamReader(source: try ZstdDecoder(input: input), path: input.path,
                                                       fileByteCount: nil).header)
        }
        return CheckpointSummary(checkpoint: self, manifest: manifest, model: headers[0], optimizer: headers[1],
                                 state: state, isVerified: false)
    }

    /// Checks every file completely: the manifest, sizes and SHA-256 of all files, zstd
    /// checksums, truncation and trailing bytes, safetensors header sanity, state.json being
    /// JSON, and that the optimizer holds `exp_avg` and `exp_avg_sq` for exactly the model's
    /// tensors with their shapes. Reads every byte once.
    public func verify() throws -> CheckpointSummary {
        let (manifest, state) = try openChecked()
        let model = try streamFile(Self.modelFile, manifest, into: [])
        let optimizer = try streamFile(Self.optimizerFile, manifest, into: []) { header in
            try checkOptimizer(header, matches: model)
        }
        return CheckpointSummary(checkpoint: self, manifest: manifest, model: model, optimizer: optimizer,
                                 state: state, isVerified: true)
    }

    /// Reads the checkpoint into the caller's memory, verifying everything ``verify()`` does in
    /// the same single pass, and returns the bytes of state.json.
    ///
    /// The model file must hold exactly the tensors of `model` with their shapes, the optimizer
    /// file exactly `exp_avg` and `exp_avg_sq` of each; `optimizer` may name any subset of those
    /// (usually all), or be nil to leave the optimizer file unread. If this throws, the
    /// destinations hold unspecified data.
    public func load(model: [TensorDestination], optimizer: [TensorDestination]?) throws -> Data {
        let (manifest, state) = try openChecked()
        let modelPath = path(of: Self.modelFile)
        let expected = Set(model.map(\.name))
        let header = try streamFile(Self.modelFile, manifest, into: model) { header in
            if let extra = header.entries.first(where: { !expected.contains($0.descriptor.name) }) {
                throw CheckpointError(.invalidContent, path: modelPath,
                                      "holds tensor '\(extra.descriptor.name)', which the model does not have")
            }
        }
        if let optimizer {
            _ = try streamFile(Self.optimizerFile, manifest, into: optimizer) {
                try checkOptimizer($0, matches: header)
            }
        }
        return state
    }

    /// Writes the model as a plain safetensors file at `destination`, atomically (a temporary
    /// beside it, synced, then renamed; nothing is left behind on failure), verifying the model
    /// file's size, SHA-256 and zstd checksum on the way. Returns the written file's digest.
    public func exportModel(to destination: URL) throws -> FileDigest {
        let manifest = try readManifest()
        return try writeAtomically(destination.path) { file in
            _ = try streamFile(Self.modelFile, manifest, into: [], copy: file)
            return try file.finish()
        }
    }

    /// The manifest and state.json, after checking that every data file has its recorded size
    /// and that state.json has its recorded SHA-256 and is JSON.
    private func openChecked() throws -> (CheckpointManifest, Data) {
        let manifest = try readManifest()
        for file in [Self.modelFile, Self.optimizerFile, Self.stateFile] {
            let path = path(of: file)
            guard let size = try statEntry(path)?.size else {
                throw CheckpointError(.notFound, path: path, "missing (the manifest lists it)")
            }
            try checkSize(size, expected: manifest[file: file]!.digest.byteCount, path: path)
        }
        let statePath = path(of: Self.stateFile)
        let input = try InputFile(path: statePath)
        var state = Data(count: input.size)
        _ = try state.withUnsafeMutableBytes { try input.read(into: $0) }
        try checkDigest(try input.finishDigest(), expected: manifest[file: Self.stateFile]!.digest, path: statePath)
        guard (try? JSONSerialization.jsonObject(with: state)) != nil else {
            throw CheckpointError(.invalidContent, path: statePath, "not valid JSON")
        }
        return (manifest, state)
    }

    /// Streams one safetensors.zst file of the checkpoint, checked against its manifest entry.
    private func streamFile(_ file: String, _ manifest: CheckpointManifest, into destinations: [TensorDestination],
                            copy: ByteSink? = nil,
                            validate: (SafetensorsHeader) throws -> Void = { _ in }) throws -> SafetensorsHeader {
        try Safetensors.stream(path(of: file), compressed: true, expected: manifest[file: file]!.digest,
                               into: destinations, validate: validate, copy: copy).header
    }

    /// Throws `.invalidContent` unless `optimizer` holds exactly `exp_avg.<name>` and
    /// `exp_avg_sq.<name>` with the shape of each tensor of `model`.
    private func checkOptimizer(_ optimizer: SafetensorsHeader, matches model: SafetensorsHeader) throws {
        let path = path(of: Self.optimizerFile)
        if let problem = optimizerMismatch(optimizer: optimizer.entries.map(\.descriptor),
                                           model: model.entries.map(\.descriptor)) {
            throw CheckpointError(.invalidContent, path: path, problem)
        }
    }
}

/// Why `optimizer` is not exactly `exp_avg.<name>` and `exp_avg_sq.<name>` with the shape of
/// each tensor of `model`, or nil when it is.
func optimizerMismatch(optimizer: [TensorDescriptor], model: [TensorDescriptor]) -> String? {
    var shapes: [String: [Int]] = [:]
    for tensor in model {
        shapes[OptimizerTensorName.expAvg(tensor.name)] = tensor.shape
        shapes[OptimizerTensorName.expAvgSq(tensor.name)] = tensor.shape
    }
    var seen = Set<String>()
    for tensor in optimizer {
        guard let shape = shapes[tensor.name] else {
            return "tensor '\(tensor.name)' is not the exp_avg or exp_avg_sq of a model tensor"
        }
        guard shape == tensor.shape else {
            return "tensor '\(tensor.name)' has shape \(tensor.shapeDescription), but the model tensor has "
                + TensorDescriptor(name: "", shape: shape, dtype: tensor.dtype).shapeDescription
        }
        seen.insert(tensor.name)
    }
    if let missing = shapes.keys.sorted().first(where: { !seen.contains($0) }) {
        return "tensor '\(missing)' is missing"
    }
    return nil
}

/// The names of the Adam moments of a parameter tensor in optimizer.safetensors.zst.
public enum OptimizerTensorName {
    /// `exp_avg.<name>`: the first moment (Adam's m).
    public static func expAvg(_ name: String) -> String { "exp_avg." + name }
    /// `exp_avg_sq.<name>`: the second moment (Adam's v).
    public static func expAvgSq(_ name: String) -> String { "exp_avg_sq." + name }
}

/// What a checkpoint holds, as read by ``CheckpointDirectory/summary()`` or
/// ``CheckpointDirectory/verify()``.
public struct CheckpointSummary: Sendable {
    /// The checkpoint.
    public var checkpoint: CheckpointDirectory
    /// Its manifest.
    public var manifest: CheckpointManifest
    /// The model file's safetensors header.
    public var model: SafetensorsHeader
    /// The optimizer file's safetensors header.
    public var optimizer: SafetensorsHeader
    /// The bytes of state.json.
    public var state: Data
    /// Whether every byte was checked (``CheckpointDirectory/verify()``) or only the headers.
    public var isVerified: Bool
}
