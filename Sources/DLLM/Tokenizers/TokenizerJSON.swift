import Foundation

/// The parts of a Hugging Face `tokenizer.json` that a byte-level BPE tokenizer needs, read and
/// checked: anything bgpo does not implement is refused with the field that asks for it.
///
/// Supported: no normalizer; the pre-tokenizer `Sequence[Split(Llama-3 regex, Isolated),
/// ByteLevel(add_prefix_space: false, use_regex: false)]` of LLaDA and Llama 3; a BPE model
/// without dropout, unknown token, subword affixes or byte fallback; a ByteLevel decoder;
/// added tokens without stripping or single-word matching. The post-processor is not used
/// (``Tokenizer/encode(_:)`` adds no special tokens).
struct TokenizerJSON {
    /// Token text to id, the BPE vocabulary.
    var vocab: [String: Int32]
    /// Merge pairs in rank order.
    var merges: [(String, String)]
    /// Whether a piece found whole in the vocabulary skips the merges.
    var ignoreMerges: Bool
    /// The pre-tokenizer split.
    var preTokenizer: PreTokenizer
    /// The added tokens, text and id.
    var addedTokens: [(content: String, id: Int32)]
    /// The ids of the added tokens marked `"special": true` (what `skip_special_tokens` drops).
    var specialTokenIDs: Set<Int32>

    /// Parses `data`; `file` names the file in errors.
    init(data: Data, file: String) throws {
        func fail(_ field: String, _ problem: String) -> TokenizerFileError {
            TokenizerFileError(file: file, field: field, problem)
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw fail("(root)", "not a JSON object")
        }
        if let normalizer = root["normalizer"], !(normalizer is NSNull) {
            throw fail("normalizer", "normalizers are not supported (expected null, as in LLaDA's tokenizer)")
        }
        preTokenizer = try Self.preTokenizer(root["pre_tokenizer"], fail)
        guard let decoder = root["decoder"] as? [String: Any], decoder["type"] as? String == "ByteLevel" else {
            throw fail("decoder", "only the ByteLevel decoder is supported")
        }
        guard let model = root["model"] as? [String: Any] else { throw fail("model", "missing") }
        guard model["type"] as? String == "BPE" else {
            throw fail("model.type", "\(model["type"] ?? "nothing") is not supported (expected \"BPE\")")
        }
        for key in ["dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = model[key], !(value is NSNull) {
                throw fail("model.\(key)", "\(value) is not supported (expected null)")
            }
        }
        if model["byte_fallback"] as? Bool == true { throw fail("model.byte_fallback", "true is not supported") }
        ignoreMerges = model["ignore_merges"] as? Bool ?? false
        guard let vocabObject = model["vocab"] as? [String: Any] else { throw fail("model.vocab", "missing or not an object") }
        vocab = try vocabObject.mapValues { value in
            guard let id = value as? Int, id >= 0, id <= Int(Int32.max) else {
                throw fail("model.vocab", "id \(value) is not a non-negative integer")
            }
            return Int32(id)
        }
        guard let mergeList = model["merges"] as? [Any] else { throw fail("model.merges", "missing or not an array") }
        merges = try mergeList.enumerated().map { index, merge in
            if let pair = merge as? [String], pair.count == 2 { return (pair[0], pair[1]) }
            if let text = merge as? String {
                let parts = text.split(separator: " ", omittingEmptySubsequences: false)
                if parts.count == 2 { return (String(parts[0]), String(parts[1])) }
            }
            throw fail("model.merges[\(index)]", "\(merge) is not a pair of tokens")
        }
        guard let added = root["added_tokens"] as? [[String: Any]] else {
            throw fail("added_tokens", "missing or not an array of objects")
        }
        addedTokens = try added.enumerated().map { index, token in
            guard let content = token["content"] as? String, !content.isEmpty,
                  let id = token["id"] as? Int, id >= 0, id <= Int(Int32.max) else {
                throw fail("added_tokens[\(index)]", "needs a non-empty content and a non-negative id")
            }
            for key in ["lstrip", "rstrip", "single_word"] where token[key] as? Bool == true {
                throw fail("added_tokens[\(index)].\(key)", "true is not supported (token \(content))")
            }
            return (content, Int32(id))
        }
        specialTokenIDs = Set(added.compactMap { token in
            token["special"] as? Bool == true ? (token["id"] as? Int).map { Int32($0) } : nil
        })
    }

    /// The Llama-3 split of the pre-tokenizer `value`, or a precise refusal.
    private static func preTokenizer(_ value: Any?, _ fail: (String, String) -> TokenizerFileError) throws -> PreTokenizer {
        let field = "pre_tokenizer"
        guard let object = value as? [String: Any], object["type"] as? String == "Sequence",
              let steps = object["pretokenizers"] as? [[String: Any]], steps.count == 2 else {
            throw fail(field, "expected a Sequence of Split (the Llama-3 regex) and ByteLevel, as in LLaDA's tokenizer")
        }
        let split = steps[0], byteLevel = steps[1]
        guard split["type"] as? String == "Split", split["behavior"] as? String == "Isolated",
              split["invert"] as? Bool != true else {
            throw fail(field + ".pretokenizers[0]", "expected Split with behavior Isolated, not inverted")
        }
        guard let pattern = (split["pattern"] as? [String: Any])?["Regex"] as? String,
              let preTokenizer = PreTokenizer(pattern: pattern) else {
            throw fail(field + ".pretokenizers[0].pattern",
                       "only the Llama-3 pattern \(PreTokenizer.pattern(maxDigits: 3)) (any digit limit) is supported")
        }
        guard byteLevel["type"] as? String == "ByteLevel", byteLevel["add_prefix_space"] as? Bool != true,
              byteLevel["use_regex"] as? Bool == false else {
            throw fail(field + ".pretokenizers[1]", "expected ByteLevel with add_prefix_space false and use_regex false")
        }
        return preTokenizer
    }
}
