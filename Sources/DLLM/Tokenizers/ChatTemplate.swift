/// One message of a conversation.
public struct ChatMessage: Sendable, Equatable {
    /// Who speaks: "system", "user" or "assistant".
    public var role: String
    /// What is said.
    public var content: String

    /// Creates a message.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// LLaDA's chat template (the Llama-3 one), the text an instruct model expects around a prompt.
public enum ChatTemplate {
    /// The conversation as LLaDA-8B-Instruct's tokenizer formats it:
    /// `<|startoftext|>` once, then per message
    /// `<|start_header_id|>ROLE<|end_header_id|>\n\nCONTENT<|eot_id|>` with the content trimmed of
    /// surrounding whitespace, then (if `addGenerationPrompt`) the opening of the assistant's turn,
    /// `<|start_header_id|>assistant<|end_header_id|>\n\n`.
    ///
    /// The text starts with BOS: encode it with ``Tokenizer/encode(_:)``, not ``Tokenizer/encodePrompt(_:)``.
    public static func llada(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> String {
        var text = "<|startoftext|>"
        for message in messages {
            text += "<|start_header_id|>\(message.role)<|end_header_id|>\n\n"
                + message.content.trimmingWhitespace() + "<|eot_id|>"
        }
        if addGenerationPrompt { text += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        return text
    }

    /// A single user turn followed by the opening of the assistant's turn.
    public static func llada(prompt: String) -> String {
        llada([ChatMessage(role: "user", content: prompt)])
    }
}

extension String {
    /// The string without leading and trailing whitespace (Jinja's `trim`).
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
