/// Masked samples laid out for one forward pass over a `[batch, seq]` workspace.
///
/// Sample b occupies row block b, left-padded to `seq` with the pad token and key mask 0 (rotary
/// attention sees only position differences, and padded keys are masked out, so padding does not
/// change the result beyond rounding). Row blocks past the samples are filler (pad tokens, all keys
/// real, so that no attention row is empty) and select no targets.
public struct MaskedBatch: Sendable {
    /// Sequences per forward (the workspace's batch).
    public let batch: Int
    /// Positions per sequence (the workspace's seq).
    public let seq: Int
    /// Real samples, at row blocks 0..<sampleCount.
    public let sampleCount: Int
    /// Model input: `[batch*seq]`.
    public let tokens: [Int32]
    /// Key mask: `[batch*seq]`, 1 = real token, 0 = padding.
    public let keyMask: [UInt8]
    /// Whether any key is padding; pass ``keyMask`` to the forward only then.
    public let isPadded: Bool
    /// Logit rows of the masked positions (`b*seq + padding + position`): `[count]`.
    public let rows: [Int32]
    /// Target token per selected row: `[count]`.
    public let targets: [Int32]
    /// Weight per selected row: `[count]`.
    public let weights: [Float]
    /// Sample j owns entries `sampleOffsets[j]..<sampleOffsets[j+1]` of rows, targets, weights.
    public let sampleOffsets: [Int]

    /// Lays out `samples` (at most `batch`, each at most `seq` tokens).
    public init(samples: [MaskedSample], batch: Int, seq: Int, padTokenID: Int32) {
        precondition(samples.count <= batch, "MaskedBatch: \(samples.count) samples exceed batch \(batch)")
        var tokens = [Int32](repeating: padTokenID, count: batch * seq)
        var keyMask = [UInt8](repeating: 1, count: batch * seq)
        var rows: [Int32] = [], targets: [Int32] = [], weights: [Float] = []
        var offsets = [0]
        var padded = false
        for (b, sample) in samples.enumerated() {
            precondition(sample.tokens.count <= seq, "MaskedBatch: sample of \(sample.tokens.count) tokens exceeds seq \(seq)")
            let pad = seq - sample.tokens.count
            padded = padded || pad > 0
            for i in 0..<pad { keyMask[b * seq + i] = 0 }
            for (i, token) in sample.tokens.enumerated() { tokens[b * seq + pad + i] = token }
            rows.append(contentsOf: sample.positions.map { Int32(b * seq + pad) + $0 })
            targets.append(contentsOf: sample.targets)
            weights.append(contentsOf: sample.weights)
            offsets.append(rows.count)
        }
        self.batch = batch
        self.seq = seq
        self.sampleCount = samples.count
        self.tokens = tokens
        self.keyMask = keyMask
        self.isPadded = padded
        self.rows = rows
        self.targets = targets
        self.weights = weights
        self.sampleOffsets = offsets
    }

    /// Number of selected (masked) positions over all samples.
    public var count: Int { rows.count }
}

extension ForwardModel {
    /// Runs the forward pass of every position on `batch` in `workspace` (whose `[batch, seq]` shape
    /// must be the batch's), with the key mask only when the batch is padded.
    public func forward(_ batch: MaskedBatch, workspace: Workspace) {
        precondition(workspace.batch == batch.batch && workspace.seq == batch.seq,
                     "forward: workspace shape differs from the batch")
        batch.tokens.withUnsafeBufferPointer { tokens in
            if batch.isPadded {
                batch.keyMask.withUnsafeBufferPointer { keyMask in
                    forward(tokens: tokens.baseAddress!, keyMask: keyMask.baseAddress, workspace: workspace)
                }
            } else {
                forward(tokens: tokens.baseAddress!, keyMask: nil, workspace: workspace)
            }
        }
    }
}
