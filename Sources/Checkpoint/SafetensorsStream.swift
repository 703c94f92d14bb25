/// Reads a safetensors file front to back from a ``ByteSource`` (a plain or a zstd file): the
/// header first, then each tensor in data order, into the caller's memory or skipped.
final class SafetensorsStreamReader {
    /// The header, read when the reader is created.
    let header: SafetensorsHeader
    private let source: ByteSource
    private let path: String
    private let scratch: UnsafeMutableRawBufferPointer
    /// Data bytes consumed so far.
    private var dataPosition = 0

    /// Reads and checks the header. `fileByteCount` is the size of the uncompressed file when
    /// known up front (a plain file), to reject a header longer than the file.
    init(source: ByteSource, path: String, fileByteCount: Int?) throws {
        self.source = source
        self.path = path
        scratch = .allocate(byteCount: 1 << 20, alignment: 64)
        do {
            if try Self.fill(source, UnsafeMutableRawBufferPointer(rebasing: scratch[0..<8])) < 8 {
                throw CheckpointError(.corrupt, path: path, "truncated: the file ends inside the 8-byte header length")
            }
            let length = try SafetensorsHeader.jsonByteCount(prefix: UnsafeRawBufferPointer(rebasing: scratch[0..<8]),
                                                             fileByteCount: fileByteCount, path: path)
            var json = [UInt8](repeating: 0, count: length)
            if try json.withUnsafeMutableBytes({ try Self.fill(source, $0) }) < length {
                throw CheckpointError(.corrupt, path: path, "truncated: the file ends inside the \(length)-byte header")
            }
            header = try SafetensorsHeader(json: json, path: path)
        } catch {
            scratch.deallocate()
            throw error
        }
    }

    deinit { scratch.deallocate() }

    /// Reads the tensors in data order: those named in `destinations` into their memory
    /// (converting the element type if needed), the others skipped; then checks that the data
    /// ends exactly where the header says.
    ///
    /// Throws `.invalidContent` when a destination's tensor is missing or has another shape or an
    /// unconvertible type, `.invalidArgument` when a destination's buffer has the wrong size.
    func readAll(into destinations: [TensorDestination]) throws {
        var byName: [String: TensorDestination] = [:]
        for destination in destinations {
            guard let entry = header[destination.name] else {
                throw CheckpointError(.invalidContent, path: path, "tensor '\(destination.name)' is missing")
            }
            try checkDestination(destination, against: entry.descriptor, path: path)
            byName[destination.name] = destination
        }
        for entry in header.entries {
            if let destination = byName[entry.descriptor.name] {
                try read(entry.descriptor, into: destination)
            } else {
                try skip(entry.descriptor.byteCount)
            }
        }
        try finish()
    }

    /// Reads the next tensor, `stored`, into `destination`.
    private func read(_ stored: TensorDescriptor, into destination: TensorDestination) throws {
        if stored.dtype == destination.dtype {
            try readData(into: destination.bytes)
            return
        }
        // Convert through the scratch buffer, a whole number of elements at a time.
        let perChunk = scratch.count / stored.dtype.byteWidth
        var done = 0
        while done < stored.elementCount {
            let n = min(perChunk, stored.elementCount - done)
            let chunk = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<(n * stored.dtype.byteWidth)])
            try readData(into: chunk)
            convertElements(UnsafeRawPointer(chunk.baseAddress!), from: stored.dtype,
                            destination.bytes.baseAddress! + done * destination.dtype.byteWidth,
                            to: destination.dtype, count: n)
            done += n
        }
    }

    /// Reads and discards `count` data bytes.
    private func skip(_ count: Int) throws {
        var left = count
        while left > 0 {
            let n = min(left, scratch.count)
            try readData(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<n]))
            left -= n
        }
    }

    /// Reads the next `buffer.count` data bytes.
    private func readData(into buffer: UnsafeMutableRawBufferPointer) throws {
        let n = try Self.fill(source, buffer)
        dataPosition += n
        if n < buffer.count {
            throw CheckpointError(.corrupt, path: path,
                                  "truncated: the data ends after \(dataPosition) of \(header.dataByteCount) bytes")
        }
    }

    /// Checks that nothing follows the last tensor's data.
    private func finish() throws {
        var extra = 0
        while true {
            let n = try source.read(into: scratch)
            if n == 0 { break }
            extra += n
        }
        if extra > 0 {
            throw CheckpointError(.invalidContent, path: path,
                                  "\(extra) bytes after the last tensor's data "
                                  + "(the header accounts for \(header.dataByteCount))")
        }
    }

    /// Reads from `source` until `buffer` is full or the source ends; returns the bytes read.
    private static func fill(_ source: ByteSource, _ buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
            if n == 0 { break }
            done += n
        }
        return done
    }
}
