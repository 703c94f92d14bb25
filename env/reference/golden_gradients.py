"""Writes the PyTorch golden fixture bgpo's DLLMTests compare modelForward/modelBackward against.

A two-layer model with grouped kv heads and widths that are not multiples of 16 (so the vectorised
kernels' partial vectors take part), two sequences, the second ending in two padding keys. The
weights follow a formula both sides evaluate in double and round to float, so the fixture does not
store them: tensor t (position of its name in sorted order), element j:
    matrices  scale * sin(0.37 j + 1.1 t + 0.5), scale 1 for the embedding (wte), 0.3 otherwise
    norms     1 + 0.2 cos(0.7 j + t)
The loss is sum_i w_i log softmax(logits[row_i])[target_i] (one row selected twice). PyTorch
computes logits and gradients in float64; the fixture stores them as base64 little-endian float32.

    python env/reference/golden_gradients.py --out Tests/DLLMTests/Fixtures/torch-golden.json
"""

import argparse
import base64
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llada_torch  # noqa: E402

CONFIG = {
    "d_model": 24, "n_layers": 2, "n_heads": 4, "n_kv_heads": 2, "mlp_hidden_size": 40, "vocab_size": 11,
    "max_sequence_length": 8, "rope_theta": 10000.0, "rms_norm_eps": 1e-5,
    "mask_token_id": 1, "eos_token_id": 0, "pad_token_id": 0,
}
BATCH, SEQ, PADDING = 2, 7, 2
ROWS = [0, 3, 6, 7, 9, 11, 3]
TARGETS = [5, 2, 10, 0, 7, 3, 8]
WEIGHTS = [1.0, -0.5, 0.75, 1.25, -1.0, 0.5, 0.3]


def formula_weights(model):
    """Fills every parameter from the formula of the module docstring (double, rounded to float)."""
    names = sorted(name for name, _ in model.named_parameters())
    with torch.no_grad():
        for name, p in model.named_parameters():
            t = names.index(name)
            j = np.arange(p.numel(), dtype=np.float64)
            if p.dim() == 1:
                values = 1 + 0.2 * np.cos(0.7 * j + t)
            else:
                scale = 1.0 if "wte" in name else 0.3
                values = scale * np.sin(0.37 * j + 1.1 * t + 0.5)
            p.copy_(torch.from_numpy(values.astype(np.float32).astype(np.float64)).view(p.shape))


def b64(tensor):
    """Base64 of the tensor's elements as little-endian float32, row-major."""
    return base64.b64encode(tensor.detach().contiguous().view(-1).numpy().astype("<f4").tobytes()).decode()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    model = llada_torch.LLaDA(CONFIG).double()
    formula_weights(model)
    vocab = CONFIG["vocab_size"]
    ids = [(3 * i + 2) % vocab for i in range(BATCH * SEQ)]
    mask = [1] * (BATCH * SEQ)
    for i in range(BATCH * SEQ - PADDING, BATCH * SEQ):
        ids[i], mask[i] = CONFIG["pad_token_id"], 0
    logits = model(torch.tensor(ids).view(BATCH, SEQ), torch.tensor(mask, dtype=torch.bool).view(BATCH, SEQ))
    logp = logits.view(-1, vocab).log_softmax(-1)
    loss = sum(w * logp[r, t] for r, t, w in zip(ROWS, TARGETS, WEIGHTS))
    loss.backward()
    fixture = {
        "about": "written by env/reference/golden_gradients.py with torch " + torch.__version__,
        "config": CONFIG, "batch": BATCH, "seq": SEQ, "tokens": ids, "key_mask": mask,
        "rows": ROWS, "targets": TARGETS, "weights": WEIGHTS, "loss": loss.item(),
        "logits": b64(logits.float()),
        "gradients": {name: b64(p.grad.float()) for name, p in model.named_parameters()},
    }
    with open(args.out, "w") as f:
        json.dump(fixture, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
