import Foundation

/// Writing and reading whole safetensors files, plain or as one zstd frame, streaming between
/// the file and the caller's memory.
public enum Safetensors {
    /// Writes `tensors` in the given order as a safetensors file at `url`, replacing it
    /// atomically: the file is written beside it under a temporary name, synced, and renamed.
    ///
    /// With `compression`, the file is one zstd frame with a content checksum whose content is
    /// the safetensors file byte for byte (`zstd -d` restores it). `metadata` becomes the
    /// header's `__metadata__`. Returns the written file's size and SHA-256.
    public static func write(_ tensors: [TensorView], metadata: [String: String] = [:], to url: URL,
                             compression: CompressionOptions? = nil) throws -> FileDigest {
        let header = try makeHeader(tensors, metadata: metadata, path: url.path)
        return try writeAtomically(url.path) { file in
            try emit(tensors, header: header, to: file, compression: compression)
        }
    }

    /// Reads the safetensors file at `url` (one zstd frame if `compressed`) from start to end,
    /// filling `destinations`, and returns its header and the file's size and SHA-256.
    ///
    /// Every tensor named in `destinations` must be present with the destination's shape;
    /// other tensors are skipped. The whole file is checked: header sanity, data length, and for
    /// zstd the content checksum, truncation and trailing bytes.
    public static func read(_ url: URL, compressed: Bool, into destinations: [TensorDestination] = [])
        throws -> (header: SafetensorsHeader, digest: FileDigest) {
        try stream(url.path, compressed: compressed, expected: nil, into: destinations)
    }

    /// Checks `tensors` and lays out their header; `path` names the file in errors.
    static func makeHeader(_ tensors: [TensorView], metadata: [String: String],
                           path: String) throws -> SafetensorsHeader {
        for tensor in tensors {
            let d = tensor.descriptor
            guard d.dtype.canConvert(from: tensor.memoryDType) else {
                throw CheckpointError(.invalidArgument, path: path,
                                      "tensor '\(d.name)': cannot store \(tensor.memoryDType.rawValue) memory "
                                      + "as \(d.dtype.rawValue)")
            }
            guard d.shape.allSatisfy({ $0 >= 0 }),
                  tensor.bytes.count == d.elementCount * tensor.memoryDType.byteWidth else {
                throw CheckpointError(.invalidArgument, path: path,
                                      "tensor '\(d.name)': \(tensor.bytes.count) bytes in memory do not hold shape "
                                      + "\(d.shapeDescription) of \(tensor.memoryDType.rawValue)")
            }
        }
        return try SafetensorsHeader(tensors: tensors.map(\.descriptor), metadata: metadata, path: path)
    }

    /// Writes `header` and the tensors' data to `file` (through zstd if `compression` is given),
    /// syncs and closes it, and returns its digest.
    static func emit(_ tensors: [TensorView], header: SafetensorsHeader, to file: OutputFile,
                     compression: CompressionOptions?) throws -> FileDigest {
        let encoder = try compression.map {
            try ZstdEncoder(output: file, options: $0, contentByteCount: header.fileByteCount)
        }
        let sink: ByteSink = encoder ?? file
        try header.encoded().withUnsafeBytes { try sink.write($0) }
        var scratch: UnsafeMutableRawBufferPointer?
        defer { scratch?.deallocate() }
        for tensor in tensors { try writeData(of: tensor, to: sink, scratch: &scratch) }
        try encoder?.finish()
        return try file.finish(uncompressedByteCount: compression == nil ? nil : header.fileByteCount)
    }

    /// Writes the data of `tensor` to `sink`, converting it to its stored type through `scratch`
    /// (allocated on first need, 1 MiB; the caller deallocates it).
    static func writeData(of tensor: TensorView, to sink: ByteSink, scratch: inout UnsafeMutableRawBufferPointer?) throws {
        let stored = tensor.descriptor.dtype
        if stored == tensor.memoryDType {
            try sink.write(tensor.bytes)
            return
        }
        let buffer = scratch ?? .allocate(byteCount: 1 << 20, alignment: 64)
        scratch = buffer
        let perChunk = buffer.count / tensor.memoryDType.byteWidth
        var done = 0
        while done < tensor.descriptor.elementCount {
            let n = min(perChunk, tensor.descriptor.elementCount - done)
            convertElements(tensor.bytes.baseAddress! + done * tensor.memoryDType.byteWidth, from: tensor.memoryDType,
                            buffer.baseAddress!, to: stored, count: n)
            try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<(n * stored.byteWidth)]))
            done += n
        }
    }

    /// Reads a safetensors file front to back into `destinations`.
    ///
    /// `validate` sees the header before any data is read. When `expected` is given (from a
    /// manifest), the file's size is checked before reading and its SHA-256 and decompressed
    /// size after; if reading fails and the SHA-256 differs from `expected`, the error says so
    /// (the file changed after it was written) and quotes the reading error. `copy` receives
    /// every uncompressed byte read.
    static func stream(_ path: String, compressed: Bool, expected: FileDigest?,
                       into destinations: [TensorDestination],
                       validate: (SafetensorsHeader) throws -> Void = { _ in },
                       copy: ByteSink? = nil) throws -> (header: SafetensorsHeader, digest: FileDigest) {
        let input = try InputFile(path: path)
        if let expected { try checkSize(input.size, expected: expected.byteCount, path: path) }
        let header: SafetensorsHeader
        var uncompressed: Int?
        do {
            let decoder = compressed ? try ZstdDecoder(input: input) : nil
            var source: ByteSource = decoder ?? input
            if let copy { source = TeeSource(source: source, copy: copy) }
            let reader = try SafetensorsStreamReader(source: source, path: path,
                                                     fileByteCount: compressed ? nil : input.size)
            header = reader.header
            try validate(header)
            try reader.readAll(into: destinations)
            uncompressed = decoder?.decompressedByteCount
        } catch let error as CheckpointError
                    where expected != nil && error.kind != .invalidArgument && error.kind != .io {
            if let digest = try? input.finishDigest(), digest.sha256 != expected!.sha256 {
                throw CheckpointError(.corrupt, path: path,
                                      "SHA-256 is \(digest.sha256), the manifest says \(expected!.sha256): "
                                      + "the file changed after it was written (reading it fails with: \(error.problem))")
            }
            throw error
        }
        var digest = try input.finishDigest()
        digest.uncompressedByteCount = uncompressed
        if let expected {
            try checkDigest(digest, expected: expected, path: path)
            if let size = expected.uncompressedByteCount, size != uncompressed {
                throw CheckpointError(.corrupt, path: path,
                                      "decompresses to \(uncompressed.map(String.init) ?? "?") bytes, the manifest says \(size)")
            }
        }
        return (header, digest)
    }
}

/// Throws `.corrupt` unless `size` is `expected`.
func checkSize(_ size: Int, expected: Int, path: String) throws {
    guard size == expected else {
        let how = size < expected ? "truncated" : "longer than written"
        throw CheckpointError(.corrupt, path: path, "size is \(size) bytes, the manifest says \(expected) (\(how))")
    }
}

/// Throws `.corrupt` unless `digest` has the SHA-256 `expected` records.
func checkDigest(_ digest: FileDigest, expected: FileDigest, path: String) throws {
    guard digest.sha256 == expected.sha256 else {
        throw CheckpointError(.corrupt, path: path,
                              "SHA-256 is \(digest.sha256), the manifest says \(expected.sha256): "
                              + "the file changed after it was written")
    }
}

/// A source that passes every byte it reads on to a sink as well.
final class TeeSource: ByteSource {
    private let source: ByteSource
    private let copy: ByteSink

    init(source: ByteSource, copy: ByteSink) {
        self.source = source
        self.copy = copy
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try source.read(into: buffer)
        try copy.write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        return n
    }
}
