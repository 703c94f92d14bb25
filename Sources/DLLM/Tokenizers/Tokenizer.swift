import Base
import Foundation

/// Turns text into token ids and back, with the special tokens a masked-diffusion LM needs.
///
/// A tokenizer is stored with every model (``identifier``), so that a model decodes the same text
/// years later. Character-level (``CharTokenizer``) is the built-in one; a BPE tokenizer for imported
/// LLaDA models slots in behind the same protocol.
public protocol Tokenizer: Sendable {
    /// Name and version of the id layout, e.g. "char-v1"; stored in every model file.
    var identifier: String { get }
    /// Number of token ids; equals the model's vocabulary size.
    var vocabSize: Int { get }
    /// The end-of-text token, also used as response padding.
    var eosTokenID: Int32 { get }
    /// The padding token of prompts in a batch (equal to EOS for LLaDA-style models).
    var padTokenID: Int32 { get }
    /// The `[MASK]` token of the diffusion process.
    var maskTokenID: Int32 { get }
    /// The beginning-of-text token, put in front of every prompt.
    var bosTokenID: Int32 { get }
    /// The ids of `text`, without special tokens; throws ``TokenizerError`` on text it cannot encode.
    func encode(_ text: String) throws -> [Int32]
    /// The text of `tokens`; special tokens are written as their names (e.g. `<|mdm_mask|>`).
    func decode<S: Sequence>(_ tokens: S) -> String where S.Element == Int32
    /// The ids ``decodeResponse(_:)`` leaves out (Hugging Face's `skip_special_tokens=True`):
    /// EOS, padding, `[MASK]`, BOS and any other special token such as an end-of-turn marker.
    var specialTokenIDs: Set<Int32> { get }
    /// Writes the files this tokenizer is read from into a model directory (none for built-in ones).
    func writeFiles(to directory: URL) throws
}

extension Tokenizer {
    /// Built-in tokenizers have no files.
    public func writeFiles(to directory: URL) throws {}

    /// The text of `tokens` up to (not including) the first EOS, without special tokens
    /// (``specialTokenIDs``, as `skip_special_tokens=True`): what rewards are computed on. A
    /// response ending in an end-of-turn token reads the same as without it.
    public func decodeResponse<S: Sequence>(_ tokens: S) -> String where S.Element == Int32 {
        let special = specialTokenIDs
        var kept: [Int32] = []
        for token in tokens {
            if token == eosTokenID { break }
            if !special.contains(token) { kept.append(token) }
        }
        return decode(kept)
    }

    /// The prompt ids the model sees: BOS followed by the encoded `text`.
    public func encodePrompt(_ text: String) throws -> [Int32] {
        [bosTokenID] + (try encode(text))
    }

    /// The response ids of a training target: the encoded `text`, then EOS up to `length` tokens.
    ///
    /// At least one EOS always follows the text, so that the model learns where to stop; a text that
    /// leaves no room for it throws ``TokenizerError/responseTooLong(length:limit:)``.
    public func encodeResponse(_ text: String, length: Int) throws -> [Int32] {
        var ids = try encode(text)
        guard ids.count < length else {
            throw TokenizerError.responseTooLong(length: ids.count, limit: length)
        }
        ids.append(contentsOf: repeatElement(eosTokenID, count: length - ids.count))
        return ids
    }
}

/// Why a tokenizer could not encode text, or could not be found.
public enum TokenizerError: Error, ExitCodeProviding, CustomStringConvertible, Equatable {
    /// `character` (at UTF-8 byte `offset` of the text) has no token id.
    case unknownCharacter(Character, offset: Int)
    /// A response of `length` tokens does not fit `limit` positions with a closing EOS.
    case responseTooLong(length: Int, limit: Int)
    /// No tokenizer is known by this identifier.
    case unknownIdentifier(String)

    /// 65 (bad input data).
    public var exitCode: Int32 { ExitStatus.dataError }

    /// A message naming the offending value.
    public var description: String {
        switch self {
        case let .unknownCharacter(character, offset):
            let scalars = character.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true) }
            return "tokenizer \(CharTokenizer.identifier): character \(character.debugDescription) "
                + "(\(scalars.joined(separator: " "))) at byte \(offset) has no token id"
        case let .responseTooLong(length, limit):
            return "tokenizer: a response of \(length) tokens does not fit \(limit) positions with a closing EOS"
        case let .unknownIdentifier(name):
            return "tokenizer: unknown tokenizer \"\(name)\" (known: \(TokenizerRegistry.identifiers.joined(separator: ", ")))"
        }
    }
}

/// The tokenizers a model file can name.
public enum TokenizerRegistry {
    /// Every known tokenizer identifier.
    public static let identifiers: [String] = [CharTokenizer.identifier, BPETokenizer.identifier]

    /// The built-in tokenizer stored under `identifier`; throws ``TokenizerError/unknownIdentifier(_:)``
    /// for anything else (a tokenizer read from files needs ``tokenizer(identifier:directory:config:)``).
    public static func tokenizer(identifier: String) throws -> any Tokenizer {
        switch identifier {
        case CharTokenizer.identifier: CharTokenizer()
        default: throw TokenizerError.unknownIdentifier(identifier)
        }
    }

    /// The tokenizer of the model directory `directory` whose `model.json` names `identifier`:
    /// a built-in one, or a ``BPETokenizer`` read from the directory's files for `config`.
    public static func tokenizer(identifier: String, directory: URL, config: ModelConfig) throws -> any Tokenizer {
        identifier == BPETokenizer.identifier
            ? try BPETokenizer(directory: directory, config: config) : try tokenizer(identifier: identifier)
    }
}
