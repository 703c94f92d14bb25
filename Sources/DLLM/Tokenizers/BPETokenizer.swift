import Foundation

/// A byte-level BPE tokenizer read from a Hugging Face `tokenizer.json` (LLaDA's and Llama 3's kind).
///
/// Encoding cuts the text at added tokens (`<|mdm_mask|>`, `<|eot_id|>`, ...), splits the rest
/// with the Llama-3 pre-tokenizer, maps each piece's UTF-8 bytes to the byte-level alphabet and
/// merges them with the BPE ranks; it gives the ids of the `tokenizers` package's
/// `encode(text, add_special_tokens=False)`. Decoding joins the tokens' bytes and reads them as
/// UTF-8 (invalid sequences become U+FFFD), like `decode(ids, skip_special_tokens=False)`;
/// ``Tokenizer/decodeResponse(_:)`` drops the added tokens marked special, like
/// `skip_special_tokens=True`.
///
/// A model directory of a BPE model names ``identifier`` in its `model.json` and holds the
/// `tokenizer.json` and `tokenizer_config.json` this tokenizer was read from, byte for byte.
public struct BPETokenizer: Tokenizer {
    /// The identifier stored in `model.json`: "the tokenizer.json beside me".
    public static let identifier = "hf-bpe"
    /// The Hugging Face tokenizer file's name.
    public static let tokenizerFile = "tokenizer.json"
    /// The Hugging Face tokenizer configuration's name (special token roles, chat template).
    public static let configFile = "tokenizer_config.json"

    /// The bytes of `tokenizer.json`, as read.
    public let tokenizerData: Data
    /// The bytes of `tokenizer_config.json`, as read, if there was one.
    public let configData: Data?
    /// Number of token ids of the model (at least one more than the largest id of the tokenizer).
    public let vocabSize: Int
    /// The end-of-text token.
    public let eosTokenID: Int32
    /// The padding token.
    public let padTokenID: Int32
    /// The `[MASK]` token.
    public let maskTokenID: Int32
    /// The beginning-of-text token.
    public let bosTokenID: Int32
    /// The added tokens marked `"special": true` in `tokenizer.json`, and the model's EOS, padding
    /// and mask ids.
    public let specialTokenIDs: Set<Int32>

    private let model: BPEModel
    private let preTokenizer: PreTokenizer
    private let added: AddedTokens
    /// Token text by id (added tokens included).
    private let tokens: [Int32: String]
    /// Id by token text (added tokens included).
    private let ids: [String: Int32]

    /// ``identifier``.
    public var identifier: String { Self.identifier }

    /// Reads a tokenizer from the bytes of `tokenizer.json` and (optionally) `tokenizer_config.json`.
    ///
    /// The roles of EOS, padding and mask come from the model (`config`); BOS is the config's
    /// `bos_token`, else `<|startoftext|>`. `vocabSize` is the model's, which may exceed the
    /// tokenizer's ids (padded embeddings) but not fall short of them.
    public init(tokenizerData: Data, configData: Data?, config: ModelConfig) throws {
        let file = Self.tokenizerFile
        let json = try TokenizerJSON(data: tokenizerData, file: file)
        model = try BPEModel(json, file: file)
        preTokenizer = json.preTokenizer
        added = AddedTokens(json.addedTokens)
        var tokens = Dictionary(json.vocab.map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        var ids = json.vocab
        for (content, id) in json.addedTokens {
            tokens[id] = content
            ids[content] = id
        }
        self.tokens = tokens
        self.ids = ids
        let largest = Int(tokens.keys.max() ?? 0)
        guard largest < config.vocabSize else {
            throw TokenizerFileError(file: file, field: "model.vocab",
                                     "token id \(largest) does not fit the model's vocab_size \(config.vocabSize)")
        }
        vocabSize = config.vocabSize
        eosTokenID = config.eosTokenID
        padTokenID = config.padTokenID
        maskTokenID = config.maskTokenID
        self.tokenizerData = tokenizerData
        self.configData = configData
        let bos = try configData.map { try Self.bosToken(in: $0) } ?? nil
        let bosName = bos ?? "<|startoftext|>"
        guard let bosID = ids[bosName] else {
            throw TokenizerFileError(file: bos == nil ? file : Self.configFile, field: "bos_token",
                                     "the BOS token \(bosName) is not a token of \(file)")
        }
        bosTokenID = bosID
        specialTokenIDs = json.specialTokenIDs.union([eosTokenID, padTokenID, maskTokenID])
    }

    /// Reads `tokenizer.json` and, if present, `tokenizer_config.json` from `directory`.
    public init(directory: URL, config: ModelConfig) throws {
        let tokenizerURL = directory.appendingPathComponent(Self.tokenizerFile)
        guard let data = FileManager.default.contents(atPath: tokenizerURL.path) else {
            throw TokenizerFileError(file: tokenizerURL.path, field: "(file)", "cannot be read")
        }
        let configData = FileManager.default.contents(atPath: directory.appendingPathComponent(Self.configFile).path)
        try self.init(tokenizerData: data, configData: configData, config: config)
    }

    /// Writes `tokenizer.json` and `tokenizer_config.json` (if this tokenizer had one) into `directory`.
    public func writeFiles(to directory: URL) throws {
        try tokenizerData.write(to: directory.appendingPathComponent(Self.tokenizerFile), options: .atomic)
        try configData?.write(to: directory.appendingPathComponent(Self.configFile), options: .atomic)
    }

    /// The id of the token whose text is `token` (an added token or a vocabulary entry), if any.
    public func id(of token: String) -> Int32? { ids[token] }

    /// The ids of `text`, added tokens in it included as their ids; never throws.
    public func encode(_ text: String) throws -> [Int32] {
        let utf8 = Array(text.utf8)
        var ids: [Int32] = []
        for segment in added.segments(utf8) {
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let range):
                let scalars = Array(String(decoding: utf8[range], as: UTF8.self).unicodeScalars)
                var pieceUTF8: [UInt8] = []
                for piece in preTokenizer.split(scalars) {
                    pieceUTF8.removeAll(keepingCapacity: true)
                    for scalar in scalars[piece] { pieceUTF8.append(contentsOf: scalar.utf8) }
                    model.tokenize(pieceUTF8[...], into: &ids)
                }
            }
        }
        return ids
    }

    /// The text of `tokens`; ids without a token are written `<|unk:ID|>`.
    public func decode<S: Sequence>(_ tokens: S) -> String where S.Element == Int32 {
        var text = ""
        var bytes: [UInt8] = []
        for id in tokens {
            if let token = self.tokens[id] {
                ByteLevel.decode(token, into: &bytes)
            } else {
                text += String(decoding: bytes, as: UTF8.self) + "<|unk:\(id)|>"
                bytes.removeAll()
            }
        }
        return text + String(decoding: bytes, as: UTF8.self)
    }

    /// The `bos_token` of a `tokenizer_config.json` (a string or `{"content": ...}`), or nil.
    private static func bosToken(in data: Data) throws -> String? {
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TokenizerFileError(file: configFile, field: "(root)", "not a JSON object")
        }
        if let name = root["bos_token"] as? String { return name }
        return (root["bos_token"] as? [String: Any])?["content"] as? String
    }
}
