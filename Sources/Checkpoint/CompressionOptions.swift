/// How zstd compresses checkpoint files.
public struct CompressionOptions: Sendable, Equatable {
    /// The zstd level, 1 (fastest) to 19 (smallest); 3 is zstd's default.
    public var level: Int
    /// zstd worker threads (`ZSTD_c_nbWorkers`): 0 compresses in the calling thread; N >= 1 runs
    /// N workers while the calling thread hashes and writes. Ignored (treated as 0) by a zstd
    /// library built without multithreading.
    public var workers: Int

    /// Creates options; the defaults are level 3 in the calling thread.
    public init(level: Int = 3, workers: Int = 0) {
        self.level = level
        self.workers = workers
    }
}
