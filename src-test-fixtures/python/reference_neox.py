"""Independent reference GPT-NeoX (model_type gpt_neox: Pythia) in plain PyTorch, float64.

Written from the semantics of transformers' GPTNeoXForCausalLM (eager attention), without transformers:
  embed_in -> blocks -> final_layer_norm -> embed_out (untied unless tie_word_embeddings)
  block      use_parallel_residual:  x + attn(input_layernorm(x)) + mlp(post_attention_layernorm(x))
             otherwise:              y = x + attn(input_layernorm(x));  y + mlp(post_attention_layernorm(y))
  attention  query_key_value [3D, D] (+ bias); its output viewed as [B, T, heads, 3 * head_dim], so q, k and v
             are interleaved per head; partial rotary on the first int(head_dim * rotary_pct) channels of q and k
             (rotate_half convention, base rotary_emb_base or rope_theta); scale head_dim^-0.5; dense [D, D] (+ bias)
  MLP        dense_4h_to_h(act(dense_h_to_4h(x))), act = hidden_act ("gelu": exact erf GELU)
Hook points: resid_pre = block input, attn_out = after dense, mlp_out = after dense_4h_to_h (with a parallel
residual both read the same block input), resid_post = block output.

  /usr/bin/python3 reference_neox.py CHECKPOINT_DIR      # self-check
"""
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_gpt2 as base  # noqa: E402
import reference_llama as rl  # noqa: E402  (RoPE helpers, shared driver)

HOOK_POINTS = base.HOOK_POINTS


def gelu_exact(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


ACTIVATIONS = {"gelu": gelu_exact, "gelu_new": base.gelu_new, "relu": torch.relu}


class NeoXReference(rl._Decoder):
    """A GPT-NeoX LM from a HF-layout folder."""

    def __init__(self, ckpt_dir, dtype=torch.float64):
        config, w = rl.load_checkpoint(ckpt_dir, ("gpt_neox",))
        w = {(k[len("gpt_neox."):] if k.startswith("gpt_neox.") else k): v for k, v in w.items()}
        self.config = config
        self.dtype = dtype
        self.vocab_size = config["vocab_size"]
        self.n_embd = config["hidden_size"]
        self.n_layer = config["num_hidden_layers"]
        self.n_head = config["num_attention_heads"]
        self.head_dim = self.n_embd // self.n_head
        self.n_positions = config["max_position_embeddings"]
        self.eps = config.get("layer_norm_eps", 1e-5)
        self.parallel = config.get("use_parallel_residual", True)
        act = config.get("hidden_act", "gelu")
        if act not in ACTIVATIONS:
            raise ValueError("activation %r is not implemented" % act)
        self.act = ACTIVATIONS[act]
        self.rot = int(self.head_dim * config.get("rotary_pct", 0.25))
        theta = float(config.get("rope_theta", config.get("rotary_emb_base", 10000)))
        self.inv = rl.inv_freq(theta, self.rot, config.get("rope_scaling"))

        def t(name):
            return torch.from_numpy(np.ascontiguousarray(w[name])).to(dtype)

        self.embed = t("embed_in.weight")
        self.lnf_w, self.lnf_b = t("final_layer_norm.weight"), t("final_layer_norm.bias")
        self.lm_head = self.embed if config.get("tie_word_embeddings", False) else t("embed_out.weight")
        self.blocks = []
        for i in range(self.n_layer):
            p = "layers.%d." % i
            self.blocks.append({k: t(p + n) for k, n in (
                ("ln1_w", "input_layernorm.weight"), ("ln1_b", "input_layernorm.bias"),
                ("ln2_w", "post_attention_layernorm.weight"), ("ln2_b", "post_attention_layernorm.bias"),
                ("qkv", "attention.query_key_value.weight"), ("qkv_b", "attention.query_key_value.bias"),
                ("dense", "attention.dense.weight"), ("dense_b", "attention.dense.bias"),
                ("fc", "mlp.dense_h_to_4h.weight"), ("fc_b", "mlp.dense_h_to_4h.bias"),
                ("proj", "mlp.dense_4h_to_h.weight"), ("proj_b", "mlp.dense_4h_to_h.bias"))})

    def _attn(self, h, b, i, past, allowed, cos, sin, presents):
        B, T, _ = h.shape
        H, hd = self.n_head, self.head_dim
        qkv = (torch.matmul(h, b["qkv"].t()) + b["qkv_b"]).view(B, T, H, 3 * hd).permute(0, 2, 1, 3)
        q, k, v = qkv[..., :hd], qkv[..., hd:2 * hd], qkv[..., 2 * hd:]
        q, k = rl.apply_rope(q, cos, sin), rl.apply_rope(k, cos, sin)
        if past is not None:
            k = torch.cat([past[i][0], k], dim=2)
            v = torch.cat([past[i][1], v], dim=2)
        presents.append((k, v))
        ctx = rl.attention(q, k, v, allowed, 1).transpose(1, 2).reshape(B, T, H * hd)
        return torch.matmul(ctx, b["dense"].t()) + b["dense_b"]

    def _mlp(self, h, b):
        return torch.matmul(self.act(torch.matmul(h, b["fc"].t()) + b["fc_b"]), b["proj"].t()) + b["proj_b"]

    def forward(self, input_ids, attention_mask=None, position_ids=None, past=None, hook=None):
        """As reference_gpt2.GPT2Reference.forward: returns (logits, final hidden after the norm, presents)."""
        position_ids, allowed = self._positions_and_mask(input_ids, attention_mask, position_ids, past)
        cos, sin = rl.rope_cos_sin(position_ids, self.inv)
        x = self.embed[input_ids]
        presents = []
        for i, b in enumerate(self.blocks):
            if hook is not None:
                x = base._apply(hook, i, "resid_pre", x)
            a = self._attn(base.layer_norm(x, b["ln1_w"], b["ln1_b"], self.eps), b, i, past, allowed, cos, sin,
                           presents)
            if hook is not None:
                a = base._apply(hook, i, "attn_out", a)
            if self.parallel:
                m = self._mlp(base.layer_norm(x, b["ln2_w"], b["ln2_b"], self.eps), b)
                if hook is not None:
                    m = base._apply(hook, i, "mlp_out", m)
                x = m + a + x
            else:
                x = x + a
                m = self._mlp(base.layer_norm(x, b["ln2_w"], b["ln2_b"], self.eps), b)
                if hook is not None:
                    m = base._apply(hook, i, "mlp_out", m)
                x = x + m
            if hook is not None:
                x = base._apply(hook, i, "resid_post", x)
        hf = base.layer_norm(x, self.lnf_w, self.lnf_b, self.eps)
        return torch.matmul(hf, self.lm_head.t()), hf, presents

    @torch.no_grad()
    def alternative_forward(self, input_ids, hook=None):
        """Second formulation for the self-check (one row, no padding): the fused weight split into separate q/k/v
        matrices by row index (row h*3*hd + j*hd + c is head h, part j, channel c), F.layer_norm, F.gelu, complex
        RoPE on the rotary channels, a loop over heads, a triu mask."""
        F = torch.nn.functional
        B, T = input_ids.shape
        H, hd, D = self.n_head, self.head_dim, self.n_embd
        pos = torch.arange(T).view(1, T)
        blocked = torch.ones(T, T, dtype=torch.bool).triu(1)
        gelu = (lambda z: F.gelu(z)) if self.act is gelu_exact else self.act
        x = F.embedding(input_ids, self.embed)
        posts = []
        for i, b in enumerate(self.blocks):
            if hook is not None:
                x = base._apply(hook, i, "resid_pre", x)
            rows = {j: torch.tensor([hh * 3 * hd + j * hd + c for hh in range(H) for c in range(hd)]) for j in range(3)}
            wq, wk, wv = (b["qkv"][rows[j]] for j in range(3))
            bq, bk, bv = (b["qkv_b"][rows[j]] for j in range(3))
            h = F.layer_norm(x, (D,), b["ln1_w"], b["ln1_b"], self.eps)
            q = rl.rope_complex(F.linear(h, wq, bq).view(B, T, H, hd).transpose(1, 2), pos, self.inv)
            k = rl.rope_complex(F.linear(h, wk, bk).view(B, T, H, hd).transpose(1, 2), pos, self.inv)
            v = F.linear(h, wv, bv).view(B, T, H, hd).transpose(1, 2)
            heads = []
            for hh in range(H):
                s = torch.matmul(q[:, hh], k[:, hh].transpose(-1, -2)) / math.sqrt(hd)
                heads.append(torch.matmul(F.softmax(s.masked_fill(blocked, float("-inf")), dim=-1), v[:, hh]))
            a = F.linear(torch.cat(heads, dim=-1), b["dense"], b["dense_b"])
            if hook is not None:
                a = base._apply(hook, i, "attn_out", a)
            y = x if self.parallel else x + a
            m = F.linear(gelu(F.linear(F.layer_norm(y, (D,), b["ln2_w"], b["ln2_b"], self.eps), b["fc"], b["fc_b"])),
                         b["proj"], b["proj_b"])
            if hook is not None:
                m = base._apply(hook, i, "mlp_out", m)
            x = x + a + m if self.parallel else y + m
            if hook is not None:
                x = base._apply(hook, i, "resid_post", x)
            posts.append(x)
        hf = F.layer_norm(x, (D,), self.lnf_w, self.lnf_b, self.eps)
        return F.linear(hf, self.lm_head), posts


self_check = rl.self_check

if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    m = NeoXReference(sys.argv[1], torch.float64)
    V = m.vocab_size
    seqs = [[V - 1], [(i * 37 + 11) % V for i in range(9)]]
    vec = torch.sin(torch.arange(1, m.n_embd + 1, dtype=torch.float64))
    self_check(m, seqs, base.add_vector_hook(1 % m.n_layer, vec, 4.0))
    print("ok")
