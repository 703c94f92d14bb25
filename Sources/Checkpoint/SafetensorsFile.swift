import Foundation

/// A plain (uncompressed) safetensors file opened for reading tensors by name, in any order.
///
/// Opening reads and checks only the header; each ``read(_:)`` reads one tensor's bytes from
/// the file straight into the caller's memory (through a small buffer when converting types).
public final class SafetensorsFile {
    /// The file.
    public let url: URL
    /// The file's header.
    public let header: SafetensorsHeader
    private let input: InputFile

    /// Opens `url` and reads its header; the file's size must be exactly what the header describes.
    public init(url: URL) throws {
        self.url = url
        let input = try InputFile(path: url.path)
        self.input = input
        var prefix = [UInt8](repeating: 0, count: 8)
        try prefix.withUnsafeMutableBytes { try input.read(into: $0, at: 0) }
        let length = try prefix.withUnsafeBytes {
            try SafetensorsHeader.jsonByteCount(prefix: $0, fileByteCount: input.size, path: url.path)
        }
        var json = [UInt8](repeating: 0, count: length)
        try json.withUnsafeMutableBytes { try input.read(into: $0, at: 8) }
        let header = try SafetensorsHeader(json: json, path: url.path)
        self.header = header
        guard header.fileByteCount == input.size else {
            if header.fileByteCount > input.size {
                throw CheckpointError(.corrupt, path: url.path,
                                      "truncated: the header describes \(header.fileByteCount) bytes, the file has \(input.size)")
            }
            throw CheckpointError(.invalidContent, path: url.path,
                                  "\(input.size - header.fileByteCount) bytes after the last tensor's data "
                                  + "(the header accounts for \(header.dataByteCount))")
        }
    }

    /// Reads the tensor `destination.name` into `destination.bytes`, converting F16 or BF16 to F32
    /// if the destination asks for F32.
    ///
    /// Throws `.invalidContent` when the tensor is missing or has another shape or an
    /// unconvertible type, `.invalidArgument` when the destination has the wrong size.
    public func read(_ destination: TensorDestination) throws {
        guard let entry = header[destination.name] else {
            throw CheckpointError(.invalidContent, path: url.path, "tensor '\(destination.name)' is missing")
        }
        let stored = entry.descriptor
        try checkDestination(destination, against: stored, path: url.path)
        let start = header.dataStart + entry.dataOffsets.lowerBound
        if stored.dtype == destination.dtype {
            try input.read(into: destination.bytes, at: start)
            return
        }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { scratch.deallocate() }
        let perChunk = scratch.count / stored.dtype.byteWidth
        var done = 0
        while done < stored.elementCount {
            let n = min(perChunk, stored.elementCount - done)
            let chunk = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<(n * stored.dtype.byteWidth)])
            try input.read(into: chunk, at: start + done * stored.dtype.byteWidth)
            convertElements(UnsafeRawPointer(chunk.baseAddress!), from: stored.dtype,
                            destination.bytes.baseAddress! + done * destination.dtype.byteWidth,
                            to: destination.dtype, count: n)
            done += n
        }
    }
}

/// Throws unless `destination` can receive the stored tensor `stored`: `.invalidContent` for
/// another shape or an unconvertible type, `.invalidArgument` for a buffer of the wrong size.
func checkDestination(_ destination: TensorDestination, against stored: TensorDescriptor, path: String) throws {
    guard destination.shape == stored.shape else {
        throw CheckpointError(.invalidContent, path: path,
                              "tensor '\(stored.name)' has shape \(stored.shapeDescription), expected "
                              + TensorDescriptor(name: "", shape: destination.shape, dtype: .f32).shapeDescription)
    }
    guard destination.dtype.canConvert(from: stored.dtype) else {
        throw CheckpointError(.invalidContent, path: path,
                              "tensor '\(stored.name)' is \(stored.dtype.rawValue), "
                              + "which cannot be read as \(destination.dtype.rawValue)")
    }
    let expected = destination.elementCount * destination.dtype.byteWidth
    guard destination.bytes.count == expected else {
        throw CheckpointError(.invalidArgument, path: path,
                              "destination for '\(stored.name)' has \(destination.bytes.count) bytes, expected \(expected)")
    }
}
