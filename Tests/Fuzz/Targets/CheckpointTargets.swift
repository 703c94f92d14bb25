import Base
@testable import Checkpoint
import Crypto
import Foundation

/// Checkpoint and model files are read from disk: damage is an I/O or checkpoint failure.
private let fileCodes: Set<Int32> = [ExitStatus.ioError]

/// The largest tensor a target reads, so that a header claiming gigabytes costs no memory.
private let largestReadByteCount = 1 << 16

/// The 8-byte length prefix and the JSON header of a safetensors file, parsed from memory.
func fuzzSafetensorsHeader(_ data: Data) {
    expectHandled("safetensors header", codes: fileCodes) {
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { return }
        let length = try bytes.withUnsafeBytes {
            try SafetensorsHeader.jsonByteCount(prefix: UnsafeRawBufferPointer(rebasing: $0[0..<8]),
                                                fileByteCount: bytes.count, path: "fuzz")
        }
        guard length <= bytes.count - 8 else { return }
        let header = try SafetensorsHeader(json: Array(bytes[8..<(8 + length)]), path: "fuzz")
        _ = header.fileByteCount
    }
}

/// A whole plain safetensors file: opened with ``SafetensorsFile`` (each small tensor read as stored and,
/// where convertible, as F32) and streamed with ``Safetensors/read(_:compressed:into:)``.
func fuzzSafetensorsFile(_ data: Data) {
    let url = scratchFile(data, name: "model.safetensors")
    expectHandled("safetensors file", codes: fileCodes) {
        let file = try SafetensorsFile(url: url)
        for entry in file.header.entries {
            let stored = entry.descriptor
            guard stored.byteCount <= largestReadByteCount else { continue }
            try withDestination(like: stored, dtype: stored.dtype) { try file.read($0) }
            if TensorDType.f32.canConvert(from: stored.dtype) {
                try withDestination(like: stored, dtype: .f32) { try file.read($0) }
            }
        }
    }
    expectHandled("safetensors stream", codes: fileCodes) {
        _ = try Safetensors.read(url, compressed: false)
    }
}

/// A zstd-compressed safetensors file streamed with ``Safetensors/read(_:compressed:into:)``.
func fuzzSafetensorsZstd(_ data: Data) {
    let url = scratchFile(data, name: "model.safetensors.zst")
    expectHandled("zstd safetensors stream", codes: fileCodes) {
        let (header, _) = try Safetensors.read(url, compressed: true)
        // Read again into destinations for the small tensors, as a resume does.
        var buffers: [UnsafeMutableRawBufferPointer] = []
        defer { buffers.forEach { $0.deallocate() } }
        var destinations: [TensorDestination] = []
        for entry in header.entries where entry.descriptor.byteCount <= largestReadByteCount {
            let d = entry.descriptor
            let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: d.byteCount, alignment: 64)
            buffers.append(bytes)
            destinations.append(TensorDestination(name: d.name, shape: d.shape, dtype: d.dtype, bytes: bytes))
        }
        _ = try Safetensors.read(url, compressed: true, into: destinations)
    }
}

/// Runs `body` with a destination of `stored`'s name and shape in `dtype`.
private func withDestination(like stored: TensorDescriptor, dtype: TensorDType,
                             _ body: (TensorDestination) throws -> Void) throws {
    let byteCount = stored.elementCount * dtype.byteWidth
    let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: byteCount, alignment: 64)
    defer { bytes.deallocate() }
    try body(TensorDestination(name: stored.name, shape: stored.shape, dtype: dtype, bytes: bytes))
}

/// `MANIFEST.json` as read, and with its body given the checksum line it needs to get past the check.
func fuzzManifest(_ data: Data) {
    expectHandled("manifest", codes: fileCodes) {
        _ = try CheckpointManifest(decoding: data, path: "fuzz")
    }
    var sealed = data
    sealed.append(contentsOf: Array("  \"manifest_sha256\": \"".utf8))
    sealed.append(contentsOf: Array(hexString(SHA256.hash(data: data)).utf8))
    sealed.append(contentsOf: Array("\"\n}\n".utf8))
    expectHandled("sealed manifest", codes: fileCodes) {
        _ = try CheckpointManifest(decoding: sealed, path: "fuzz")
    }
}
