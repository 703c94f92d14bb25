import Base
import Checkpoint
import Foundation
import TestSupport
import Testing

/// Runs `executable` with `arguments`; returns the exit status, standard output and error.
@discardableResult
func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, stdout: Data, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let output = try runToEnd(process)
    return (output.status, output.stdout, String(decoding: output.stderr, as: UTF8.self))
}

/// A test helper process that failed.
struct ToolError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Runs a command-line tool through `env`; returns its standard output as text (or raw bytes).
func runTool(_ tool: String, _ arguments: [String]) throws -> String {
    String(decoding: try runTool(tool, arguments, raw: true), as: UTF8.self)
}

/// Runs a command-line tool through `env`; returns its standard output, failing on a non-zero exit.
func runTool(_ tool: String, _ arguments: [String], raw: Bool) throws -> Data {
    let result = try run("/usr/bin/env", [tool] + arguments)
    guard result.status == 0 else { throw ToolError(message: "\(tool) failed: \(result.stderr)") }
    return result.stdout
}

/// Normal(0, std) values from the test random stream `index`.
func normalValues(_ count: Int, std: Double = 0.02, index: UInt64) -> [Float] {
    var random = CounterRandom(seed: 7, purpose: .test, index)
    return (0..<count).map { _ in Float(random.nextGaussian() * std) }
}

/// A small model-shaped tensor set in one flat F32 buffer, with Adam moments beside it, laid
/// out the way the trainer lays its flat buffers out.
final class TestModel {
    /// Tensor names and shapes.
    let layout: [(name: String, shape: [Int])]
    /// Weights, first moments, second moments: one flat buffer each.
    let weights: UnsafeMutableBufferPointer<Float>
    let expAvg: UnsafeMutableBufferPointer<Float>
    let expAvgSq: UnsafeMutableBufferPointer<Float>

    init(seed: UInt64 = 1, layout: [(name: String, shape: [Int])] = TestModel.defaultLayout) {
        self.layout = layout
        let total = layout.reduce(0) { $0 + $1.shape.reduce(1, *) }
        weights = .allocate(capacity: total)
        expAvg = .allocate(capacity: total)
        expAvgSq = .allocate(capacity: total)
        for (i, buffer) in [weights, expAvg, expAvgSq].enumerated() {
            _ = buffer.initialize(from: normalValues(total, index: seed * 10 + UInt64(i)))
        }
    }

    deinit {
        weights.deallocate()
        expAvg.deallocate()
        expAvgSq.deallocate()
    }

    static let defaultLayout: [(name: String, shape: [Int])] = [
        ("model.transformer.wte.weight", [40, 16]),
        ("model.transformer.blocks.0.attn_norm.weight", [16]),
        ("model.transformer.blocks.0.q_proj.weight", [16, 16]),
        ("model.transformer.blocks.0.ff_out.weight", [16, 24]),
        ("model.transformer.ln_f.weight", [16]),
        ("model.transformer.ff_out.weight", [40, 16]),
    ]

    /// (name, shape, offset, count) of each tensor.
    var entries: [(name: String, shape: [Int], offset: Int, count: Int)] {
        var offset = 0
        return layout.map { tensor in
            let count = tensor.shape.reduce(1, *)
            defer { offset += count }
            return (tensor.name, tensor.shape, offset, count)
        }
    }

    func views(_ buffer: UnsafeMutableBufferPointer<Float>, prefix: (String) -> String = { $0 }) -> [TensorView] {
        entries.map { e in
            TensorView(name: prefix(e.name), shape: e.shape,
                       floats: UnsafeBufferPointer(rebasing: buffer[e.offset..<(e.offset + e.count)]))
        }
    }

    func destinations(_ buffer: UnsafeMutableBufferPointer<Float>, prefix: (String) -> String = { $0 }) -> [TensorDestination] {
        entries.map { e in
            TensorDestination(name: prefix(e.name), shape: e.shape,
                              floats: UnsafeMutableBufferPointer(rebasing: buffer[e.offset..<(e.offset + e.count)]))
        }
    }

    var modelViews: [TensorView] { views(weights) }
    var optimizerViews: [TensorView] {
        views(expAvg, prefix: OptimizerTensorName.expAvg) + views(expAvgSq, prefix: OptimizerTensorName.expAvgSq)
    }

    /// Saves this model as the checkpoint of `step` in `store`.
    @discardableResult
    func save(_ store: CheckpointStore, step: Int) throws -> CheckpointSaveResult {
        try store.save(step: step, model: modelViews, optimizer: optimizerViews,
                       state: Data("{\"step\": \(step), \"seed\": 7}".utf8))
    }

    /// Whether `other` holds bit-identical weights and moments.
    func isBitIdentical(to other: TestModel) -> Bool {
        zip([weights, expAvg, expAvgSq], [other.weights, other.expAvg, other.expAvgSq]).allSatisfy { a, b in
            a.count == b.count && memcmp(a.baseAddress!, b.baseAddress!, a.count * 4) == 0
        }
    }

    /// Loads the checkpoint `name` of `store` into this model; returns state.json.
    @discardableResult
    func load(_ store: CheckpointStore, _ name: String) throws -> Data {
        try store.load(name, model: destinations(weights),
                       optimizer: destinations(expAvg, prefix: OptimizerTensorName.expAvg)
                           + destinations(expAvgSq, prefix: OptimizerTensorName.expAvgSq))
    }
}

/// Flips one bit of the byte at `offset` in the file at `path`.
func flipByte(at offset: Int, in path: String) throws {
    var data = try Data(contentsOf: URL(fileURLWithPath: path))
    data[offset] ^= 0x10
    try data.write(to: URL(fileURLWithPath: path))
}

/// Cuts the file at `path` to `length` bytes.
func truncate(_ path: String, to length: Int) throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    try data.prefix(length).write(to: URL(fileURLWithPath: path))
}

/// The error `body` throws, as a CheckpointError (recording an issue if it throws nothing or
/// something else).
func checkpointError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> CheckpointError? {
    do {
        try body()
        Issue.record("expected a CheckpointError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as CheckpointError {
        return error
    } catch {
        Issue.record("expected a CheckpointError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
