import Base
import DLLM
import Testing

@Suite struct TokenizerTests {
    let tokenizer = CharTokenizer()

    @Test func idLayoutIsCharV1() throws {
        #expect(tokenizer.identifier == "char-v1")
        #expect(tokenizer.vocabSize == 99)
        #expect(tokenizer.eosTokenID == 0 && tokenizer.padTokenID == 0)
        #expect(tokenizer.maskTokenID == 1)
        #expect(tokenizer.bosTokenID == 2)
        #expect(try tokenizer.encode("\n") == [3])
        #expect(try tokenizer.encode(" ") == [4])
        #expect(try tokenizer.encode("~") == [98])
        #expect(try tokenizer.encode("A0a") == [65 - 28, 48 - 28, 97 - 28])
        #expect(tokenizer.decode([0, 1, 2]) == "<|endoftext|><|mdm_mask|><|startoftext|>")
    }

    @Test func everyPrintableCharacterRoundTrips() throws {
        let text = String((32...126).map { Character(Unicode.Scalar(UInt8($0))) }) + "\nx\n"
        let ids = try tokenizer.encode(text)
        #expect(ids.count == text.utf8.count)
        #expect(ids.allSatisfy { $0 >= 3 && $0 < 99 })
        #expect(tokenizer.decode(ids) == text)
        #expect(try tokenizer.encode("<answer>1 + 2</answer>").count == 22)
    }

    @Test func unknownCharacterIsADataErrorNamingIt() {
        #expect(throws: TokenizerError.unknownCharacter("é", offset: 3)) { try tokenizer.encode("abcé") }
        #expect(throws: TokenizerError.unknownCharacter("\t", offset: 1)) { try tokenizer.encode("a\tb") }
        #expect(throws: TokenizerError.unknownCharacter("\r\n", offset: 2)) { try tokenizer.encode("ab\r\n") }
        let error = #expect(throws: TokenizerError.self) { try tokenizer.encode("12€") }
        #expect(error?.exitCode == ExitStatus.dataError)
        #expect(error?.description.contains("€") == true)
        #expect(error?.description.contains("U+20AC") == true)
        #expect(error?.description.contains("byte 2") == true)
    }

    @Test func responsesArePaddedWithEOSAndCutAtTheFirstEOS() throws {
        let ids = try tokenizer.encodeResponse("12", length: 5)
        #expect(ids == [49 - 28, 50 - 28, 0, 0, 0])
        #expect(tokenizer.decodeResponse(ids) == "12")
        #expect(tokenizer.decodeResponse([37, 0, 38]) == "A")
        #expect(throws: TokenizerError.responseTooLong(length: 3, limit: 3)) {
            try tokenizer.encodeResponse("abc", length: 3)
        }
        #expect(try tokenizer.encodePrompt("hi") == [2, 104 - 28, 105 - 28])
    }

    @Test func registryFindsCharV1AndRejectsUnknownNames() throws {
        let found = try TokenizerRegistry.tokenizer(identifier: "char-v1")
        #expect(found.identifier == "char-v1")
        #expect(throws: TokenizerError.unknownIdentifier("bpe-v9")) {
            try TokenizerRegistry.tokenizer(identifier: "bpe-v9")
        }
    }
}
