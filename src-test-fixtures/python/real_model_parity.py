"""Reference outputs for a real Llama-family checkpoint on token ids chosen by the caller (the Java parity test on
../shared/models/stories260k runs it at test time), plus an independent SentencePiece-BPE tokenization to check
those ids against.

usage: /usr/bin/python3 real_model_parity.py CHECKPOINT_DIR IN_JSON OUT_JSON[.gz]

IN_JSON:  {"texts": [{"text": str, "ids": [int]}], "greedy": [{"ids": [int], "new_tokens": int}]}
          "ids" may be left out of any item: the reference then runs its own tokenization (reference_ids) of the
          item's "text", which is how the committed golden of the Java parity test is written (see
          regenerate-stories260k-golden.sh), so that golden never depends on steer4j's tokenizer.
OUT_JSON: {"texts": [{"reference_ids": [int], "logits": [T][V], "hooks": {point: [L][T][D]}}],
           "greedy": [[int]]}

The forward pass is reference_llama.LlamaReference in float64 (written from transformers' LlamaForCausalLM, not
from steer4j). Greedy decoding is argmax with a KV cache and no EOS stop.

reference_ids is llama2.c's encoder (run.c `encode`, the tokenizer stories260k was trained with), re-implemented
here from its description, on tokenizer.json's vocabulary only (not its merges, normalizer or post-processor):
BOS (config.json bos_token_id) first; a dummy-prefix space; every space written as U+2581; each code point is
its piece when the vocabulary has one, else its UTF-8 bytes as <0xNN> pieces; then, repeatedly, the adjacent pair
whose concatenation is a piece with the best score is merged, first such pair on ties. SentencePiece stores a BPE
model's pieces in descending score order, so a piece's score here is minus its id.
"""
import gzip
import hashlib
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_llama  # noqa: E402

SPACE = "\u2581"


def sentencepiece_encode(vocab, bos_id, text):
    ids = [bos_id]
    if text == "":
        return ids
    tokens = [vocab[SPACE]]
    for ch in text.replace(" ", SPACE):
        if ch in vocab:
            tokens.append(vocab[ch])
        else:
            tokens.extend(vocab["<0x%02X>" % b] for b in ch.encode("utf-8"))
    pieces = {i: p for p, i in vocab.items()}
    while True:
        best, best_i = None, -1
        for i in range(len(tokens) - 1):
            merged = vocab.get(pieces[tokens[i]] + pieces[tokens[i + 1]])
            if merged is not None and merged > 2 and (best is None or merged < best):
                best, best_i = merged, i
        if best is None:
            break
        tokens[best_i:best_i + 2] = [best]
    return ids + tokens


def r(t):
    return [[float("%.7g" % v) for v in row] for row in t.tolist()]


def main(argv):
    ckpt, in_json, out_json = argv
    with open(in_json) as f:
        request = json.load(f)
    with open(os.path.join(ckpt, "tokenizer.json"), encoding="utf-8") as f:
        vocab = json.load(f)["model"]["vocab"]
    with open(os.path.join(ckpt, "config.json")) as f:
        bos = json.load(f)["bos_token_id"]
    model = reference_llama.LlamaReference(ckpt, torch.float64)
    out = {"texts": [], "greedy": []}
    with torch.no_grad():
        for item in request["texts"]:
            reference_ids = sentencepiece_encode(vocab, bos, item["text"])
            ids = torch.tensor([item.get("ids", reference_ids)])
            logits, _, cache = model.run_with_cache(ids)
            out["texts"].append({
                "text": item["text"],
                "reference_ids": reference_ids,
                "logits": r(logits[0]),
                "hooks": {p: [r(cache[p][L][0]) for L in range(model.n_layer)] for p in reference_llama.HOOK_POINTS},
            })
        for g in request["greedy"]:
            ids = g["ids"] if "ids" in g else sentencepiece_encode(vocab, bos, g["text"])
            toks, _ = model.generate_greedy(torch.tensor([ids]), g["new_tokens"])
            out["greedy"].append([int(t) for t in toks[0].tolist()])
    with open(os.path.join(ckpt, "model.safetensors"), "rb") as f:
        out["model_safetensors_sha256"] = hashlib.sha256(f.read()).hexdigest()
    out["greedy_texts"] = [g.get("text") for g in request["greedy"]]
    out["greedy_new_tokens"] = [g["new_tokens"] for g in request["greedy"]]
    opener = gzip.open if out_json.endswith(".gz") else open
    with opener(out_json, "wt", encoding="utf-8") as f:
        json.dump(out, f, separators=(",", ":"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
