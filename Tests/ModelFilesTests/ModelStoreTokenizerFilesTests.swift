import Base
import DLLM
import Foundation
import ModelFiles
import Testing

@Suite struct ModelStoreTokenizerFilesTests {
    private let tokenizerDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/HuggingFace/tokenizer")
    private let config = ModelConfig(dModel: 16, nLayers: 1, nHeads: 4, nKVHeads: 2, mlpHidden: 24, vocabSize: 2048,
                                     maxSeq: 16, maskTokenID: 2044, eosTokenID: 2043, padTokenID: 2043)

    @Test func aBPEModelKeepsItsTokenizerFilesAndLoadsInBothDTypes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bgpo-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenizer = try BPETokenizer(directory: tokenizerDirectory, config: config)
        let model = Model(config: config, seed: 3)
        try ModelStore.save(model, tokenizer: tokenizer, to: directory)
        for file in [BPETokenizer.tokenizerFile, BPETokenizer.configFile] {
            #expect(try Data(contentsOf: directory.appendingPathComponent(file))
                    == Data(contentsOf: tokenizerDirectory.appendingPathComponent(file)))
        }
        let loaded = try ModelStore.load(from: directory)
        #expect(loaded.description.tokenizer == "hf-bpe" && loaded.tokenizer.bosTokenID == 2042)
        #expect(try loaded.tokenizer.encode("Hello, world!") == tokenizer.encode("Hello, world!"))
        let half = try ModelStore.loadBF16(from: directory)
        #expect(half.model.storage.count == model.parameters.count)
        #expect(half.model.storage[0] == bfloat16Bits(model.parameters.pointer[0].bitPattern))
    }

    @Test func aBPEModelWithoutItsTokenizerFileIsRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bgpo-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try ModelStore.save(Model(config: config, seed: 3), tokenizer: BPETokenizer(directory: tokenizerDirectory, config: config),
                            to: directory)
        try FileManager.default.removeItem(at: directory.appendingPathComponent(BPETokenizer.tokenizerFile))
        #expect(throws: (any Error).self) { try ModelStore.load(from: directory) }
        do {
            _ = try ModelStore.load(from: directory)
        } catch {
            #expect("\(error)".contains("tokenizer.json"))
        }
    }
}
