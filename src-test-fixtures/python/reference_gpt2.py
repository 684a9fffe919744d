"""Independent reference GPT-2 in plain PyTorch, for golden outputs and speed comparisons.

Reads a Hugging Face layout folder (config.json + model.safetensors, parsed by hand: F32/F16/BF16/F64) and computes
what transformers' GPT2LMHeadModel computes (eager attention, gelu_new, tied LM head), without transformers.

Hook points per layer L (0-based), all of shape [B, T, D]:
  resid_pre(L)  input of block L (resid_pre(0) = wte[ids] + wpe[pos]; resid_pre(L) = resid_post(L-1))
  attn_out(L)   attention output after c_proj, before the residual add
  mlp_out(L)    MLP output after c_proj, before the residual add
  resid_post(L) output of block L, before ln_f even for the last layer (HF hidden_states[L+1] except the last)
A hook is a callable hook(layer, point, tensor) -> tensor or None; a returned tensor replaces the activation, which
is how steering (add alpha * v at resid_post) is done. With a KV cache, hooks see only the new positions.

Left padding: pass attention_mask [B, T] (1 = token, 0 = pad); position ids default to cumsum(mask) - 1 clipped at 0
and padded keys are masked out, as transformers does when generating from a left-padded batch.

Usable as a library (see make_goldens.py, bench_gpt2_eager.py) or run directly for a self-check:
  /usr/bin/python3 reference_gpt2.py CHECKPOINT_DIR
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HOOK_POINTS = ("resid_pre", "attn_out", "mlp_out", "resid_post")


# --------------------------------------------------------------------------------------------------- safetensors
def read_safetensors(path):
    """Parses a safetensors file by hand. Returns ({name: float32/float64 numpy array}, metadata, {name: dtype})."""
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_len].decode("utf-8"))
    base = 8 + header_len
    metadata = header.pop("__metadata__", {})
    tensors, dtypes = {}, {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        raw = data[base + begin:base + end]
        dt = info["dtype"]
        if dt == "F32":
            arr = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        elif dt == "F64":
            arr = np.frombuffer(raw, dtype="<f8").astype(np.float64)
        elif dt == "F16":
            arr = np.frombuffer(raw, dtype="<f2").astype(np.float32)  # exact widening
        elif dt == "BF16":
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)  # exact widening
        else:
            raise ValueError("%s: tensor %s has unsupported dtype %s" % (path, name, dt))
        shape = tuple(info["shape"])
        if arr.size != int(np.prod(shape, dtype=np.int64)):
            raise ValueError("%s: tensor %s size mismatch" % (path, name))
        tensors[name] = arr.reshape(shape)
        dtypes[name] = dt
    return tensors, metadata, dtypes


def load_checkpoint(ckpt_dir):
    with open(os.path.join(ckpt_dir, "config.json")) as f:
        config = json.load(f)
    if config.get("model_type") != "gpt2":
        raise ValueError("not a gpt2 checkpoint: model_type=%r" % config.get("model_type"))
    act = config.get("activation_function", "gelu_new")
    if act != "gelu_new":
        raise ValueError("only gelu_new is implemented, config has %r" % act)
    tensors, _, _ = read_safetensors(os.path.join(ckpt_dir, "model.safetensors"))
    # Accept both the bare layout (wte.weight) and the transformer.-prefixed one.
    tensors = {(k[len("transformer."):] if k.startswith("transformer.") else k): v for k, v in tensors.items()}
    return config, tensors


# --------------------------------------------------------------------------------------------------- model
def gelu_new(x):
    """The tanh approximation of GELU ("gelu_new" in transformers), written out."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def layer_norm(x, w, b, eps):
    """LayerNorm written out: biased variance over the last axis, as torch.nn.LayerNorm."""
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * w + b


class Block(nn.Module):
    """One GPT-2 block. forward returns (resid_post, (k, v)) so torch forward hooks on it can change resid_post."""

    def __init__(self, layer, n_head, eps):
        super().__init__()
        self.layer = layer
        self.n_head = n_head
        self.eps = eps

    def forward(self, x, layer_past, allowed, hook):
        L = self.layer
        if hook is not None:
            x = _apply(hook, L, "resid_pre", x)
        B, T, D = x.shape
        H = self.n_head
        hd = D // H
        h = layer_norm(x, self.ln_1_w, self.ln_1_b, self.eps)
        qkv = torch.matmul(h, self.c_attn_w) + self.c_attn_b  # Conv1D: x @ W[in, out] + b
        q, k, v = qkv.split(D, dim=2)
        q = q.view(B, T, H, hd).transpose(1, 2)  # [B, H, T, hd]
        k = k.view(B, T, H, hd).transpose(1, 2)
        v = v.view(B, T, H, hd).transpose(1, 2)
        if layer_past is not None:
            k = torch.cat([layer_past[0], k], dim=2)
            v = torch.cat([layer_past[1], v], dim=2)
        present = (k, v)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hd)  # [B, H, T, S]
        scores = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min)
        probs = torch.softmax(scores, dim=-1)
        a = torch.matmul(probs, v).transpose(1, 2).reshape(B, T, D)
        a = torch.matmul(a, self.c_proj_w) + self.c_proj_b
        if hook is not None:
            a = _apply(hook, L, "attn_out", a)
        x = x + a
        h = layer_norm(x, self.ln_2_w, self.ln_2_b, self.eps)
        m = gelu_new(torch.matmul(h, self.c_fc_w) + self.c_fc_b)
        m = torch.matmul(m, self.mlp_proj_w) + self.mlp_proj_b
        if hook is not None:
            m = _apply(hook, L, "mlp_out", m)
        x = x + m
        if hook is not None:
            x = _apply(hook, L, "resid_post", x)
        return x, present


def _apply(hook, layer, point, t):
    r = hook(layer, point, t)
    return t if r is None else r


class GPT2Reference(nn.Module):
    """GPT-2 LM from a HF-layout folder. dtype float64 for goldens, float32 for speed comparisons."""

    def __init__(self, ckpt_dir, dtype=torch.float64):
        super().__init__()
        config, w = load_checkpoint(ckpt_dir)
        self.config = config
        self.dtype = dtype
        self.n_layer = config["n_layer"]
        self.n_head = config["n_head"]
        self.n_embd = config["n_embd"]
        self.vocab_size = config["vocab_size"]
        self.n_positions = config["n_positions"]
        eps = config.get("layer_norm_epsilon", 1e-5)
        self.eps = eps

        def t(name):
            return torch.from_numpy(np.ascontiguousarray(w[name])).to(dtype)

        self.wte = t("wte.weight")
        self.wpe = t("wpe.weight")
        self.ln_f_w = t("ln_f.weight")
        self.ln_f_b = t("ln_f.bias")
        # Tied head unless the checkpoint has its own (then it is used, as HF does when tie_word_embeddings=false).
        self.lm_head = t("lm_head.weight") if ("lm_head.weight" in w and not config.get("tie_word_embeddings", True)) \
            else self.wte
        assert self.wte.shape == (self.vocab_size, self.n_embd), self.wte.shape
        self.h = nn.ModuleList()
        for i in range(self.n_layer):
            b = Block(i, self.n_head, eps)
            p = "h.%d." % i
            b.ln_1_w, b.ln_1_b = t(p + "ln_1.weight"), t(p + "ln_1.bias")
            b.c_attn_w, b.c_attn_b = t(p + "attn.c_attn.weight"), t(p + "attn.c_attn.bias")
            b.c_proj_w, b.c_proj_b = t(p + "attn.c_proj.weight"), t(p + "attn.c_proj.bias")
            b.ln_2_w, b.ln_2_b = t(p + "ln_2.weight"), t(p + "ln_2.bias")
            b.c_fc_w, b.c_fc_b = t(p + "mlp.c_fc.weight"), t(p + "mlp.c_fc.bias")
            b.mlp_proj_w, b.mlp_proj_b = t(p + "mlp.c_proj.weight"), t(p + "mlp.c_proj.bias")
            self.h.append(b)

    def forward(self, input_ids, attention_mask=None, position_ids=None, past=None, hook=None):
        """input_ids [B, T] (new tokens only when past is given); attention_mask [B, S_total] (past + new).

        Returns (logits [B, T, V], final_hidden after ln_f [B, T, D], presents: list of (k, v) per layer).
        """
        B, T = input_ids.shape
        past_len = 0 if past is None else past[0][0].shape[2]
        S = past_len + T
        if attention_mask is None:
            attention_mask = torch.ones(B, S, dtype=torch.long)
        attention_mask = attention_mask.to(torch.long)
        assert attention_mask.shape == (B, S), (attention_mask.shape, (B, S))
        if position_ids is None:
            position_ids = (attention_mask.cumsum(-1) - 1).clamp(min=0)[:, past_len:]
        if int(position_ids.max()) >= self.n_positions:
            raise ValueError("position %d >= n_positions %d" % (int(position_ids.max()), self.n_positions))
        x = self.wte[input_ids] + self.wpe[position_ids]
        # Query i (absolute index past_len + i) may see key j when j <= past_len + i and key j is not padding.
        q_idx = torch.arange(past_len, S).view(T, 1)
        k_idx = torch.arange(S).view(1, S)
        causal = (k_idx <= q_idx).view(1, 1, T, S)
        allowed = causal & attention_mask.bool().view(B, 1, 1, S)
        presents = []
        for i, block in enumerate(self.h):
            x, present = block(x, None if past is None else past[i], allowed, hook)
            presents.append(present)
        hf = layer_norm(x, self.ln_f_w, self.ln_f_b, self.eps)
        logits = torch.matmul(hf, self.lm_head.t())
        return logits, hf, presents

    @torch.no_grad()
    def run_with_cache(self, input_ids, hook=None, **kw):
        """Full forward capturing every hook point. Returns (logits, final_hidden, {point: [L tensors [B,T,D]]})."""
        cache = {p: [None] * self.n_layer for p in HOOK_POINTS}

        def capture(layer, point, t):
            r = hook(layer, point, t) if hook is not None else None
            cache[point][layer] = (t if r is None else r).clone()
            return r

        logits, hf, _ = self.forward(input_ids, hook=capture, **kw)
        return logits, hf, cache

    @torch.no_grad()
    def generate_greedy(self, input_ids, new_tokens, attention_mask=None, hook=None, use_cache=True):
        """Greedy decoding (argmax, no EOS stop) with a KV cache (or full recomputation when use_cache=False).

        Returns (new token ids [B, new_tokens], margins [B, new_tokens]: top-1 minus top-2 logit at each step).
        """
        B, T = input_ids.shape
        mask = torch.ones(B, T, dtype=torch.long) if attention_mask is None else attention_mask.to(torch.long)
        out, margins = [], []
        if use_cache:
            logits, _, past = self.forward(input_ids, attention_mask=mask, hook=hook)
        ids = input_ids
        for step in range(new_tokens):
            if not use_cache:
                logits, _, _ = self.forward(ids, attention_mask=mask, hook=hook)
            last = logits[:, -1, :]
            top2 = torch.topk(last, 2, dim=-1).values
            nxt = torch.argmax(last, dim=-1)
            out.append(nxt)
            margins.append(top2[:, 0] - top2[:, 1])
            mask = torch.cat([mask, torch.ones(B, 1, dtype=torch.long)], dim=1)
            ids = torch.cat([ids, nxt.view(B, 1)], dim=1)
            if use_cache and step + 1 < new_tokens:
                logits, _, past = self.forward(nxt.view(B, 1), attention_mask=mask, past=past, hook=hook)
        return torch.stack(out, dim=1), torch.stack(margins, dim=1)


def add_vector_hook(layer, vector, alpha, point="resid_post"):
    """A hook adding alpha * vector at every position of (layer, point)."""
    def hook(l, p, t):
        if l == layer and p == point:
            return t + alpha * vector.to(t.dtype)
        return None
    return hook


# --------------------------------------------------------------------------------------------------- self-check
@torch.no_grad()
def alternative_forward(model, input_ids, hook=None):
    """A second formulation for self-checking: torch.nn.functional.layer_norm, F.gelu(approximate='tanh'),
    attention through torch.nn.MultiheadAttention, Linear layers with transposed Conv1D weights. Single row, no pad.
    Returns (logits [1,T,V], resid_post list)."""
    dt = model.dtype
    T = input_ids.shape[1]
    D, H = model.n_embd, model.n_head
    x = model.wte[input_ids] + model.wpe[torch.arange(T).view(1, T)]
    causal_block = torch.ones(T, T, dtype=torch.bool).triu(1)  # True = not allowed
    posts = []
    for i, b in enumerate(model.h):
        if hook is not None:
            x = _apply(hook, i, "resid_pre", x)
        mha = nn.MultiheadAttention(D, H, bias=True, batch_first=True).to(dt)
        mha.in_proj_weight.copy_(b.c_attn_w.t())
        mha.in_proj_bias.copy_(b.c_attn_b)
        mha.out_proj.weight.copy_(b.c_proj_w.t())
        mha.out_proj.bias.copy_(b.c_proj_b)
        h = F.layer_norm(x, (D,), b.ln_1_w, b.ln_1_b, model.eps)
        a, _ = mha(h, h, h, attn_mask=causal_block, need_weights=False)
        if hook is not None:
            a = _apply(hook, i, "attn_out", a)
        x = x + a
        h = F.layer_norm(x, (D,), b.ln_2_w, b.ln_2_b, model.eps)
        m = F.linear(F.gelu(F.linear(h, b.c_fc_w.t(), b.c_fc_b), approximate="tanh"), b.mlp_proj_w.t(), b.mlp_proj_b)
        if hook is not None:
            m = _apply(hook, i, "mlp_out", m)
        x = x + m
        if hook is not None:
            x = _apply(hook, i, "resid_post", x)
        posts.append(x)
    hf = F.layer_norm(x, (D,), model.ln_f_w, model.ln_f_b, model.eps)
    return F.linear(hf, model.wte), posts


def self_check(model, sequences, steer_hook=None, verbose=True):
    """Compares the reference with the alternative formulation, KV-cache vs full-recompute greedy decoding, and
    hand-written LayerNorm/GELU vs torch's. Raises AssertionError on a mismatch; returns the worst differences."""
    worst = {}
    tol = 1e-9 if model.dtype == torch.float64 else 2e-4
    g = torch.Generator().manual_seed(0)
    xs = torch.randn(4, 7, model.n_embd, generator=g, dtype=torch.float64).to(model.dtype) * 3
    w = torch.randn(model.n_embd, dtype=torch.float64, generator=g).to(model.dtype)
    worst["layer_norm"] = float((layer_norm(xs, w, w, model.eps) - F.layer_norm(xs, (model.n_embd,), w, w, model.eps))
                                .abs().max())
    worst["gelu"] = float((gelu_new(xs) - F.gelu(xs, approximate="tanh")).abs().max())
    for hook_name, hook in (("plain", None), ("steered", steer_hook)):
        if hook_name == "steered" and hook is None:
            continue
        for seq in sequences:
            ids = torch.tensor([seq])
            logits, _, cache = model.run_with_cache(ids, hook=hook)
            alt_logits, alt_posts = alternative_forward(model, ids, hook=hook)
            d = float((logits - alt_logits).abs().max())
            for L in range(model.n_layer):
                d = max(d, float((cache["resid_post"][L] - alt_posts[L]).abs().max()))
            worst["alt_forward_" + hook_name] = max(worst.get("alt_forward_" + hook_name, 0.0), d)
            a, _ = model.generate_greedy(ids, 6, hook=hook, use_cache=True)
            b, _ = model.generate_greedy(ids, 6, hook=hook, use_cache=False)
            assert torch.equal(a, b), ("kv-cache vs recompute greedy differ", seq, a, b)
            # Incremental logits with the cache equal full-recompute logits.
            full, _, _ = model.forward(torch.cat([ids, a], dim=1), hook=hook)
            _, _, past = model.forward(ids, hook=hook)
            inc = []
            mask = torch.ones(1, ids.shape[1], dtype=torch.long)
            for j in range(a.shape[1]):
                mask = torch.cat([mask, torch.ones(1, 1, dtype=torch.long)], dim=1)
                lg, _, past = model.forward(a[:, j:j + 1], attention_mask=mask, past=past, hook=hook)
                inc.append(lg)
            inc = torch.cat(inc, dim=1)
            worst["kv_cache_" + hook_name] = max(worst.get("kv_cache_" + hook_name, 0.0),
                                                 float((full[:, ids.shape[1]:] - inc).abs().max()))
    for k, v in worst.items():
        if verbose:
            print("self-check %-22s max|diff| = %.3g" % (k, v), file=sys.stderr)
        assert v <= tol, ("self-check failed", k, v)
    return worst


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    m = GPT2Reference(sys.argv[1], torch.float64)
    V = m.vocab_size
    seqs = [[V - 1], [(i * 37 + 11) % V for i in range(9)]]
    vec = torch.sin(torch.arange(1, m.n_embd + 1, dtype=torch.float64))
    self_check(m, seqs, add_vector_hook(1 % m.n_layer, vec, 4.0))
    print("ok")
