"""Writes the byte-level BPE tokenizer fixture and its expected encodings (run once; outputs are committed).

The corpus is the hand-written CORPUS plus 300 texts glued at random (fixed seed) from pieces that
exercise the pre-tokenizer's corners (contractions, whitespace runs, newlines, digits, emoji,
combining marks, special tokens and their fragments).

The tokenizer has the structure of LLaDA's tokenizer.json (the Llama-3 family): no normalizer, a
pre-tokenizer Sequence[Split(Llama-3 regex, isolated), ByteLevel(no prefix space, no regex)], a BPE
model over byte-level symbols with `ignore_merges`, a ByteLevel decoder, and LLaDA's special tokens
appended after the learned vocabulary. It is trained with the `tokenizers` package on this
repository's README and the Swift sources, to a small vocabulary, so that the fixture stays small.

    /work/venv/bin/python env/reference/make_tokenizer_fixture.py [--out Tests/Fixtures/HuggingFace]

writes tokenizer/tokenizer.json, tokenizer/tokenizer_config.json and tokenizer-expected.json, a list
of {"text", "ids", "decoded"}: ids = encode(text, add_special_tokens=False),
decoded = decode(ids, skip_special_tokens=False).
"""

import argparse
import glob
import json
import os
import random

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
                  r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
SPECIAL_TOKENS = ["<|startoftext|>", "<|endoftext|>", "<|mdm_mask|>",
                  "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
CHAT_TEMPLATE = ("{% set loop_messages = messages %}{% for message in loop_messages %}"
                 "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'"
                 " + message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
                 "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
                 "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")

CORPUS = [
    "", "Hello, world!", "hello world", " leading space", "trailing space ", "   three leading",
    "a  b   c    d", "tabs\tand\t\ttabs", "line one\nline two\r\nline three\r\rend", "\n\n\n", " \n \n ",
    "words\n\n  indented\n    more", "ends with newline\n", "spaces then newline   \n  x",
    "I'm sure you're right, they've said we'll see; he'd go. It's HIS'S 'TIS O'Neil 'x 'S 'LL",
    "don't DON'T Don'T", "Ünïcödé naïve café résumé Straße", "日本語のテキストです。", "Привет, мир! Как дела?",
    "مرحبا بالعالم", "हिन्दी भाषा", "한국어 문장", "emoji 👍🏽 family 👨‍👩‍👧 flag 🇫🇷 heart ❤️ 🤖",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕞𝕒𝕥𝕙", "combining e\u0301 a\u0308", "zero\u200bwidth joiner\u200d",
    "nbsp\u00a0here ideographic\u3000space line\u2028sep", "1234567 3.14159 12,345 -42 +7 1e-9 0x1F",
    "٣٤٥ arabic digits ½ ⅔ Ⅻ ²³", "∑_{i=1}^{n} i² = n(n+1)/2", "def f(x):\n    return x**2  # square\n",
    "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}", "<html><body class=\"x\">Hi &amp; bye</body></html>",
    "<|startoftext|>Hello<|eot_id|>", "<|mdm_mask|><|mdm_mask|><|mdm_mask|>", "x<|endoftext|>y",
    "almost <|mdm_mask| special", "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>\n\n",
    "Using numbers 3, 5, 7 and 11 create an equation that equals 24. <answer>(3+5)*(11-7)-8</answer>",
    "!!!??? ... --- *** ___ ~~~", "a's b't c're d've e'm f'll g'd", "tab\t\n\tnew", "\r\n", "\t",
    "mixed123abc456 def7890", "CamelCaseWordsAndMORE", "email@example.com https://example.org/path?q=1",
    "Ελληνικά κείμενα", "עברית", "ไทย ภาษา", "$100.00 €50 £30 ¥1000", "    ", "x    ", "    x",
]


RANDOM_PIECES = ["the", " cat", "Don't", "'s", "'LL", "123", "4567890", " ", "  ", "\t", "\n", "\r\n", "\n\n", " \n",
                 "!", "?!", " ...", "()", "{}", "é", "ß", "Ω", "中文", "日本", "😀", "👍🏽", "👨‍👩‍👧", "\u00a0", "\u3000",
                 "\u2028", "\u200b", "\u0301", "½", "٣", "<|mdm_mask|>", "<|eot_id|>", "<|endoftext|>", "<|",
                 "|>", "ſ", "K", "x", "Hello", "WORLD", "_", "-", "$", "\x00", "\x7f", "\U0001d518"]


def random_texts(count, seed=7):
    """`count` texts glued from RANDOM_PIECES, deterministic for `seed`."""
    rng = random.Random(seed)
    return ["".join(rng.choice(RANDOM_PIECES) for _ in range(rng.randint(1, 12))) for _ in range(count)]


def build_tokenizer(texts, vocab_size):
    """A byte-level BPE with LLaDA's structure, trained on `texts`, special tokens appended."""
    tokenizer = Tokenizer(models.BPE(ignore_merges=True, byte_fallback=False))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])
    tokenizer.decoder = decoders.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(texts, trainer=trainer)
    tokenizer.add_special_tokens(SPECIAL_TOKENS)
    return tokenizer


def main():
    """Trains the tokenizer and writes the fixture files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="Tests/Fixtures/HuggingFace")
    parser.add_argument("--vocab-size", type=int, default=2042)
    args = parser.parse_args()
    paths = ["README.md"] + sorted(glob.glob("Sources/**/*.swift", recursive=True))
    texts = [open(p, encoding="utf-8").read() for p in paths]
    tokenizer = build_tokenizer(texts, args.vocab_size)
    os.makedirs(os.path.join(args.out, "tokenizer"), exist_ok=True)
    tokenizer.save(os.path.join(args.out, "tokenizer", "tokenizer.json"))
    config = {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
              "mask_token": "<|mdm_mask|>", "chat_template": CHAT_TEMPLATE,
              "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 4096}
    with open(os.path.join(args.out, "tokenizer", "tokenizer_config.json"), "w") as f:
        json.dump(config, f, indent=2)
    expected = []
    for text in CORPUS + random_texts(300):
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        expected.append({"text": text, "ids": ids, "decoded": tokenizer.decode(ids, skip_special_tokens=False)})
    with open(os.path.join(args.out, "tokenizer-expected.json"), "w") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
    print(f"vocabulary {tokenizer.get_vocab_size()}, {len(expected)} texts, "
          f"{sum(len(e['ids']) for e in expected)} tokens")


if __name__ == "__main__":
    main()
