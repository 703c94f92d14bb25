"""A small, independent PyTorch implementation of the LLaDA mask predictor (docs/algorithm.md §1).

It is the reference bgpo's Swift model is checked against: same parameter names as LLaDA's Hugging
Face checkpoints, same rotary layout, norm epsilon, attention scaling, grouped kv heads, SwiGLU order,
no causal mask. It depends on torch and safetensors only (numpy for .npy output).

Python API (import it with ``sys.path.insert(0, "env/reference")``, then ``import llada_torch``):

    LLaDA(config: dict) -> nn.Module
        config holds LLaDA's config.json field names (d_model, n_layers, n_heads, n_kv_heads,
        mlp_hidden_size, vocab_size/embedding_size, rope_theta, rms_norm_eps, max_sequence_length);
        bgpo's model.json "config" object uses the same names. Parameters are F32, named exactly as in
        LLaDA checkpoints: model.transformer.wte.weight,
        model.transformer.blocks.{k}.{attn_norm,q_proj,k_proj,v_proj,attn_out,ff_norm,ff_proj,up_proj,ff_out}.weight,
        model.transformer.ln_f.weight, model.transformer.ff_out.weight.
        forward(ids: LongTensor[B, T], key_mask: BoolTensor[B, T] | None = None) -> logits FloatTensor[B, T, V]
        (key_mask: True = real token, False = padding key that no position attends to).
    random_model(config: dict, seed: int = 0, std: float = 0.02) -> LLaDA
        matrices normal(0, std), norm weights 1 + normal(0, 0.1) (so that they matter in a parity test).
    load_model_dir(path) -> LLaDA
        a Hugging Face directory (config.json + model.safetensors or sharded with
        model.safetensors.index.json) or a bgpo model directory (model.json + model.safetensors or
        model.safetensors.zst, the latter needs the zstd tool); any float dtype, computed in F32.
    save_hf(model, directory, dtype=torch.float32, max_shard_bytes=None, extra_config=None)
        writes config.json (LLaDA field names) and the weights, sharded with an index when they exceed
        max_shard_bytes.
    hf_config(config: dict) -> dict
        the full LLaDA config.json for a config dict.

Command line (``/work/venv/bin/python env/reference/llada_torch.py --help``):

    logits --model DIR --ids 1,2,3 [--out FILE.json] [--double]
        writes {"shape": [T, V], "logits": [...]} like `bgpo model logits`.
    random --out DIR --config '{"d_model": 32, ...}' [--seed 0] [--dtype f32|bf16|f16] [--max-shard-bytes N]
        writes a random model as a Hugging Face directory.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

DTYPES = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}
DTYPE_NAMES = {torch.float32: "float32", torch.bfloat16: "bfloat16", torch.float16: "float16"}


def _dims(config):
    """The shape numbers of a config dict, with LLaDA's defaults."""
    d = int(config["d_model"])
    heads = int(config["n_heads"])
    kv_heads = int(config.get("n_kv_heads") or heads)
    vocab = int(config.get("embedding_size") or config["vocab_size"])
    return d, heads, kv_heads, int(config["mlp_hidden_size"]), vocab


class RMSNorm(torch.nn.Module):
    """x * rsqrt(mean(x^2) + eps) * weight, in F32 (or the module's dtype if wider)."""

    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = torch.nn.Parameter(torch.ones(dim))

    def forward(self, x):
        variance = x.pow(2).mean(-1, keepdim=True)
        return x * torch.rsqrt(variance + self.eps) * self.weight


class Block(torch.nn.Module):
    """One LLaDA llama block: pre-norm bidirectional attention, then pre-norm SwiGLU feed-forward."""

    def __init__(self, config):
        super().__init__()
        d, heads, kv_heads, mlp, _ = _dims(config)
        eps = float(config.get("rms_norm_eps", 1e-5))
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, d // heads
        linear = lambda i, o: torch.nn.Linear(i, o, bias=False)
        self.attn_norm = RMSNorm(d, eps)
        self.q_proj = linear(d, d)
        self.k_proj = linear(d, kv_heads * self.head_dim)
        self.v_proj = linear(d, kv_heads * self.head_dim)
        self.attn_out = linear(d, d)
        self.ff_norm = RMSNorm(d, eps)
        self.ff_proj = linear(d, mlp)
        self.up_proj = linear(d, mlp)
        self.ff_out = linear(mlp, d)

    def forward(self, x, cos, sin, attn_mask):
        b, t, _ = x.shape
        n = self.attn_norm(x)
        q = self.q_proj(n).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(n).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(n).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        q, k = _rotate(q, cos, sin), _rotate(k, cos, sin)
        group = self.heads // self.kv_heads
        k = k.repeat_interleave(group, dim=1)  # query head h reads kv head h // group
        v = v.repeat_interleave(group, dim=1)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim)
        if attn_mask is not None:
            scores = scores.masked_fill(~attn_mask[:, None, None, :], float("-inf"))
        context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, -1)
        h = x + self.attn_out(context)
        n = self.ff_norm(h)
        return h + self.ff_out(F.silu(self.ff_proj(n)) * self.up_proj(n))


def _rotate(x, cos, sin):
    """Rotate-half rotary embedding: x * cos + concat(-x2, x1) * sin; x: [B, H, T, hd], cos/sin: [T, hd]."""
    half = x.shape[-1] // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return x * cos + rotated * sin


class LLaDA(torch.nn.Module):
    """The LLaDA mask predictor with LLaDA's parameter names (see the module docstring)."""

    def __init__(self, config):
        super().__init__()
        self.config = dict(config)
        d, heads, _, _, vocab = _dims(config)
        self.theta = float(config.get("rope_theta", 10000.0))
        self.head_dim = d // heads
        self.model = torch.nn.Module()
        self.model.transformer = torch.nn.ModuleDict({
            "wte": torch.nn.Embedding(vocab, d),
            "blocks": torch.nn.ModuleList(Block(config) for _ in range(int(config["n_layers"]))),
            "ln_f": RMSNorm(d, float(config.get("rms_norm_eps", 1e-5))),
            "ff_out": torch.nn.Linear(d, vocab, bias=False),
        })

    def rotary_tables(self, t, dtype):
        """cos, sin: [t, head_dim], angles computed in float64 as bgpo does, halves repeated twice."""
        i = torch.arange(self.head_dim // 2, dtype=torch.float64)
        inv_freq = self.theta ** (-2.0 * i / self.head_dim)
        angles = torch.arange(t, dtype=torch.float64)[:, None] * inv_freq[None, :]
        angles = torch.cat((angles, angles), dim=-1)
        return angles.cos().to(dtype), angles.sin().to(dtype)

    def forward(self, ids, key_mask=None):
        """Logits [B, T, V] of token ids [B, T]; key_mask [B, T] (True = real) or None (all real)."""
        tr = self.model.transformer
        x = tr["wte"](ids)
        cos, sin = self.rotary_tables(ids.shape[1], x.dtype)
        for block in tr["blocks"]:
            x = block(x, cos, sin, key_mask)
        return tr["ff_out"](tr["ln_f"](x))


def random_model(config, seed=0, std=0.02):
    """A model with random weights: matrices normal(0, std), norm weights 1 + normal(0, 0.1)."""
    model = LLaDA(config)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1:
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=generator))
            else:
                p.copy_(std * torch.randn(p.shape, generator=generator))
    return model


def hf_config(config, dtype=torch.float32):
    """The full LLaDA config.json for `config` (LLaDA's field names and fixed architecture flags)."""
    d, heads, kv_heads, mlp, vocab = _dims(config)
    return {
        "architectures": ["LLaDAModelLM"],
        "model_type": "llada",
        "block_type": "llama",
        "d_model": d,
        "n_layers": int(config["n_layers"]),
        "n_heads": heads,
        "n_kv_heads": kv_heads,
        "mlp_hidden_size": mlp,
        "mlp_ratio": mlp // d if mlp % d == 0 else mlp / d,
        "vocab_size": int(config["vocab_size"]),
        "embedding_size": vocab,
        "max_sequence_length": int(config.get("max_sequence_length", 4096)),
        "rope": True,
        "rope_theta": float(config.get("rope_theta", 10000.0)),
        "rope_full_precision": True,
        "rms_norm_eps": float(config.get("rms_norm_eps", 1e-5)),
        "layer_norm_type": "rms",
        "layer_norm_with_affine": True,
        "attention_layer_norm": False,
        "activation_type": "silu",
        "alibi": False,
        "include_bias": False,
        "bias_for_layer_norm": False,
        "weight_tying": False,
        "scale_logits": False,
        "input_emb_norm": False,
        "clip_qkv": None,
        "block_group_size": 1,
        "mask_token_id": int(config.get("mask_token_id", vocab - 1)),
        "eos_token_id": int(config.get("eos_token_id", 0)),
        "pad_token_id": int(config.get("pad_token_id", config.get("eos_token_id", 0))),
        "use_cache": False,
        "torch_dtype": DTYPE_NAMES[dtype],
    }


def save_hf(model, directory, dtype=torch.float32, max_shard_bytes=None, extra_config=None):
    """Writes `model` as a Hugging Face directory: config.json and safetensors (sharded with an index
    when the weights exceed max_shard_bytes)."""
    os.makedirs(directory, exist_ok=True)
    config = hf_config(model.config, dtype)
    config.update(extra_config or {})
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    tensors = {name: p.detach().to(dtype).contiguous() for name, p in model.state_dict().items()}
    shards, current, size = [], {}, 0
    for name, tensor in tensors.items():
        nbytes = tensor.numel() * tensor.element_size()
        if max_shard_bytes and current and size + nbytes > max_shard_bytes:
            shards.append(current)
            current, size = {}, 0
        current[name] = tensor
        size += nbytes
    shards.append(current)
    if len(shards) == 1:
        save_file(shards[0], os.path.join(directory, "model.safetensors"), metadata={"format": "pt"})
        return
    weight_map = {}
    for i, shard in enumerate(shards):
        file = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        save_file(shard, os.path.join(directory, file), metadata={"format": "pt"})
        weight_map.update({name: file for name in shard})
    total = sum(t.numel() * t.element_size() for t in tensors.values())
    with open(os.path.join(directory, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)


def _load_tensors(directory):
    """The tensors of a Hugging Face or bgpo directory, by name, as F32."""
    index = os.path.join(directory, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    elif os.path.exists(os.path.join(directory, "model.safetensors")):
        files = ["model.safetensors"]
    else:
        packed = os.path.join(directory, "model.safetensors.zst")
        with tempfile.TemporaryDirectory() as tmp:
            plain = os.path.join(tmp, "model.safetensors")
            subprocess.run(["zstd", "-q", "-d", packed, "-o", plain], check=True)
            return {k: v.float() for k, v in load_file(plain).items()}
    tensors = {}
    for file in files:
        tensors.update({k: v.float() for k, v in load_file(os.path.join(directory, file)).items()})
    return tensors


def load_model_dir(path):
    """A model from a Hugging Face directory (config.json) or a bgpo model directory (model.json)."""
    if os.path.exists(os.path.join(path, "config.json")):
        with open(os.path.join(path, "config.json")) as f:
            config = json.load(f)
    else:
        with open(os.path.join(path, "model.json")) as f:
            config = json.load(f)["config"]
    model = LLaDA(config)
    model.load_state_dict(_load_tensors(path), strict=True)
    return model


def write_logits(model, ids, out=None, double=False):
    """Writes {"shape": [T, V], "logits": [...]} of one sequence to `out` (or standard output)."""
    if double:
        model = model.double()
    with torch.no_grad():
        logits = model(torch.tensor([ids], dtype=torch.long))[0].float()
    text = json.dumps({"shape": list(logits.shape), "logits": logits.flatten().tolist()})
    if out:
        with open(out, "w") as f:
            f.write(text)
    else:
        print(text)


def main(argv=None):
    """The command line described in the module docstring."""
    parser = argparse.ArgumentParser(description="PyTorch reference of the LLaDA mask predictor")
    commands = parser.add_subparsers(dest="command", required=True)
    logits = commands.add_parser("logits", help="logits of one sequence as JSON")
    logits.add_argument("--model", required=True)
    logits.add_argument("--ids", required=True, help="comma-separated token ids")
    logits.add_argument("--out")
    logits.add_argument("--double", action="store_true", help="compute in float64")
    random = commands.add_parser("random", help="write a random model as a Hugging Face directory")
    random.add_argument("--out", required=True)
    random.add_argument("--config", required=True, help="JSON object with LLaDA config fields")
    random.add_argument("--seed", type=int, default=0)
    random.add_argument("--dtype", choices=sorted(DTYPES), default="f32")
    random.add_argument("--max-shard-bytes", type=int)
    args = parser.parse_args(argv)
    if args.command == "logits":
        write_logits(load_model_dir(args.model), [int(i) for i in args.ids.split(",")], args.out, args.double)
    else:
        model = random_model(json.loads(args.config), args.seed)
        save_hf(model, args.out, DTYPES[args.dtype], args.max_shard_bytes)


if __name__ == "__main__":
    sys.exit(main())
