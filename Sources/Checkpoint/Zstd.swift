import CZstd

/// The message zstd gives for an error code returned by one of its functions.
private func zstdErrorName(_ code: Int) -> String { String(cString: ZSTD_getErrorName(code)) }

/// Compresses everything written to it into one zstd frame with a content checksum, written to
/// an ``OutputFile``.
final class ZstdEncoder: ByteSink {
    private let context: OpaquePointer
    private let output: OutputFile
    private let buffer: UnsafeMutableRawBufferPointer

    /// Starts a frame of `contentByteCount` bytes (recorded in the frame header and checked by zstd).
    init(output: OutputFile, options: CompressionOptions, contentByteCount: Int) throws {
        guard let context = ZSTD_createCCtx() else {
            throw CheckpointError(.io, path: output.path, "zstd: cannot create a compression context")
        }
        self.context = context
        self.output = output
        buffer = .allocate(byteCount: 1 << 20, alignment: 64)
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Int32(options.level)),
                  "set level \(options.level)")
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1), "enable the content checksum")
        if options.workers > 0 {
            // A library without multithreading rejects this; compression then runs in this thread.
            _ = ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, Int32(options.workers))
        }
        try check(ZSTD_CCtx_setPledgedSrcSize(context, UInt64(contentByteCount)), "set the content size")
    }

    deinit {
        ZSTD_freeCCtx(context)
        buffer.deallocate()
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var input = ZSTD_inBuffer(src: bytes.baseAddress, size: bytes.count, pos: 0)
        while input.pos < input.size {
            _ = try compress(&input, ZSTD_e_continue)
        }
    }

    /// Ends the frame and writes what remains.
    func finish() throws {
        var input = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        while try compress(&input, ZSTD_e_end) != 0 {}
    }

    /// One call to `ZSTD_compressStream2`, its output written to the file; returns zstd's hint
    /// (0 once a frame end is fully flushed).
    private func compress(_ input: inout ZSTD_inBuffer, _ directive: ZSTD_EndDirective) throws -> Int {
        var out = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
        let result = ZSTD_compressStream2(context, &out, &input, directive)
        try check(result, "compress")
        try output.write(UnsafeRawBufferPointer(rebasing: buffer[0..<out.pos]))
        return result
    }

    private func check(_ result: Int, _ action: String) throws {
        if ZSTD_isError(result) != 0 {
            throw CheckpointError(.io, path: output.path, "zstd: cannot \(action): \(zstdErrorName(result))")
        }
    }
}

/// Decompresses exactly one zstd frame from an ``InputFile``, with precise errors for a wrong
/// content checksum, a truncated frame, and bytes after the frame.
final class ZstdDecoder: ByteSource {
    private let context: OpaquePointer
    private let input: InputFile
    private let buffer: UnsafeMutableRawBufferPointer
    private var inBuffer: ZSTD_inBuffer
    private var frameEnded = false
    private var inputEnded = false
    /// Bytes decompressed so far.
    private(set) var decompressedByteCount = 0

    /// Prepares to decompress `input` from its current position.
    init(input: InputFile) throws {
        guard let context = ZSTD_createDCtx() else {
            throw CheckpointError(.io, path: input.path, "zstd: cannot create a decompression context")
        }
        self.context = context
        self.input = input
        buffer = .allocate(byteCount: 1 << 20, alignment: 64)
        inBuffer = ZSTD_inBuffer(src: buffer.baseAddress, size: 0, pos: 0)
    }

    deinit {
        ZSTD_freeDCtx(context)
        buffer.deallocate()
    }

    func read(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        var out = ZSTD_outBuffer(dst: destination.baseAddress, size: destination.count, pos: 0)
        while out.pos < out.size && !frameEnded {
            if inBuffer.pos == inBuffer.size && !inputEnded {
                let n = try input.read(into: buffer)
                inputEnded = n == 0
                inBuffer = ZSTD_inBuffer(src: buffer.baseAddress, size: n, pos: 0)
            }
            let produced = out.pos
            let hint = ZSTD_decompressStream(context, &out, &inBuffer)
            if ZSTD_isError(hint) != 0 {
                let problem = ZSTD_getErrorCode(hint) == ZSTD_error_checksum_wrong
                    ? "zstd content checksum mismatch: the decompressed data is not what was compressed"
                    : "zstd: \(zstdErrorName(hint)) (within the first \(input.position) compressed bytes)"
                throw CheckpointError(.corrupt, path: input.path, problem)
            }
            if hint != 0 && inputEnded && out.pos == produced {
                // No input left and nothing more to flush: the frame is cut short.
                let problem = input.position == 0 ? "empty file: no zstd frame"
                    : "truncated: the zstd frame is cut off after \(input.position) compressed bytes "
                    + "(\(decompressedByteCount + out.pos) bytes decompressed)"
                throw CheckpointError(.corrupt, path: input.path, problem)
            }
            if hint == 0 {
                frameEnded = true
                let trailing = (inBuffer.size - inBuffer.pos) + (input.size - input.position)
                if trailing > 0 {
                    let end = input.position - (inBuffer.size - inBuffer.pos)
                    throw CheckpointError(.corrupt, path: input.path,
                                          "\(trailing) bytes of trailing data after the zstd frame, "
                                          + "which ends at byte \(end)")
                }
            }
        }
        decompressedByteCount += out.pos
        return out.pos
    }
}
