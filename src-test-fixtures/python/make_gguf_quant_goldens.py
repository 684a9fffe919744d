"""Goldens for steer4j's GGUF tensor encodings (F16, BF16, Q8_0), computed independently with numpy.

Writes steering-core/src/test/resources/gguf/quant-goldens.json: for each type, input float32 bit patterns, the
bytes ggml stores for them, and the float32 bit patterns ggml's dequantisation gives back. The rounding rules follow
ggml and gguf-py:
  F16  numpy's float32 -> float16 cast (round to nearest even, as F16C's _cvtss_sh)
  BF16 gguf-py's BF16.quantize_blocks (round to nearest even, NaN forced quiet)
  Q8_0 ggml's quantize_row_q8_0_ref: d = max|x|/127 (float32), id = 1/d, q = roundf(x*id) (half away from zero),
       d stored as float16; value = float32(d16) * q
Run from the repository root: python3 src-test-fixtures/python/make_gguf_quant_goldens.py
"""
import json
import os

import numpy as np

rng = np.random.default_rng(28)


def bits(a):
    return [int(v) for v in np.asarray(a, dtype=np.float32).view(np.uint32)]


def f16_case():
    x = np.concatenate([
        rng.standard_normal(40).astype(np.float32),
        np.array([65504.0, 65519.0, 65520.0, 1e6, -1e6, 6.1e-5, 3e-6, 2.0 ** -24, 2.0 ** -25, 1.5 * 2.0 ** -25,
                  1e-9, -0.0, 1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11, np.inf, -np.inf], dtype=np.float32),
    ]).astype(np.float32)
    h = x.astype(np.float16)
    return {"input": bits(x), "stored": [int(v) for v in h.view(np.uint16)], "decoded": bits(h.astype(np.float32))}


def bf16_case():
    x = np.concatenate([
        rng.standard_normal(40).astype(np.float32),
        np.array([1.0, -2.5], dtype=np.float32),
    ]).astype(np.float32)
    special = np.array([0x3F808000, 0x3F818000, 0xBF808001, 0x7F7FFFFF, 0x7F800001, 0xFFC00000, 0x00000001,
                        0x80000000], dtype=np.uint32).view(np.float32)
    x = np.concatenate([x, special])
    n = x.view(np.uint32)
    n = np.where((n & 0x7FFFFFFF) > 0x7F800000, (n & np.uint32(0xFFFF0000)) | np.uint32(64 << 16), n)
    stored = ((n.astype(np.uint64) + (0x7FFF + ((n >> 16) & 1))) >> 16).astype(np.uint16)
    decoded = (stored.astype(np.uint32) << 16).view(np.float32)
    return {"input": bits(x), "stored": [int(v) for v in stored], "decoded": bits(decoded)}


def q8_0_case():
    ties = np.array([127.0, 2.5, -2.5, 0.5, -0.5, 1.5, -1.5, 126.5] + [0.0] * 24, dtype=np.float32)
    random = (rng.standard_normal(64) * 0.05).astype(np.float32)
    zeros = np.zeros(32, dtype=np.float32)
    tiny = (rng.standard_normal(32) * 1e-6).astype(np.float32)
    x = np.concatenate([ties, random, zeros, tiny]).astype(np.float32)
    blocks = x.reshape(-1, 32)
    d = (np.abs(blocks).max(axis=1, keepdims=True) / np.float32(127)).astype(np.float32)
    with np.errstate(divide="ignore"):
        inv = np.where(d == 0, np.float32(0), np.float32(1) / d).astype(np.float32)
    scaled = (blocks * inv).astype(np.float32)
    q = (np.sign(scaled) * np.floor(np.abs(scaled.astype(np.float64)) + 0.5)).astype(np.int8)
    d16 = d.astype(np.float16)
    stored = b"".join(d16[i].tobytes() + q[i].tobytes() for i in range(len(blocks)))
    decoded = (d16.astype(np.float32) * q.astype(np.float32)).astype(np.float32).reshape(-1)
    return {"input": bits(x), "stored_hex": stored.hex(), "decoded": bits(decoded)}


out = {"f16": f16_case(), "bf16": bf16_case(), "q8_0": q8_0_case()}
path = "steering-core/src/test/resources/gguf/quant-goldens.json"
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", path)
