"""Times greedy generation with a KV cache in PyTorch eager float32 on CPU, for side-by-side speed comparisons.

usage: /usr/bin/python3 bench_gpt2_eager.py CHECKPOINT_DIR [--prompt-tokens 16] [--new-tokens 128]
                                            [--steer-layer L --alpha A] [--runs 5] [--threads 2] [--warmup 1]

The model is reference_gpt2.GPT2Reference in float32 (the same ops as HF's eager GPT-2). With --steer-layer, a torch
forward hook on block L adds alpha * v (v[i] = sin(i+1), unit-normalised) to its output (resid_post) at every
position, generated ones included. The prompt is fixed pseudo-random token ids. Prints one JSON line:
  tokens_per_s_median   new_tokens / (prefill + decode) wall time, median over runs
  decode_tokens_per_s_median  (new_tokens - 1) / decode time (excludes the prompt forward)
  prefill_ms_median, runs_s (each run's total seconds), blas (torch's BLAS_INFO), and the settings.
Note: Debian's python3-torch 1.13 is built with BLAS_INFO=generic; its timings understate a pip/MKL PyTorch.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_gpt2 as ref  # noqa: E402


def blas_info():
    """BLAS_INFO from torch's build config: Debian's python3-torch says "generic" (reference BLAS, several times
    slower on matmuls than the MKL/oneDNN libtorch that DJL ships), pip wheels say "mkl"."""
    cfg = torch.__config__.show()
    i = cfg.find("BLAS_INFO=")
    return cfg[i + len("BLAS_INFO="):].split(",")[0].strip() if i >= 0 else "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("--prompt-tokens", type=int, default=16)
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--steer-layer", type=int, default=None)
    ap.add_argument("--alpha", type=float, default=4.0)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    t0 = time.perf_counter()
    model = ref.GPT2Reference(a.checkpoint, torch.float32).eval()
    load_s = time.perf_counter() - t0
    if a.prompt_tokens + a.new_tokens > model.n_positions:
        ap.error("prompt + new tokens exceed n_positions %d" % model.n_positions)

    handle = None
    if a.steer_layer is not None:
        if not 0 <= a.steer_layer < model.n_layer:
            ap.error("--steer-layer must be in [0, %d)" % model.n_layer)
        v = torch.sin(torch.arange(1, model.n_embd + 1, dtype=torch.float32))
        v = v / v.norm()
        delta = a.alpha * v

        def add_hook(module, inputs, output):
            resid, present = output
            return resid + delta, present

        handle = model.h[a.steer_layer].register_forward_hook(add_hook)

    g = torch.Generator().manual_seed(1234)
    prompt = torch.randint(0, model.vocab_size - 1, (1, a.prompt_tokens), generator=g)

    def run_once():
        with torch.inference_mode():
            start = time.perf_counter()
            logits, _, past = model.forward(prompt)
            nxt = torch.argmax(logits[:, -1, :], dim=-1, keepdim=True)
            prefill = time.perf_counter() - start
            mask = torch.ones(1, a.prompt_tokens + 1, dtype=torch.long)
            out = [int(nxt)]
            for _ in range(a.new_tokens - 1):
                logits, _, past = model.forward(nxt, attention_mask=mask, past=past)
                nxt = torch.argmax(logits[:, -1, :], dim=-1, keepdim=True)
                out.append(int(nxt))
                mask = torch.cat([mask, torch.ones(1, 1, dtype=torch.long)], dim=1)
            total = time.perf_counter() - start
        return total, prefill, out

    for _ in range(a.warmup):
        run_once()
    totals, prefills, tokens = [], [], None
    for _ in range(a.runs):
        total, prefill, tokens = run_once()
        totals.append(total)
        prefills.append(prefill)
    if handle is not None:
        handle.remove()
    med = statistics.median(totals)
    med_decode = statistics.median([t - p for t, p in zip(totals, prefills)])
    print(json.dumps({
        "impl": "pytorch-eager-fp32",
        "torch": torch.__version__,
        "blas": blas_info(),
        "threads": a.threads,
        "checkpoint": os.path.basename(os.path.normpath(a.checkpoint)),
        "n_layer": model.n_layer, "n_embd": model.n_embd, "vocab_size": model.vocab_size,
        "prompt_tokens": a.prompt_tokens,
        "new_tokens": a.new_tokens,
        "steer_layer": a.steer_layer,
        "alpha": a.alpha if a.steer_layer is not None else None,
        "runs": a.runs,
        "tokens_per_s_median": round(a.new_tokens / med, 3),
        "decode_tokens_per_s_median": round((a.new_tokens - 1) / med_decode, 3) if a.new_tokens > 1 else None,
        "prefill_ms_median": round(1000 * statistics.median(prefills), 3),
        "runs_s": [round(t, 4) for t in totals],
        "load_s": round(load_s, 3),
        "first_tokens": tokens[:8],
    }))


if __name__ == "__main__":
    main()
