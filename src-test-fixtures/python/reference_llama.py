"""Independent reference for the Llama family (model_type llama, mistral, qwen2) in plain PyTorch, float64.

Written from the semantics of transformers' LlamaForCausalLM / MistralForCausalLM / Qwen2ForCausalLM (eager
attention), without transformers:
  RMSNorm        x * rsqrt(mean(x^2) + eps) * w                      (rms_norm_eps)
  RoPE           inv_freq = 1 / theta^(arange(0, d, 2) / d), scaled per rope_scaling ("linear": / factor;
                 "llama3": low frequencies / factor, high kept, the band between interpolated); angles
                 pos * inv_freq, emb = cat(freqs, freqs); q' = q cos + rotate_half(q) sin with
                 rotate_half(x) = cat(-x[..., d/2:], x[..., :d/2]); positions = cumsum(mask) - 1 (left padding aware)
  attention      q/k/v_proj (nn.Linear [out, in]; biases for qwen2 or attention_bias), grouped-query: query head h
                 uses key/value head h // (heads / kv_heads) (repeat_kv), scale head_dim^-0.5, o_proj
  MLP            down_proj(silu(gate_proj(x)) * up_proj(x))
  head           lm_head.weight, or embed_tokens when tie_word_embeddings
Hook points as in reference_gpt2.py: resid_pre (block input), attn_out (after o_proj), mlp_out (after down_proj),
resid_post (block output, before the final norm).

  /usr/bin/python3 reference_llama.py CHECKPOINT_DIR     # self-check
"""
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_gpt2 as base  # noqa: E402  (safetensors parsing, hook helpers, greedy decoding)

HOOK_POINTS = base.HOOK_POINTS
MODEL_TYPES = ("llama", "mistral", "qwen2")


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps) * w


def silu(x):
    return x * torch.sigmoid(x)


def inv_freq(theta, dim, scaling):
    """Inverse frequencies of `dim` rotary channels, with transformers' rope_scaling rules (float64 here)."""
    inv = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    if not scaling:
        return inv
    kind = scaling.get("rope_type", scaling.get("type"))
    if kind == "default":
        return inv
    if kind == "linear":
        return inv / scaling["factor"]
    if kind == "llama3":
        factor = scaling["factor"]
        low, high = scaling["low_freq_factor"], scaling["high_freq_factor"]
        old = scaling["original_max_position_embeddings"]
        low_wavelen, high_wavelen = old / low, old / high
        wavelen = 2 * math.pi / inv
        out = torch.where(wavelen > low_wavelen, inv / factor, inv)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * out / factor + smooth * out
        medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
        return torch.where(medium, smoothed, out)
    raise ValueError("rope_scaling type %r is not implemented" % kind)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


def rope_cos_sin(positions, inv):
    """positions [B, T] -> cos, sin [B, 1, T, d] (emb = cat(freqs, freqs))."""
    freqs = positions.to(torch.float64).unsqueeze(-1) * inv.view(1, 1, -1)
    emb = torch.cat([freqs, freqs], dim=-1)
    return emb.cos().unsqueeze(1), emb.sin().unsqueeze(1)


def apply_rope(x, cos, sin):
    """Rotates the first cos.shape[-1] channels of x [B, H, T, hd]; the rest pass through (partial rotary)."""
    d = cos.shape[-1]
    rot, rest = x[..., :d], x[..., d:]
    return torch.cat([rot * cos + rotate_half(rot) * sin, rest], dim=-1)


def rope_complex(x, positions, inv):
    """Alternative RoPE for the self-check: channel i and i + d/2 as one complex number times e^(i pos f)."""
    d = inv.shape[0] * 2
    h = d // 2
    z = torch.complex(x[..., :h], x[..., h:d])
    ang = positions.to(torch.float64).unsqueeze(-1) * inv.view(1, 1, -1)  # [B, T, h]
    z = z * torch.polar(torch.ones_like(ang), ang).unsqueeze(1)
    return torch.cat([z.real, z.imag, x[..., d:]], dim=-1)


def load_checkpoint(ckpt_dir, model_types):
    with open(os.path.join(ckpt_dir, "config.json")) as f:
        config = json.load(f)
    if config.get("model_type") not in model_types:
        raise ValueError("model_type %r is not one of %s" % (config.get("model_type"), model_types))
    tensors, _, _ = base.read_safetensors(os.path.join(ckpt_dir, "model.safetensors"))
    return config, tensors


class _Decoder:
    """Shared driver: forward() over self.blocks, with run_with_cache / generate_greedy from reference_gpt2."""

    run_with_cache = base.GPT2Reference.run_with_cache
    generate_greedy = base.GPT2Reference.generate_greedy

    def _positions_and_mask(self, input_ids, attention_mask, position_ids, past):
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
            raise ValueError("position %d >= max_position_embeddings %d" % (int(position_ids.max()), self.n_positions))
        q_idx = torch.arange(past_len, S).view(T, 1)
        k_idx = torch.arange(S).view(1, S)
        allowed = (k_idx <= q_idx).view(1, 1, T, S) & attention_mask.bool().view(B, 1, 1, S)
        return position_ids, allowed


def attention(q, k, v, allowed, n_kv_groups):
    """q [B, H, T, hd], k/v [B, KV, S, hd]: eager softmax attention with repeat_kv."""
    B, KV, S, hd = k.shape
    k = k[:, :, None].expand(B, KV, n_kv_groups, S, hd).reshape(B, KV * n_kv_groups, S, hd)
    v = v[:, :, None].expand(B, KV, n_kv_groups, S, hd).reshape(B, KV * n_kv_groups, S, hd)
    scores = torch.matmul(q, k.transpose(-1, -2)) * hd ** -0.5
    scores = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min)
    return torch.matmul(torch.softmax(scores, dim=-1), v)


class LlamaReference(_Decoder):
    """A Llama / Mistral / Qwen2 LM from a HF-layout folder."""

    def __init__(self, ckpt_dir, dtype=torch.float64):
        config, w = load_checkpoint(ckpt_dir, MODEL_TYPES)
        w = {(k[len("model."):] if k.startswith("model.") else k): v for k, v in w.items()}
        self.config = config
        self.dtype = dtype
        kind = config["model_type"]
        self.vocab_size = config["vocab_size"]
        self.n_embd = config["hidden_size"]
        self.n_layer = config["num_hidden_layers"]
        self.n_head = config["num_attention_heads"]
        self.n_kv = config.get("num_key_value_heads") or self.n_head
        self.head_dim = config.get("head_dim") or self.n_embd // self.n_head
        self.n_positions = config["max_position_embeddings"]
        self.eps = config.get("rms_norm_eps", 1e-6)
        if config.get("hidden_act", "silu") != "silu":
            raise ValueError("only silu is implemented, config has %r" % config.get("hidden_act"))
        if kind == "mistral" and config.get("sliding_window") and config["sliding_window"] < self.n_positions:
            self.n_positions = config["sliding_window"]  # full attention equals sliding attention inside the window
        rot = int(self.head_dim * config.get("partial_rotary_factor", 1.0))
        self.inv = inv_freq(float(config.get("rope_theta", 10000.0)), rot, config.get("rope_scaling"))
        attn_bias = bool(config.get("attention_bias", False))
        qkv_bias = kind == "qwen2" or attn_bias
        o_bias = kind != "qwen2" and attn_bias
        mlp_bias = bool(config.get("mlp_bias", False))

        def t(name):
            return torch.from_numpy(np.ascontiguousarray(w[name])).to(dtype)

        def opt(name, present):
            return t(name) if present else None

        self.embed = t("embed_tokens.weight")
        self.norm_w = t("norm.weight")
        self.lm_head = self.embed if config.get("tie_word_embeddings", False) else t("lm_head.weight")
        self.blocks = []
        for i in range(self.n_layer):
            p = "layers.%d." % i
            a = p + "self_attn."
            self.blocks.append({
                "ln1": t(p + "input_layernorm.weight"), "ln2": t(p + "post_attention_layernorm.weight"),
                "q": t(a + "q_proj.weight"), "k": t(a + "k_proj.weight"), "v": t(a + "v_proj.weight"),
                "o": t(a + "o_proj.weight"),
                "qb": opt(a + "q_proj.bias", qkv_bias), "kb": opt(a + "k_proj.bias", qkv_bias),
                "vb": opt(a + "v_proj.bias", qkv_bias), "ob": opt(a + "o_proj.bias", o_bias),
                "gate": t(p + "mlp.gate_proj.weight"), "up": t(p + "mlp.up_proj.weight"),
                "down": t(p + "mlp.down_proj.weight"),
                "gb": opt(p + "mlp.gate_proj.bias", mlp_bias), "ub": opt(p + "mlp.up_proj.bias", mlp_bias),
                "db": opt(p + "mlp.down_proj.bias", mlp_bias),
            })

    @staticmethod
    def _lin(x, wt, b):
        y = torch.matmul(x, wt.t())
        return y if b is None else y + b

    def forward(self, input_ids, attention_mask=None, position_ids=None, past=None, hook=None):
        """As reference_gpt2.GPT2Reference.forward: returns (logits, final hidden after norm, presents)."""
        position_ids, allowed = self._positions_and_mask(input_ids, attention_mask, position_ids, past)
        cos, sin = rope_cos_sin(position_ids, self.inv)
        B, T = input_ids.shape
        H, KV, hd = self.n_head, self.n_kv, self.head_dim
        x = self.embed[input_ids]
        presents = []
        for i, b in enumerate(self.blocks):
            if hook is not None:
                x = base._apply(hook, i, "resid_pre", x)
            h = rms_norm(x, b["ln1"], self.eps)
            q = self._lin(h, b["q"], b["qb"]).view(B, T, H, hd).transpose(1, 2)
            k = self._lin(h, b["k"], b["kb"]).view(B, T, KV, hd).transpose(1, 2)
            v = self._lin(h, b["v"], b["vb"]).view(B, T, KV, hd).transpose(1, 2)
            q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
            if past is not None:
                k = torch.cat([past[i][0], k], dim=2)
                v = torch.cat([past[i][1], v], dim=2)
            presents.append((k, v))
            ctx = attention(q, k, v, allowed, H // KV).transpose(1, 2).reshape(B, T, H * hd)
            a = self._lin(ctx, b["o"], b["ob"])
            if hook is not None:
                a = base._apply(hook, i, "attn_out", a)
            x = x + a
            h = rms_norm(x, b["ln2"], self.eps)
            m = self._lin(silu(self._lin(h, b["gate"], b["gb"])) * self._lin(h, b["up"], b["ub"]), b["down"], b["db"])
            if hook is not None:
                m = base._apply(hook, i, "mlp_out", m)
            x = x + m
            if hook is not None:
                x = base._apply(hook, i, "resid_post", x)
        hf = rms_norm(x, self.norm_w, self.eps)
        return torch.matmul(hf, self.lm_head.t()), hf, presents

    @torch.no_grad()
    def alternative_forward(self, input_ids, hook=None):
        """Second formulation for the self-check (one row, no padding): torch.nn.functional linear/silu, complex
        RoPE, a loop over heads picking key head h // group instead of repeat_kv, a triu mask."""
        F = torch.nn.functional
        B, T = input_ids.shape
        H, KV, hd = self.n_head, self.n_kv, self.head_dim
        pos = torch.arange(T).view(1, T)
        blocked = torch.ones(T, T, dtype=torch.bool).triu(1)
        x = F.embedding(input_ids, self.embed)
        posts = []
        for i, b in enumerate(self.blocks):
            if hook is not None:
                x = base._apply(hook, i, "resid_pre", x)
            h = x / torch.sqrt((x * x).mean(-1, keepdim=True) + self.eps) * b["ln1"]
            q = rope_complex(F.linear(h, b["q"], b["qb"]).view(B, T, H, hd).transpose(1, 2), pos, self.inv)
            k = rope_complex(F.linear(h, b["k"], b["kb"]).view(B, T, KV, hd).transpose(1, 2), pos, self.inv)
            v = F.linear(h, b["v"], b["vb"]).view(B, T, KV, hd).transpose(1, 2)
            heads = []
            for hh in range(H):
                kv = hh // (H // KV)
                s = torch.matmul(q[:, hh], k[:, kv].transpose(-1, -2)) / math.sqrt(hd)
                s = s.masked_fill(blocked, float("-inf"))
                heads.append(torch.matmul(F.softmax(s, dim=-1), v[:, kv]))
            a = F.linear(torch.cat(heads, dim=-1), b["o"], b["ob"])
            if hook is not None:
                a = base._apply(hook, i, "attn_out", a)
            x = x + a
            h = x / torch.sqrt((x * x).mean(-1, keepdim=True) + self.eps) * b["ln2"]
            m = F.linear(F.silu(F.linear(h, b["gate"], b["gb"])) * F.linear(h, b["up"], b["ub"]), b["down"], b["db"])
            if hook is not None:
                m = base._apply(hook, i, "mlp_out", m)
            x = x + m
            if hook is not None:
                x = base._apply(hook, i, "resid_post", x)
            posts.append(x)
        hf = x / torch.sqrt((x * x).mean(-1, keepdim=True) + self.eps) * self.norm_w
        return F.linear(hf, self.lm_head), posts


def self_check(model, sequences, steer_hook=None, verbose=True):
    """Reference vs the alternative formulation, KV-cache vs recomputed greedy decoding and logits.
    Raises AssertionError on a mismatch; returns the worst differences."""
    worst = {}
    tol = 1e-9 if model.dtype == torch.float64 else 2e-4
    for name, hook in (("plain", None), ("steered", steer_hook)):
        if name == "steered" and hook is None:
            continue
        for seq in sequences:
            ids = torch.tensor([seq])
            logits, _, cache = model.run_with_cache(ids, hook=hook)
            alt_logits, alt_posts = model.alternative_forward(ids, hook=hook)
            d = float((logits - alt_logits).abs().max())
            for L in range(model.n_layer):
                d = max(d, float((cache["resid_post"][L] - alt_posts[L]).abs().max()))
            worst["alt_forward_" + name] = max(worst.get("alt_forward_" + name, 0.0), d)
            a, _ = model.generate_greedy(ids, 6, hook=hook, use_cache=True)
            b, _ = model.generate_greedy(ids, 6, hook=hook, use_cache=False)
            assert torch.equal(a, b), ("kv-cache vs recompute greedy differ", seq, a, b)
            full, _, _ = model.forward(torch.cat([ids, a], dim=1), hook=hook)
            _, _, past = model.forward(ids, hook=hook)
            inc = []
            mask = torch.ones(1, ids.shape[1], dtype=torch.long)
            for j in range(a.shape[1]):
                mask = torch.cat([mask, torch.ones(1, 1, dtype=torch.long)], dim=1)
                lg, _, past = model.forward(a[:, j:j + 1], attention_mask=mask, past=past, hook=hook)
                inc.append(lg)
            worst["kv_cache_" + name] = max(worst.get("kv_cache_" + name, 0.0),
                                            float((full[:, ids.shape[1]:] - torch.cat(inc, dim=1)).abs().max()))
    for k, v in worst.items():
        if verbose:
            print("self-check %-22s max|diff| = %.3g" % (k, v), file=sys.stderr)
        assert v <= tol, ("self-check failed", k, v)
    return worst


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    m = LlamaReference(sys.argv[1], torch.float64)
    V = m.vocab_size
    seqs = [[V - 1], [(i * 37 + 11) % V for i in range(9)]]
    vec = torch.sin(torch.arange(1, m.n_embd + 1, dtype=torch.float64))
    self_check(m, seqs, base.add_vector_hook(1 % m.n_layer, vec, 4.0))
    print("ok")
