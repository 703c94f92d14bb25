import Base
import DLLM
import Foundation

/// The model a fuzzed tokenizer serves: LLaDA-8B's vocabulary and special ids.
private let tokenizerModel: ModelConfig? = try? ModelConfig.preset("llada-8b")

/// `tokenizer.json`, then (after a zero byte, if any) `tokenizer_config.json`; a tokenizer that loads
/// encodes a fixed text and the input's own text and decodes the ids back.
func fuzzTokenizer(_ data: Data) {
    guard let config = tokenizerModel else { fatalError("bgpo-fuzz: no llada-8b preset") }
    let (tokenizerData, configData) = splitAtZero(data)
    expectHandled("tokenizer", codes: [ExitStatus.dataError]) {
        let tokenizer = try BPETokenizer(tokenizerData: tokenizerData, configData: configData, config: config)
        for text in ["Hello, world! 12 + 34 = 46\n<answer>46</answer>", String(decoding: data.prefix(256), as: UTF8.self)] {
            let ids = try tokenizer.encode(text)
            _ = tokenizer.decode(ids)
        }
    }
}
