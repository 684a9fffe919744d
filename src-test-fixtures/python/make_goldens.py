"""Writes golden reference outputs for a checkpoint folder, computed in float64 by the reference of its model_type:
reference_gpt2.py (gpt2), reference_llama.py (llama, mistral, qwen2) or reference_neox.py (gpt_neox).

usage: /usr/bin/python3 make_goldens.py CHECKPOINT_DIR OUT_JSON [--compact]

  --compact  omit resid_pre / attn_out / mlp_out / final_hidden (kept: resid_post, logits, greedy, steering, batch)

The JSON (snake_case keys; io.steer4j.fixtures.Goldens reads it) holds:
  checkpoint   name, dtype, shape, eos id, sha256 of every file in the folder
  sequences    per fixed token sequence: per-layer hook activations [L][T][D], logits [T][V], greedy continuation
               (12 tokens, argmax, no EOS stop, KV cache) with top1-top2 margins, and the steered run
  steering     the steering case: v[i] = sin(i+1), alpha = 4, added at resid_post of layer 1, all positions
               (also every generated position)
  batch        two sequences left-padded with <|endoftext|>, their mask and position ids, last-position logits per
               row and greedy continuations (equal to the unpadded single-row runs, which is asserted here)
  tokenization ASCII texts and their ids under the checkpoint's byte-level BPE (a small independent implementation)
"""
import hashlib
import json
import os
import re
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_gpt2 as ref  # noqa: E402
import reference_llama  # noqa: E402
import reference_neox  # noqa: E402

NEW_TOKENS = 12
STEER_LAYER = 1
STEER_ALPHA = 4.0
SIG_DIGITS = 10


def sequences_for(vocab_size):
    V = vocab_size
    eos = V - 1
    return [
        [eos],
        [eos, 40, 262, 3, 290, 71, 295],
        [(i * 53 + 7) % V for i in range(19)] + [eos],
    ]


def batch_rows(vocab_size):
    V = vocab_size
    return [[(i * 29 + 5) % V for i in range(7)], [72, 262, 17 % V, 256]]


TEXTS = [
    "Hello world",
    "The cat sat on the mat.",
    "the theory of everything and nothing in particular",
    " leading space and  two spaces",
    "line one\nline two\n\n  indented",
    "it's 42, isn't it? I'll see -- they've gone!",
    "<|endoftext|>Once upon a time<|endoftext|>",
    "",
]


# ---------------------------------------------------------------------------------------------- tokenizer
# GPT-2's pre-tokenizer regex with \p{L} / \p{N} restricted to ASCII: identical results on ASCII input.
PAT = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")
SPECIAL = "<|endoftext|>"


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


class ByteLevelBPE:
    def __init__(self, ckpt_dir):
        with open(os.path.join(ckpt_dir, "tokenizer.json"), encoding="utf-8") as f:
            tj = json.load(f)
        model = tj["model"]
        assert model["type"] == "BPE"
        self.vocab = model["vocab"]
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.special = {t["content"]: t["id"] for t in tj["added_tokens"]}
        self.b2u = bytes_to_unicode()
        # vocab.json / merges.txt must say the same.
        with open(os.path.join(ckpt_dir, "vocab.json"), encoding="utf-8") as f:
            assert json.load(f) == self.vocab, "vocab.json differs from tokenizer.json"
        with open(os.path.join(ckpt_dir, "merges.txt"), encoding="utf-8") as f:
            lines = [l.rstrip("\n") for l in f if l.strip() and not l.startswith("#version")]
        assert [tuple(l.split(" ")) for l in lines] == merges, "merges.txt differs from tokenizer.json"

    def _bpe(self, word):
        parts = list(word)
        while len(parts) > 1:
            best = min(((self.ranks.get((parts[i], parts[i + 1]), 1 << 60), i) for i in range(len(parts) - 1)))
            if best[0] == 1 << 60:
                break
            pair = (parts[best[1]], parts[best[1] + 1])
            out, i = [], 0
            while i < len(parts):
                if i < len(parts) - 1 and (parts[i], parts[i + 1]) == pair:
                    out.append(parts[i] + parts[i + 1])
                    i += 2
                else:
                    out.append(parts[i])
                    i += 1
            parts = out
        return parts

    def encode(self, text):
        assert all(ord(c) < 128 for c in text), "the regex here is exact for ASCII text only"
        ids = []
        chunks = text.split(SPECIAL)
        for n, chunk in enumerate(chunks):
            if n > 0:
                ids.append(self.special[SPECIAL])
            for piece in PAT.findall(chunk):
                word = "".join(self.b2u[b] for b in piece.encode("utf-8"))
                ids.extend(self.vocab[p] for p in self._bpe(word))
        return ids

    def decode(self, ids):
        inv = {v: k for k, v in self.vocab.items()}
        u2b = {u: b for b, u in self.b2u.items()}
        out = bytearray()
        for i in ids:
            tok = inv[i]
            if tok in self.special:
                out += tok.encode("utf-8")
            else:
                out += bytes(u2b[c] for c in tok)
        return out.decode("utf-8")


# ---------------------------------------------------------------------------------------------- goldens
def reference_for(ckpt):
    """(module, float64 model) of the reference that implements the checkpoint's model_type."""
    with open(os.path.join(ckpt, "config.json")) as f:
        kind = json.load(f).get("model_type")
    if kind in reference_llama.MODEL_TYPES:
        return reference_llama, reference_llama.LlamaReference(ckpt, torch.float64)
    if kind == "gpt_neox":
        return reference_neox, reference_neox.NeoXReference(ckpt, torch.float64)
    return ref, ref.GPT2Reference(ckpt, torch.float64)


def r(x):
    """Rounds a tensor to SIG_DIGITS significant digits, as nested lists."""
    if isinstance(x, torch.Tensor):
        x = x.tolist()
    if isinstance(x, list):
        return [r(v) for v in x]
    return float("%.*g" % (SIG_DIGITS, x))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    compact = "--compact" in argv
    if len(args) != 2:
        print(__doc__)
        return 2
    ckpt, out_json = args
    torch.set_num_threads(2)
    refmod, model = reference_for(ckpt)
    cfg = model.config
    V, Lyr, D = model.vocab_size, model.n_layer, model.n_embd
    _, _, dtypes = ref.read_safetensors(os.path.join(ckpt, "model.safetensors"))
    dtype = sorted(set(dtypes.values()))
    vec = torch.sin(torch.arange(1, D + 1, dtype=torch.float64))
    steer = ref.add_vector_hook(STEER_LAYER, vec, STEER_ALPHA)
    seqs = sequences_for(V)
    refmod.self_check(model, seqs, steer)

    out_seqs = []
    for seq in seqs:
        ids = torch.tensor([seq])
        logits, hf, cache = model.run_with_cache(ids)
        g, gm = model.generate_greedy(ids, NEW_TOKENS)
        s_logits, _, s_cache = model.run_with_cache(ids, hook=steer)
        sg, sgm = model.generate_greedy(ids, NEW_TOKENS, hook=steer)
        entry = {"tokens": seq}
        points = ref.HOOK_POINTS if not compact else ("resid_post",)
        for p in points:
            entry[p] = [r(cache[p][L][0]) for L in range(Lyr)]
        if not compact:
            entry["final_hidden"] = r(hf[0])
        entry["logits"] = r(logits[0])
        entry["greedy"] = {"tokens": g[0].tolist(), "margins": r(gm[0])}
        entry["steered"] = {
            "resid_post": [r(s_cache["resid_post"][L][0]) for L in range(Lyr)],
            "logits": r(s_logits[0]),
            "greedy": {"tokens": sg[0].tolist(), "margins": r(sgm[0])},
        }
        out_seqs.append(entry)

    # Left-padded batch.
    rows = batch_rows(V)
    pad = V - 1
    T = max(len(x) for x in rows)
    ids = torch.tensor([[pad] * (T - len(x)) + x for x in rows])
    mask = torch.tensor([[0] * (T - len(x)) + [1] * len(x) for x in rows])
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    b_logits, _, _ = model.forward(ids, attention_mask=mask)
    bg, bgm = model.generate_greedy(ids, NEW_TOKENS, attention_mask=mask)
    for i, x in enumerate(rows):
        single, _, _ = model.forward(torch.tensor([x]))
        d = float((single[0, -1] - b_logits[i, -1]).abs().max())
        assert d < 1e-9, ("padded row differs from the single-row run", i, d)
        sg1, _ = model.generate_greedy(torch.tensor([x]), NEW_TOKENS)
        assert torch.equal(sg1[0], bg[i]), ("padded greedy differs", i, sg1, bg[i])
    batch = {
        "pad_token_id": pad,
        "padding_side": "left",
        "rows": rows,
        "input_ids": ids.tolist(),
        "attention_mask": mask.tolist(),
        "position_ids": pos.tolist(),
        "last_logits": r(b_logits[:, -1]),
        "greedy": {"tokens": bg.tolist(), "margins": r(bgm)},
    }

    tok = ByteLevelBPE(ckpt)
    tokenization = []
    for text in TEXTS:
        ids_t = tok.encode(text)
        assert tok.decode(ids_t) == text
        tokenization.append({"text": text, "ids": ids_t})

    golden = {
        "format_version": 1,
        "generator": "src-test-fixtures/python/make_goldens.py (%s, torch %s, float64)"
                     % (os.path.basename(refmod.__file__), torch.__version__),
        "checkpoint": {
            "name": os.path.basename(os.path.normpath(ckpt)),
            "dtype": dtype[0] if len(dtype) == 1 else ",".join(dtype),
            "vocab_size": V,
            "n_positions": model.n_positions,
            "n_embd": D,
            "n_layer": Lyr,
            "n_head": model.n_head,
            "layer_norm_epsilon": cfg.get("layer_norm_epsilon", cfg.get("rms_norm_eps", cfg.get("layer_norm_eps", 1e-5))),
            "eos_token_id": cfg["eos_token_id"],
            "files_sha256": {f: sha256(os.path.join(ckpt, f)) for f in sorted(os.listdir(ckpt))
                             if os.path.isfile(os.path.join(ckpt, f))},
        },
        "hook_points": list(ref.HOOK_POINTS if not compact else ("resid_post",)),
        "new_tokens": NEW_TOKENS,
        "sequences": out_seqs,
        "steering": {"layer": STEER_LAYER, "point": "resid_post", "alpha": STEER_ALPHA,
                     "formula": "v[i] = sin(i + 1), i = 0..D-1; added as alpha * v at every position",
                     "vector": r(vec)},
        "batch": batch,
        "tokenization": tokenization,
    }
    os.makedirs(os.path.dirname(os.path.abspath(out_json)), exist_ok=True)
    tmp = out_json + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(golden, f, separators=(",", ":"), ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, out_json)
    print("wrote %s (%d bytes)" % (out_json, os.path.getsize(out_json)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
