/// The byte-pair-encoding step of a byte-level BPE tokenizer: one pre-tokenized piece to ids.
struct BPEModel: Sendable {
    /// Token text (byte-level alphabet) to id.
    let vocab: [String: Int32]
    /// Id of each byte's one-symbol token, -1 where the vocabulary lacks it.
    private let byteIDs: [Int32]
    /// `left << 32 | right` to the merge's rank and the merged token's id.
    private let merges: [UInt64: (rank: Int32, id: Int32)]
    /// Whether a piece found whole in the vocabulary is one token without merging.
    private let ignoreMerges: Bool

    /// Builds the merge table; every merge's parts and result must be in the vocabulary.
    init(_ json: TokenizerJSON, file: String) throws {
        vocab = json.vocab
        byteIDs = ByteLevel.scalars.map { json.vocab[String($0)] ?? -1 }
        var merges: [UInt64: (rank: Int32, id: Int32)] = [:]
        for (rank, (left, right)) in json.merges.enumerated() {
            guard let a = json.vocab[left], let b = json.vocab[right], let merged = json.vocab[left + right] else {
                throw TokenizerFileError(file: file, field: "model.merges[\(rank)]",
                                         "merge \"\(left) \(right)\" uses or makes a token missing from model.vocab")
            }
            merges[Self.key(a, b)] = (Int32(rank), merged)
        }
        self.merges = merges
        ignoreMerges = json.ignoreMerges
    }

    /// The ids of one piece, given as UTF-8 bytes: the lowest-ranked adjacent pair is merged, the
    /// leftmost first, until no pair has a merge. Bytes without a token are dropped, as the
    /// `tokenizers` package does without an unknown token.
    func tokenize(_ utf8: ArraySlice<UInt8>, into ids: inout [Int32]) {
        if ignoreMerges, let id = vocab[ByteLevel.encode(utf8)] {
            ids.append(id)
            return
        }
        var symbols = utf8.map { byteIDs[Int($0)] }.filter { $0 >= 0 }
        while symbols.count > 1 {
            var best: (rank: Int32, id: Int32, at: Int)?
            for i in 0..<(symbols.count - 1) {
                if let merge = merges[Self.key(symbols[i], symbols[i + 1])], merge.rank < (best?.rank ?? .max) {
                    best = (merge.rank, merge.id, i)
                }
            }
            guard let best else { break }
            symbols[best.at] = best.id
            symbols.remove(at: best.at + 1)
        }
        ids.append(contentsOf: symbols)
    }

    /// The merge table key of the pair (`a`, `b`).
    private static func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(a)) << 32 | UInt64(UInt32(b)) }
}
