import ArgumentParser
import Base
import Checkpoint
import Foundation
import RunConfig

/// `bgpo bench checkpoint`: checkpoint write and read speed and compression ratio.
struct CheckpointBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Measure checkpoint file write/read speed and zstd ratio on random-normal F32 weights.",
        discussion: """
            Writes a tensor set of normal(0, 0.02) F32 values (tensors of 4 MiB, like a model's \
            weights) as model.safetensors.zst at each zstd level and worker count, with SHA-256 and \
            fsync as a checkpoint does, then reads each file back verifying it. Speeds are \
            uncompressed megabytes per second of wall-clock time; CPU is the process's CPU seconds \
            (all threads), which stays meaningful on a busy machine. Last, a whole checkpoint (the \
            tensors as weights and as both Adam moments, 3x the size) is saved, verified and loaded \
            with zstd level 3 in the calling thread.
            """)

    @Option(help: "Size of the tensor set in MB (10^6 bytes).")
    var sizeMb = 100

    @Option(parsing: .upToNextOption, help: "zstd levels to measure.")
    var levels: [Int] = [1, 3, 9]

    @Option(parsing: .upToNextOption, help: "zstd worker counts to measure (0 = compress in the writing thread).")
    var workers: [Int] = [0, 2]

    @Option(help: "Directory to write the files in (default: a new temporary directory, removed after).")
    var directory: String?

    func validate() throws {
        try checkCount(sizeMb, option: "--size-mb", maximum: ConfigLimits.memoryBound / 1_000_000)
        for level in levels { try checkCount(level, option: "--levels", maximum: 22) }
        for count in workers { try checkCount(count, option: "--workers", minimum: 0, maximum: ConfigLimits.maximumCompressionThreads) }
    }

    func run() throws {
        let count = max(1, sizeMb * 1_000_000 / 4)
        let values = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        defer { values.deallocate() }
        var random = CounterRandom(seed: 1, purpose: .test, 0)
        for i in 0..<count { values[i] = Float(random.nextGaussian() * 0.02) }
        let chunk = 1 << 20
        let tensors = stride(from: 0, to: count, by: chunk).map { start in
            let n = min(chunk, count - start)
            return TensorView(name: "model.layers.\(start / chunk).weight", shape: [n],
                              floats: UnsafeBufferPointer(rebasing: values[start..<(start + n)]))
        }
        let ownDirectory = directory == nil
        let dir = directory.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("bgpo-bench-checkpoint-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if ownDirectory { try? FileManager.default.removeItem(at: dir) } }

        print("tensor set: \(tensors.count) F32 tensors, \(count * 4) bytes, normal(0, 0.02); files in \(dir.path)")
        print("level  workers  write MB/s  write CPU s  read MB/s  read CPU s  compressed bytes  ratio")
        let plain = try measure(tensors, dir.appendingPathComponent("model.safetensors"), compression: nil)
        print("plain  -        \(row(plain))  1.000")
        for level in levels {
            for workerCount in workers {
                let result = try measure(tensors, dir.appendingPathComponent("model.safetensors.zst"),
                                         compression: CompressionOptions(level: level, workers: workerCount))
                print("\(format(level, 5))  \(format(workerCount, 7))  \(row(result))  "
                      + String(format: "%.3f", Double(plain.size) / Double(result.size)))
            }
        }
        try measureCheckpoint(tensors, in: dir)
    }

    /// Saves, verifies and loads a whole checkpoint of `tensors` and prints the times.
    private func measureCheckpoint(_ tensors: [TensorView], in dir: URL) throws {
        let store = CheckpointStore(runDirectory: dir.appendingPathComponent("run"))
        defer { try? FileManager.default.removeItem(at: store.runDirectory) }
        func renamed(_ name: (String) -> String) -> [TensorView] {
            tensors.map { var view = $0; view.descriptor.name = name(view.descriptor.name); return view }
        }
        let megabytes = 3 * Double(tensors.reduce(0) { $0 + $1.bytes.count }) / 1e6
        var (wall, cpu) = (DispatchTime.now(), cpuSeconds())
        let saved = try store.save(step: 1, model: tensors, optimizer: renamed(OptimizerTensorName.expAvg)
                                       + renamed(OptimizerTensorName.expAvgSq), state: Data("{}".utf8))
        print(String(format: "checkpoint save   %.0f MB: %.2f s (%.0f MB/s), CPU %.2f s", megabytes, seconds(since: wall),
                     megabytes / seconds(since: wall), cpuSeconds() - cpu))
        (wall, cpu) = (DispatchTime.now(), cpuSeconds())
        _ = try saved.checkpoint.verify()
        print(String(format: "checkpoint verify %.0f MB: %.2f s (%.0f MB/s), CPU %.2f s", megabytes, seconds(since: wall),
                     megabytes / seconds(since: wall), cpuSeconds() - cpu))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(megabytes * 1e6), alignment: 64)
        defer { buffer.deallocate() }
        var offset = 0
        func destinations(_ name: (String) -> String) -> [TensorDestination] {
            tensors.map { view in
                defer { offset += view.bytes.count }
                return TensorDestination(name: name(view.descriptor.name), shape: view.descriptor.shape, dtype: .f32,
                                         bytes: UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<(offset + view.bytes.count)]))
            }
        }
        let model = destinations { $0 }
        let optimizer = destinations(OptimizerTensorName.expAvg) + destinations(OptimizerTensorName.expAvgSq)
        (wall, cpu) = (DispatchTime.now(), cpuSeconds())
        _ = try saved.checkpoint.load(model: model, optimizer: optimizer)
        print(String(format: "checkpoint load   %.0f MB: %.2f s (%.0f MB/s), CPU %.2f s", megabytes, seconds(since: wall),
                     megabytes / seconds(since: wall), cpuSeconds() - cpu))
    }

    /// One measurement: speeds in uncompressed MB per wall-clock second, CPU seconds, file size.
    private struct Measurement {
        var write: Double, writeCPU: Double, read: Double, readCPU: Double, size: Int
    }

    /// Writes and re-reads the tensors once.
    private func measure(_ tensors: [TensorView], _ url: URL, compression: CompressionOptions?) throws -> Measurement {
        try? FileManager.default.removeItem(at: url)
        let megabytes = Double(tensors.reduce(0) { $0 + $1.bytes.count }) / 1e6
        var (wall, cpu) = (DispatchTime.now(), cpuSeconds())
        let digest = try Safetensors.write(tensors, metadata: ["format": "pt"], to: url, compression: compression)
        let (writeWall, writeCPU) = (seconds(since: wall), cpuSeconds() - cpu)
        (wall, cpu) = (DispatchTime.now(), cpuSeconds())
        _ = try Safetensors.read(url, compressed: compression != nil)
        let (readWall, readCPU) = (seconds(since: wall), cpuSeconds() - cpu)
        try FileManager.default.removeItem(at: url)
        return Measurement(write: megabytes / writeWall, writeCPU: writeCPU, read: megabytes / readWall, readCPU: readCPU,
                           size: digest.byteCount)
    }

    /// The columns of one measurement.
    private func row(_ m: Measurement) -> String {
        "\(format(m.write, "%.0f", 10))  \(format(m.writeCPU, "%.2f", 11))  \(format(m.read, "%.0f", 9))  "
            + "\(format(m.readCPU, "%.2f", 10))  \(format(m.size, 16))"
    }

    private func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    /// CPU seconds used by this process so far, all threads.
    private func cpuSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    private func format(_ value: Double, _ style: String, _ width: Int) -> String {
        format(String(format: style, value), width)
    }

    private func format<T: CustomStringConvertible>(_ value: T, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - value.description.count)) + value.description
    }
}
