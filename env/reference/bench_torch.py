"""Times the PyTorch reference (llada_torch.py) the way `bgpo bench model` times bgpo.

Forward (under torch.no_grad, as sampling runs it) and forward+backward of the loss
-mean_i log softmax(logits_i)[target_i] over every position, eager mode, on `--threads` intra-op
threads (one inter-op thread). Tokens and targets are those of `bgpo bench model`: token i of the
flattened batch is (7 i + 3) mod V, its target (5 i + 1) mod V. Prints one JSON object: medians of
`--runs` timed calls after one warm-up of each, tokens/s, and what PyTorch ran on.

    python env/reference/bench_torch.py --model DIR --batch 8 --seq 128 --threads 1 --runs 3
    python env/reference/bench_torch.py --config '{"d_model": 256, ...}' ...   (random weights)

`--attention sdpa` (default) runs the attention through torch.nn.functional.scaled_dot_product_attention
(PyTorch's fused CPU kernel, what LLaDA's own modelling code calls) with the reference's weights and
rotary tables; the logits are checked against the reference's explicit softmax(q k^T) v at start.
`--attention reference` times the reference module unchanged.
"""

import argparse
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llada_torch  # noqa: E402


def sdpa_block_forward(self, x, cos, sin, attn_mask):
    """llada_torch.Block.forward with the attention product done by scaled_dot_product_attention."""
    b, t, _ = x.shape
    n = self.attn_norm(x)
    q = self.q_proj(n).view(b, t, self.heads, self.head_dim).transpose(1, 2)
    k = self.k_proj(n).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
    v = self.v_proj(n).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
    q, k = llada_torch._rotate(q, cos, sin), llada_torch._rotate(k, cos, sin)
    mask = None if attn_mask is None else attn_mask[:, None, None, :]
    context = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=self.heads != self.kv_heads)
    h = x + self.attn_out(context.transpose(1, 2).reshape(b, t, -1))
    n = self.ff_norm(h)
    return h + self.ff_out(F.silu(self.ff_proj(n)) * self.up_proj(n))


def bench_inputs(batch, seq, vocab):
    """The token ids [batch, seq] and targets [batch * seq] of `bgpo bench model`."""
    i = torch.arange(batch * seq)
    return ((7 * i + 3) % vocab).view(batch, seq), (5 * i + 1) % vocab


def median_seconds(runs, body):
    """Median wall and process-CPU seconds of `runs` calls of body."""
    wall, cpu = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        body()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def main(argv=None):
    parser = argparse.ArgumentParser(description="time the PyTorch LLaDA reference (eager)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="a bgpo or Hugging Face model directory")
    source.add_argument("--config", help="JSON object of LLaDA config fields (random weights)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--attention", choices=["sdpa", "reference"], default="sdpa")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    model = llada_torch.load_model_dir(args.model) if args.model else llada_torch.random_model(json.loads(args.config))
    vocab = model.model.transformer["ff_out"].weight.shape[0]
    ids, targets = bench_inputs(args.batch, args.seq, vocab)
    if args.attention == "sdpa":
        with torch.no_grad():
            expected = model(ids[:1])
            llada_torch.Block.forward = sdpa_block_forward
            error = (model(ids[:1]) - expected).abs().max().item()
        if not error < 1e-3:
            raise SystemExit(f"bench_torch: sdpa attention differs from the reference by {error}")

    def forward():
        with torch.no_grad():
            model(ids)

    def forward_backward():
        model.zero_grad(set_to_none=True)
        logits = model(ids).view(-1, vocab)
        loss = -logits.log_softmax(-1).gather(1, targets[:, None]).mean()
        loss.backward()

    forward()
    forward_backward()
    fwd, fwd_cpu = median_seconds(args.runs, forward)
    fwdbwd, fwdbwd_cpu = median_seconds(args.runs, forward_backward)
    n = args.batch * args.seq
    print(json.dumps({
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "attention": args.attention,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "mkl": torch.backends.mkl.is_available(),
        "batch": args.batch, "seq": args.seq, "runs": args.runs,
        "fwd_seconds": fwd, "fwdbwd_seconds": fwdbwd,
        "fwd_cpu_seconds": fwd_cpu, "fwdbwd_cpu_seconds": fwdbwd_cpu,
        "fwd_tokens_per_s": n / fwd, "fwdbwd_tokens_per_s": n / fwdbwd,
    }, sort_keys=True))


if __name__ == "__main__":
    main()
