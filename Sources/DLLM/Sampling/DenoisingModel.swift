/// Anything that maps a batch of token sequences to per-position vocabulary logits: the transformer
/// (``ModelRunner``) or, in tests, a stand-in whose outputs are known.
public protocol DenoisingModel: AnyObject {
    /// Logits per position.
    var vocabSize: Int { get }
    /// The longest sequence a forward accepts.
    var maxSequence: Int { get }
    /// Runs a forward pass. `tokens`, `keyMask`: `[batch*seq]` (keyMask 1 = real token, 0 = padding
    /// key; nil = all real). Returns logits `[batch*seq, vocabSize]`, valid until the next call.
    func logits(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, batch: Int, seq: Int) -> UnsafePointer<Float>
    /// Runs a forward pass whose caller reads the logits of positions `positions` of every sequence
    /// only; the other rows of the returned `[batch*seq, vocabSize]` logits are unspecified.
    func logits(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, batch: Int, seq: Int,
                positions: Range<Int>) -> UnsafePointer<Float>
    /// Runs a forward pass of positions `positions` of every sequence only, every other position's
    /// keys and values reused from this model's previous pass (block-wise caching, approximate), which
    /// must have been a full or `positions` pass, or one of these, over the same batch shape and key
    /// mask; the other rows of the returned logits are unspecified.
    func cachedLogits(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, batch: Int, seq: Int,
                      positions: Range<Int>) -> UnsafePointer<Float>
}

extension DenoisingModel {
    /// The full forward pass: every row's logits.
    public func logits(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, batch: Int, seq: Int,
                       positions: Range<Int>) -> UnsafePointer<Float> {
        logits(tokens: tokens, keyMask: keyMask, batch: batch, seq: seq)
    }

    /// A model without keys and values to cache (a test's stand-in) recomputes every position:
    /// exactly the uncached logits.
    public func cachedLogits(tokens: UnsafePointer<Int32>, keyMask: UnsafePointer<UInt8>?, batch: Int, seq: Int,
                             positions: Range<Int>) -> UnsafePointer<Float> {
        logits(tokens: tokens, keyMask: keyMask, batch: batch, seq: seq, positions: positions)
    }
}
