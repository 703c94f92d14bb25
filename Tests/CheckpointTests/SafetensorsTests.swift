import Checkpoint
import Foundation
import TestSupport
import Testing

@Suite struct SafetensorsTests {
    @Test(arguments: [false, true])
    func roundTripIsBitExact(compressed: Bool) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = TestModel()
        let url = dir.appendingPathComponent("m.safetensors")
        let written = try Safetensors.write(model.modelViews, metadata: ["format": "pt", "note": "a \"quoted\"\nline"],
                                            to: url, compression: compressed ? CompressionOptions(level: 3) : nil)
        #expect(written.byteCount == (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int))
        let copy = TestModel(seed: 99)
        let (header, digest) = try Safetensors.read(url, compressed: compressed, into: copy.destinations(copy.weights))
        #expect(digest == written)
        #expect(header.metadata == ["format": "pt", "note": "a \"quoted\"\nline"])
        #expect(header.entries.map(\.descriptor.name) == model.layout.map(\.name))
        #expect(memcmp(model.weights.baseAddress!, copy.weights.baseAddress!, model.weights.count * 4) == 0)
        if compressed { #expect(digest.uncompressedByteCount == header.fileByteCount) }
        // Nothing but the file itself is left in the directory (the temporary was renamed).
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["m.safetensors"])
    }

    @Test func headerLayoutIsStandard() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let values: [Float] = [1, 2, 3, 4, 5, 6]
        let url = dir.appendingPathComponent("small.safetensors")
        try values.withUnsafeBufferPointer { values in
            _ = try Safetensors.write([TensorView(name: "b", shape: [2, 3], floats: values),
                                       TensorView(name: "a", shape: [1], floats: UnsafeBufferPointer(rebasing: values[0..<1]))],
                                      metadata: ["m": "x"], to: url)
        }
        let bytes = [UInt8](try Data(contentsOf: url))
        let length = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        #expect((8 + length) % 8 == 0)
        let json = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
        let expected = #"{"__metadata__":{"m":"x"},"b":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"#
            + #""a":{"dtype":"F32","shape":[1],"data_offsets":[24,28]}}"#
        #expect(json == expected + String(repeating: " ", count: length - expected.utf8.count))
        #expect(bytes.count == 8 + length + 28)
        let header = try SafetensorsFile(url: url).header
        #expect(header.dataStart == 8 + length)
        #expect(header["a"]?.dataOffsets == 24..<28)
    }

    @Test func integerTensorsAndScalarsRoundTrip() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let longs: [Int64] = [-1, 0, 1 << 40, Int64.min]
        let ints: [Int32] = [7, -7, Int32.max]
        let scalar: [Float] = [0.5]
        let url = dir.appendingPathComponent("ints.safetensors.zst")
        try longs.withUnsafeBytes { l in try ints.withUnsafeBytes { i in try scalar.withUnsafeBufferPointer { s in
            _ = try Safetensors.write([TensorView(name: "longs", shape: [2, 2], dtype: .i64, bytes: l),
                                       TensorView(name: "ints", shape: [3], dtype: .i32, bytes: i),
                                       TensorView(name: "scalar", shape: [], floats: s)], to: url, compression: CompressionOptions())
        } } }
        var longsBack = [Int64](repeating: 0, count: 4)
        var intsBack = [Int32](repeating: 0, count: 3)
        var scalarBack: [Float] = [0]
        try longsBack.withUnsafeMutableBytes { l in try intsBack.withUnsafeMutableBytes { i in
            try scalarBack.withUnsafeMutableBufferPointer { s in
                _ = try Safetensors.read(url, compressed: true, into: [
                    TensorDestination(name: "longs", shape: [2, 2], dtype: .i64, bytes: l),
                    TensorDestination(name: "ints", shape: [3], dtype: .i32, bytes: i),
                    TensorDestination(name: "scalar", shape: [], floats: s),
                ])
            }
        } }
        #expect(longsBack == longs)
        #expect(intsBack == ints)
        #expect(scalarBack == scalar)
    }

    @Test func halfAndBFloat16ConversionsRoundToNearestEven() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var values: [Float] = [0, -0, 1, -2.5, 65504, 65520, 1e6, -1e6, .infinity, -.infinity, .nan,
                               1.0 + 1.0 / 2048, 1.0 + 3.0 / 2048, 6.1e-5, 5.96e-8, 2.98e-8, 2.99e-8, 1e-10,
                               Float(bitPattern: 0x3F80_8000), Float(bitPattern: 0x3F81_8000), Float(bitPattern: 0x7F7F_FFFF)]
        values += normalValues(4000, std: 1, index: 5) + normalValues(4000, std: 1e-5, index: 6)
        let n = values.count
        let url = dir.appendingPathComponent("halves.safetensors")
        try values.withUnsafeBufferPointer { v in
            _ = try Safetensors.write([TensorView(name: "h", shape: [n], floats: v, storedAs: .f16),
                                       TensorView(name: "b", shape: [n], floats: v, storedAs: .bf16)], to: url)
        }
        var halves = [UInt16](repeating: 0, count: n)
        var bfloats = [UInt16](repeating: 0, count: n)
        var widenedHalves = [Float](repeating: 0, count: n)
        var widenedBFloats = [Float](repeating: 0, count: n)
        let file = try SafetensorsFile(url: url)
        try halves.withUnsafeMutableBytes { try file.read(TensorDestination(name: "h", shape: [n], dtype: .f16, bytes: $0)) }
        try bfloats.withUnsafeMutableBytes { try file.read(TensorDestination(name: "b", shape: [n], dtype: .bf16, bytes: $0)) }
        try widenedHalves.withUnsafeMutableBufferPointer { try file.read(TensorDestination(name: "h", shape: [n], floats: $0)) }
        try widenedBFloats.withUnsafeMutableBufferPointer { try file.read(TensorDestination(name: "b", shape: [n], floats: $0)) }
        for i in 0..<n {
            let x = values[i]
            // bfloat16: round to nearest even on the upper 16 bits.
            if x.isNaN {
                #expect(widenedBFloats[i].isNaN && widenedHalves[i].isNaN)
                continue
            }
            let bits = x.bitPattern
            let expectedB = UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
            #expect(bfloats[i] == expectedB, "bf16 of \(x)")
            #expect(widenedBFloats[i].bitPattern == UInt32(bfloats[i]) << 16)
            #if !(os(macOS) && arch(x86_64))
            #expect(halves[i] == Float16(x).bitPattern, "f16 of \(x)")
            #expect(widenedHalves[i].bitPattern == Float(Float16(x)).bitPattern)
            #endif
        }
    }

    #if !(os(macOS) && arch(x86_64))
    @Test func everyHalfWidensExactly() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let all = (0...UInt16.max).map { $0 }
        let url = dir.appendingPathComponent("all.safetensors")
        try all.withUnsafeBytes { _ = try Safetensors.write([TensorView(name: "all", shape: [65536], dtype: .f16, bytes: $0)], to: url) }
        var widened = [Float](repeating: 0, count: 65536)
        try widened.withUnsafeMutableBufferPointer { try SafetensorsFile(url: url).read(TensorDestination(name: "all", shape: [65536], floats: $0)) }
        for bits in all {
            let expected = Float(Float16(bitPattern: bits))
            #expect(widened[Int(bits)].bitPattern == expected.bitPattern || (expected.isNaN && widened[Int(bits)].isNaN))
        }
    }
    #endif

    @Test func readerRejectsMalformedHeaders() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func file(_ json: String, data: Int) throws -> URL {
            var bytes = [UInt8](json.utf8)
            while (bytes.count + 8) % 8 != 0 { bytes.append(0x20) }
            var out = withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { [UInt8]($0) }
            out += bytes + [UInt8](repeating: 0, count: data)
            let url = dir.appendingPathComponent(UUID().uuidString)
            try Data(out).write(to: url)
            return url
        }
        let cases: [(String, Int, String)] = [
            (#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, 4, "hold 4 bytes, but shape [2] of F32 needs 8"),
            (#"{"x":{"dtype":"F8","shape":[2],"data_offsets":[0,2]}}"#, 2, "unsupported dtype 'F8'"),
            (#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, 8, "starts at data byte 4"),
            (#"{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, 4, "no valid shape"),
            (#"{"__metadata__":{"k":1}}"#, 0, "__metadata__ must map strings to strings"),
            (#"[1,2]"#, 0, "not a JSON object"),
            (#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, 6, "2 bytes after the last tensor's data"),
            (#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, 4, "truncated"),
        ]
        for (json, data, message) in cases {
            let url = try file(json, data: data)
            let error = checkpointError { _ = try Safetensors.read(url, compressed: false) }
            #expect(error?.problem.contains(message) == true, "\(json): \(error?.description ?? "no error")")
            #expect(error?.path == url.path)
            #expect(error?.exitCode == 74)
        }
        // A length prefix larger than the file.
        let huge = dir.appendingPathComponent("huge")
        try Data(withUnsafeBytes(of: UInt64(1 << 20).littleEndian) { [UInt8]($0) } + [0x7B, 0x7D]).write(to: huge)
        #expect(checkpointError { _ = try SafetensorsFile(url: huge) }?.problem.contains("runs past the end") == true)
    }

    @Test func destinationsAreChecked() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = TestModel()
        let url = dir.appendingPathComponent("m.safetensors")
        _ = try Safetensors.write(model.modelViews, to: url)
        let file = try SafetensorsFile(url: url)
        var buffer = [Float](repeating: 0, count: 640)
        try buffer.withUnsafeMutableBufferPointer { buffer in
            let missing = checkpointError { try file.read(TensorDestination(name: "nope", shape: [640], floats: buffer)) }
            #expect(missing?.problem == "tensor 'nope' is missing")
            let shape = checkpointError {
                try file.read(TensorDestination(name: "model.transformer.wte.weight", shape: [16, 40], floats: buffer))
            }
            #expect(shape?.problem == "tensor 'model.transformer.wte.weight' has shape [40, 16], expected [16, 40]")
            let size = checkpointError {
                try file.read(TensorDestination(name: "model.transformer.ln_f.weight", shape: [16], floats: buffer))
            }
            #expect(size?.kind == .invalidArgument)
            #expect(size?.exitCode == 70)
            try file.read(TensorDestination(name: "model.transformer.wte.weight", shape: [40, 16], floats: buffer))
        }
        #expect(memcmp(buffer, model.weights.baseAddress!, 640 * 4) == 0)
        let duplicate = checkpointError { _ = try Safetensors.write(model.modelViews + model.modelViews.prefix(1), to: url) }
        #expect(duplicate?.kind == .invalidArgument)
        #expect(duplicate?.problem.contains("duplicate") == true)
    }
}
