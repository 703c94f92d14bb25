import Checkpoint
import Foundation
import TestSupport
import Testing

@Suite struct ZstdFramingTests {
    /// A model written plain and as zstd at several levels and worker counts.
    @Test(arguments: [CompressionOptions(level: 1), CompressionOptions(level: 3, workers: 2), CompressionOptions(level: 9, workers: 1)])
    func zstdCommandRestoresTheExactFile(options: CompressionOptions) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = TestModel()
        let plain = dir.appendingPathComponent("m.safetensors")
        let packed = dir.appendingPathComponent("m.safetensors.zst")
        _ = try Safetensors.write(model.modelViews, metadata: ["format": "pt"], to: plain)
        let digest = try Safetensors.write(model.modelViews, metadata: ["format": "pt"], to: packed, compression: options)
        let result = try run("/usr/bin/env", ["zstd", "-d", "-c", "-q", packed.path])
        #expect(result.status == 0, "zstd -d failed: \(result.stderr)")
        #expect(result.stdout == (try Data(contentsOf: plain)))
        #expect(digest.uncompressedByteCount == result.stdout.count)
        // The frame records its content size and carries a checksum, as `zstd -lv` reports.
        let listing = try run("/usr/bin/env", ["zstd", "-lv", packed.path])
        let text = String(decoding: listing.stdout, as: UTF8.self)
        #expect(text.contains("Check: XXH64"), "\(text)")
        #expect(text.contains("Decompressed Size:"), "\(text)")
    }

    @Test func decoderReportsTruncationTrailingDataAndChecksum() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = TestModel()
        let url = dir.appendingPathComponent("m.safetensors.zst")
        let digest = try Safetensors.write(model.modelViews, to: url, compression: CompressionOptions())
        let original = try Data(contentsOf: url)
        func damaged(_ data: Data) throws -> CheckpointError? {
            try data.write(to: url)
            return checkpointError { _ = try Safetensors.read(url, compressed: true) }
        }

        let truncated = try damaged(original.prefix(digest.byteCount - 7))
        #expect(truncated?.problem.hasPrefix("truncated: the zstd frame is cut off after \(digest.byteCount - 7) compressed bytes") == true,
                "\(truncated?.description ?? "")")
        #expect(truncated?.path == url.path)
        #expect(truncated?.kind == .corrupt)

        let trailing = try damaged(original + Data([1, 2, 3]))
        #expect(trailing?.problem == "3 bytes of trailing data after the zstd frame, which ends at byte \(digest.byteCount)")

        // The last 4 bytes of the frame are the checksum of the content.
        var wrongChecksum = original
        wrongChecksum[wrongChecksum.count - 2] ^= 0x01
        #expect(try damaged(wrongChecksum)?.problem.contains("zstd content checksum mismatch") == true)

        #expect(try damaged(Data())?.problem == "empty file: no zstd frame")
        #expect(try damaged(Data("not zstd at all".utf8))?.problem.hasPrefix("zstd: Unknown frame descriptor") == true)

        // A second frame after the first is trailing data too (zstd -d would concatenate them).
        let twice = try damaged(original + original)
        #expect(twice?.problem == "\(digest.byteCount) bytes of trailing data after the zstd frame, which ends at byte \(digest.byteCount)")

        // A flipped byte anywhere in the data is reported.
        for offset in stride(from: 20, to: original.count - 4, by: max(1, original.count / 16)) {
            var flipped = original
            flipped[offset] ^= 0x10
            #expect(try damaged(flipped)?.kind == .corrupt || (try damaged(flipped))?.kind == .invalidContent, "offset \(offset)")
        }
    }

    @Test func fileNotFoundIsNamed() throws {
        let url = URL(fileURLWithPath: "/nonexistent/x.safetensors.zst")
        let error = checkpointError { _ = try Safetensors.read(url, compressed: true) }
        #expect(error?.kind == .notFound)
        #expect(error?.description == "/nonexistent/x.safetensors.zst: no such file")
    }
}
