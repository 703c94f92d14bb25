import Checkpoint
import Foundation
import TestSupport
import Testing

/// A Python virtual environment with `safetensors` and `numpy`.
let pythonEnvironment = PythonEnvironment(name: "bgpo-checkpoint-tests-venv", packages: ["safetensors", "numpy"],
                                          modules: "safetensors, numpy")

/// Runs `script` with the environment's Python and `arguments`; returns standard output.
func runPython(_ script: String, _ arguments: [String]) throws -> String {
    try pythonEnvironment.run(script, arguments)
}

/// The F32 values of a raw little-endian file.
func readFloats(_ url: URL) throws -> [Float] {
    let data = try Data(contentsOf: url)
    return data.withUnsafeBytes { raw in (0..<(data.count / 4)).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
}

@Suite struct PythonInteropTests {
    @Test func pythonLoadsOurFiles() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = TestModel()
        // The checkpoint's model file, decompressed by the zstd tool, plus an F16 tensor set.
        let packed = dir.appendingPathComponent("m.safetensors.zst")
        _ = try Safetensors.write(model.modelViews, metadata: ["format": "pt"], to: packed, compression: CompressionOptions(level: 3, workers: 2))
        let plain = dir.appendingPathComponent("m.safetensors")
        #expect(try run("/usr/bin/env", ["zstd", "-d", "-q", packed.path, "-o", plain.path]).status == 0)
        let half = dir.appendingPathComponent("h.safetensors")
        _ = try Safetensors.write(model.views(model.weights).map { view in
            TensorView(name: view.descriptor.name, shape: view.descriptor.shape,
                       floats: view.bytes.assumingMemoryBound(to: Float.self), storedAs: .f16)
        }, to: half)
        // The raw weights and the layout, for Python to compare against.
        let raw = dir.appendingPathComponent("weights.f32")
        try Data(buffer: model.weights).write(to: raw)
        let layout = model.entries.map { "\($0.name) \($0.offset) \($0.count) \($0.shape.map(String.init).joined(separator: ","))" }
        let script = """
        import sys, numpy as np
        from safetensors.numpy import load_file
        from safetensors import safe_open
        plain, half, raw = sys.argv[1:4]
        flat = np.fromfile(raw, dtype=np.float32)
        a, h = load_file(plain), load_file(half)
        with safe_open(plain, framework="np") as f:
            assert f.metadata() == {"format": "pt"}, f.metadata()
            assert list(f.keys()) == sorted(a.keys())
        n = 0
        for line in sys.argv[4:]:
            name, offset, count, shape = line.split(" ")
            shape = tuple(int(s) for s in shape.split(","))
            want = flat[int(offset):int(offset) + int(count)].reshape(shape)
            assert a[name].dtype == np.float32 and a[name].shape == shape, name
            assert np.array_equal(a[name].view(np.uint32), want.view(np.uint32)), name
            assert h[name].dtype == np.float16
            assert np.array_equal(h[name].view(np.uint16), want.astype(np.float16).view(np.uint16)), name
            n += 1
        assert n == len(a) == len(h)
        print("ok", n)
        """
        let output = try runPython(script, [plain.path, half.path, raw.path] + layout)
        #expect(output == "ok \(model.layout.count)\n")
    }

    @Test func weReadPythonFiles() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Python writes F32, F16 and BF16 tensors (BF16 from bits: numpy has no bfloat16), plus
        // the F32 values we must read back, and the same F32 tensors in our writer's order.
        let script = """
        import sys, numpy as np
        from safetensors.numpy import save_file
        from safetensors import serialize_file, TensorSpec
        out = sys.argv[1]
        rng = np.random.default_rng(3)
        f32 = (rng.standard_normal((6, 5)) * 0.02).astype(np.float32)
        f16 = rng.standard_normal((4, 7)).astype(np.float16)
        vals = rng.standard_normal(9).astype(np.float32)
        bits = vals.view(np.uint32)
        bf16 = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
        save_file({"w.f32": f32, "w.f16": f16}, out + "/np.safetensors", metadata={"format": "np"})
        serialize_file({"w.bf16": TensorSpec(dtype="bfloat16", shape=(3, 3), data_ptr=bf16.ctypes.data, data_len=bf16.nbytes)},
                       out + "/bf16.safetensors")
        np.concatenate([f32.ravel(), f16.astype(np.float32).ravel(), (bf16.astype(np.uint32) << 16).view(np.float32)]).tofile(out + "/expected.f32")
        save_file({"x": f32}, out + "/single.safetensors", metadata={"format": "pt"})
        f32.tofile(out + "/single.f32")
        """
        _ = try runPython(script, [dir.path])
        let expected = try readFloats(dir.appendingPathComponent("expected.f32"))
        var f32 = [Float](repeating: 0, count: 30), f16 = [Float](repeating: 0, count: 28), bf16 = [Float](repeating: 0, count: 9)
        let numpyFile = try SafetensorsFile(url: dir.appendingPathComponent("np.safetensors"))
        #expect(numpyFile.header.metadata == ["format": "np"])
        #expect(numpyFile.header["w.f16"]?.descriptor.dtype == .f16)
        try f32.withUnsafeMutableBufferPointer { try numpyFile.read(TensorDestination(name: "w.f32", shape: [6, 5], floats: $0)) }
        try f16.withUnsafeMutableBufferPointer { try numpyFile.read(TensorDestination(name: "w.f16", shape: [4, 7], floats: $0)) }
        // The BF16 file read by the streaming reader (the checkpoint path), the others by name.
        try bf16.withUnsafeMutableBufferPointer {
            _ = try Safetensors.read(dir.appendingPathComponent("bf16.safetensors"), compressed: false,
                                     into: [TensorDestination(name: "w.bf16", shape: [3, 3], floats: $0)])
        }
        #expect((f32 + f16 + bf16).map(\.bitPattern) == expected.map(\.bitPattern))

        // Our writer produces the very bytes Python's does for the same tensor and metadata.
        let single = try readFloats(dir.appendingPathComponent("single.f32"))
        let ours = dir.appendingPathComponent("ours.safetensors")
        try single.withUnsafeBufferPointer {
            _ = try Safetensors.write([TensorView(name: "x", shape: [6, 5], floats: $0)], metadata: ["format": "pt"], to: ours)
        }
        #expect(try Data(contentsOf: ours) == (try Data(contentsOf: dir.appendingPathComponent("single.safetensors"))))
    }
}
