"""Writes the small LLaDA model fixtures of bgpo's Hugging Face tests (run once; outputs are committed).

A random model of LLaDA's architecture (weights with std 0.3 so that logits are large, grouped kv heads, two blocks, tiny widths, the vocabulary of
the tokenizer fixture from make_tokenizer_fixture.py) is written by the independent PyTorch
reference (llada_torch.py) as Hugging Face directories, with the logits that reference computes:

    llada-tiny-f32/     config.json, F32 weights in three shards with model.safetensors.index.json
    llada-tiny-bf16/    config.json, the same weights rounded to BF16 in one model.safetensors
    logits-ids.json     the token ids of the parity sequence
    logits-f32.bin      float64-computed logits of llada-tiny-f32, [T, V] little-endian F32
    logits-bf16.bin     the same for llada-tiny-bf16 (its BF16 weights widened exactly)

The tokenizer files are not repeated: tests copy tokenizer/ beside the weights.

    /work/venv/bin/python env/reference/make_model_fixture.py [--out Tests/Fixtures/HuggingFace]
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llada_torch  # noqa: E402

CONFIG = {"d_model": 16, "n_layers": 2, "n_heads": 4, "n_kv_heads": 2, "mlp_hidden_size": 24,
          "vocab_size": 2048, "max_sequence_length": 32, "rope_theta": 500000.0, "rms_norm_eps": 1e-5,
          "mask_token_id": 2044, "eos_token_id": 2043, "pad_token_id": 2043}
# <|startoftext|> <|start_header_id|> ... some text ... <|mdm_mask|> x3, <|endoftext|>
IDS = [2042, 2045, 300, 301, 2046, 10, 500, 1200, 77, 2044, 2044, 2044, 2043]


def logits(model):
    """Float64 logits of IDS as F32 bytes, row-major [T, V]."""
    with torch.no_grad():
        return model.double()(torch.tensor([IDS]))[0].float().numpy().tobytes()


def main():
    """Writes the fixtures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="Tests/Fixtures/HuggingFace")
    args = parser.parse_args()
    model = llada_torch.random_model(CONFIG, seed=2026, std=0.3)  # logits of order 1-10, not 0.01
    llada_torch.save_hf(model, os.path.join(args.out, "llada-tiny-f32"), torch.float32, max_shard_bytes=120_000)
    llada_torch.save_hf(model, os.path.join(args.out, "llada-tiny-bf16"), torch.bfloat16)
    with open(os.path.join(args.out, "logits-ids.json"), "w") as f:
        json.dump(IDS, f)
    with open(os.path.join(args.out, "logits-f32.bin"), "wb") as f:
        f.write(logits(llada_torch.load_model_dir(os.path.join(args.out, "llada-tiny-f32"))))
    with open(os.path.join(args.out, "logits-bf16.bin"), "wb") as f:
        f.write(logits(llada_torch.load_model_dir(os.path.join(args.out, "llada-tiny-bf16"))))


if __name__ == "__main__":
    main()
