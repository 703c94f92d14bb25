import Base
import Checkpoint
import DLLM
import Foundation
import ModelFiles
import TestSupport
import Testing

@Suite struct ModelStoreTests {
    func smallModel() throws -> Model {
        var config = try ModelConfig.preset("tiny")
        let tokenizer = CharTokenizer()
        config.vocabSize = tokenizer.vocabSize
        return Model(config: config, seed: 3)
    }

    func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("bgpo-modelstore-\(UUID().uuidString)")
    }

    @Test(arguments: [false, true])
    func saveAndLoadRoundTripsWeightsConfigAndTokenizer(compressed: Bool) throws {
        let model = try smallModel()
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try ModelStore.save(model, tokenizer: CharTokenizer(), to: directory, metadata: ["task": "countdown"],
                            compression: compressed ? CompressionOptions() : nil)
        let (loaded, tokenizer, description) = try ModelStore.load(from: directory)
        #expect(loaded.config == model.config)
        #expect(tokenizer.identifier == "char-v1")
        #expect(description.metadata == ["task": "countdown"])
        #expect(Array(loaded.parameters.buffer) == Array(model.parameters.buffer))
        // The weights are a standard safetensors file with LLaDA's names.
        let name = compressed ? ModelStore.compressedWeightsFile : ModelStore.weightsFile
        let (header, _) = try Safetensors.read(directory.appendingPathComponent(name), compressed: compressed)
        #expect(header.entries.contains { $0.descriptor.name == "model.transformer.wte.weight" })
    }

    @Test func aModelWhoseVocabularyDiffersFromItsTokenizerIsRejected() throws {
        let model = Model(config: try ModelConfig.preset("tiny"), seed: 1)
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = #expect(throws: CheckpointError.self) {
            try ModelStore.save(model, tokenizer: CharTokenizer(), to: directory)
        }
        #expect(error?.description.contains("vocab_size = 16") == true)
    }

    @Test func missingOrDamagedFilesAreCheckpointErrors() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = #expect(throws: CheckpointError.self) { try ModelStore.load(from: directory) }
        #expect(missing?.exitCode == ExitStatus.ioError)
        try ModelStore.save(try smallModel(), tokenizer: CharTokenizer(), to: directory)
        let weights = directory.appendingPathComponent(ModelStore.weightsFile)
        let data = try Data(contentsOf: weights)
        try data.prefix(data.count - 8).write(to: weights)
        #expect(throws: CheckpointError.self) { try ModelStore.load(from: directory) }
        try Data("{\"format\": \"other\"}".utf8).write(to: directory.appendingPathComponent(ModelStore.descriptionFile))
        #expect(throws: CheckpointError.self) { try ModelStore.load(from: directory) }
    }
}
