import DLLM
import Foundation
import Testing

/// The committed Hugging Face fixtures (written by env/reference/*.py).
let huggingFaceFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/HuggingFace")

/// A model shape for the fixture tokenizer: its 2048 ids, EOS/pad `<|endoftext|>`, mask `<|mdm_mask|>`.
let fixtureTokenizerConfig = ModelConfig(dModel: 16, nLayers: 1, nHeads: 4, nKVHeads: 2, mlpHidden: 24, vocabSize: 2048,
                                         maxSeq: 64, maskTokenID: 2044, eosTokenID: 2043, padTokenID: 2043)

/// One text of the committed corpus and what the `tokenizers` package made of it.
struct ExpectedEncoding: Decodable {
    var text: String
    var ids: [Int32]
    var decoded: String
}

@Suite struct BPETokenizerTests {
    let tokenizer: BPETokenizer

    init() throws {
        tokenizer = try BPETokenizer(directory: huggingFaceFixtures.appendingPathComponent("tokenizer"),
                                     config: fixtureTokenizerConfig)
    }

    @Test func encodesAndDecodesTheCorpusLikeTheTokenizersPackage() throws {
        let data = try Data(contentsOf: huggingFaceFixtures.appendingPathComponent("tokenizer-expected.json"))
        let corpus = try JSONDecoder().decode([ExpectedEncoding].self, from: data)
        #expect(corpus.count >= 50)
        for entry in corpus {
            #expect(try tokenizer.encode(entry.text) == entry.ids, "text \(entry.text.debugDescription)")
            #expect(tokenizer.decode(entry.ids) == entry.decoded, "text \(entry.text.debugDescription)")
        }
    }

    @Test func specialTokenRolesComeFromTheModelAndTheTokenizerConfig() throws {
        #expect(tokenizer.identifier == "hf-bpe")
        #expect(tokenizer.vocabSize == 2048)
        #expect(tokenizer.bosTokenID == 2042 && tokenizer.id(of: "<|startoftext|>") == 2042)
        #expect(tokenizer.eosTokenID == 2043 && tokenizer.id(of: "<|endoftext|>") == 2043)
        #expect(tokenizer.maskTokenID == 2044 && tokenizer.id(of: "<|mdm_mask|>") == 2044)
        #expect(tokenizer.decode([2044, 2047]) == "<|mdm_mask|><|eot_id|>")
        var padded = fixtureTokenizerConfig
        padded.vocabSize = 2100
        let wide = try BPETokenizer(directory: huggingFaceFixtures.appendingPathComponent("tokenizer"), config: padded)
        #expect(wide.vocabSize == 2100 && wide.decode([2044, 2050]) == "<|mdm_mask|><|unk:2050|>")
        #expect(try tokenizer.encodePrompt("Hi").first == 2042)
    }

    @Test func chatTemplateIsLLaDAs() throws {
        let text = ChatTemplate.llada(prompt: "  What is 2+2?\n")
        #expect(text == "<|startoftext|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n")
        let ids = try tokenizer.encode(text)
        #expect(Array(ids.prefix(2)) == [2042, 2045])
        #expect(tokenizer.decode(ids) == text)
        let turns = ChatTemplate.llada([ChatMessage(role: "system", content: "Be brief."),
                                        ChatMessage(role: "user", content: "Hi")], addGenerationPrompt: false)
        #expect(turns == "<|startoftext|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>")
    }

    @Test func unsupportedTokenizerFieldsAreRefusedByName() throws {
        let url = huggingFaceFixtures.appendingPathComponent("tokenizer/tokenizer.json")
        var root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        root["normalizer"] = ["type": "NFC"]
        let data = try JSONSerialization.data(withJSONObject: root)
        #expect(throws: TokenizerFileError.self) {
            try BPETokenizer(tokenizerData: data, configData: nil, config: fixtureTokenizerConfig)
        }
        do {
            _ = try BPETokenizer(tokenizerData: data, configData: nil, config: fixtureTokenizerConfig)
        } catch let error as TokenizerFileError {
            #expect(error.field == "normalizer" && error.file == "tokenizer.json" && error.exitCode == 65)
        }
        var small = fixtureTokenizerConfig
        small.vocabSize = 1000
        small.maskTokenID = 1
        small.eosTokenID = 0
        small.padTokenID = 0
        #expect(throws: TokenizerFileError.self) {
            try BPETokenizer(tokenizerData: Data(contentsOf: url), configData: nil, config: small)
        }
    }

    @Test func registryReadsTheTokenizerBesideAModel() throws {
        let found = try TokenizerRegistry.tokenizer(identifier: "hf-bpe",
                                                    directory: huggingFaceFixtures.appendingPathComponent("tokenizer"),
                                                    config: fixtureTokenizerConfig)
        #expect(found.identifier == "hf-bpe" && found.bosTokenID == 2042)
        #expect(try TokenizerRegistry.tokenizer(identifier: "char-v1", directory: huggingFaceFixtures,
                                                config: fixtureTokenizerConfig).identifier == "char-v1")
    }
}
