/// Checkpoint cadence, retention and compression (docs/design.md "Checkpoints").
public struct CheckpointSettings: Codable, Equatable, Sendable {
    /// Write a checkpoint every N steps; 0 = only at a stop signal and at the end. Default 50.
    public var saveSteps = 50
    /// Newest checkpoints kept; older ones are deleted after a new one is published. Default 2.
    public var saveTotalLimit = 2
    /// Also keep every checkpoint whose step is a multiple of N; 0 (default) = none.
    public var keepEvery = 0
    /// zstd compression level, 1...22. Default 3 (zstd's default).
    public var compressionLevel = 3
    /// zstd worker threads; 0 (default) = compress on the writing thread.
    public var compressionThreads = 0

    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case saveSteps = "save_steps"
        case saveTotalLimit = "save_total_limit"
        case keepEvery = "keep_every"
        case compressionLevel = "compression_level"
        case compressionThreads = "compression_threads"
    }
}
