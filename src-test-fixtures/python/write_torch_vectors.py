#!/usr/bin/env python3
"""Writes the torch.save / .svec golden files that steering-core's tests read, and the hostile files they refuse.

Usage: /usr/bin/python3 src-test-fixtures/python/write_torch_vectors.py OUT_DIR
       (the committed copy lives in steering-core/src/test/resources/torch-vectors; its article/ folder is also
       copied to examples/src/test/resources/torch-vectors/article for the end-to-end test on stories260k)
Needs Debian's python3-torch and python3-numpy. Every file is written by real PyTorch (torch.save) except the
hostile ones, whose pickles are assembled opcode by opcode so that they name exactly the global under test.

expected.json maps each readable file to what PyTorch holds in it: {"kind", "dtype", "layers": {L: [floats]}}
with the values widened to float32 by PyTorch itself (so float16/bfloat16 files are compared exactly).
"""
import collections
import dataclasses
import io
import json
import os
import pickle
import struct
import sys
import types
import zipfile

import numpy as np
import torch

HIDDEN = 64


def fake_class(module_name, class_name, fields):
    """A dataclass whose pickle names module_name.class_name, as the real library's class would."""
    module = sys.modules.get(module_name)
    if module is None:
        module = types.ModuleType(module_name)
        sys.modules[module_name] = module
        parent, _, child = module_name.rpartition(".")
        if parent:
            if parent not in sys.modules:
                sys.modules[parent] = types.ModuleType(parent)
            setattr(sys.modules[parent], child, module)
    cls = dataclasses.make_dataclass(class_name, fields)
    cls.__module__ = module_name
    cls.__qualname__ = class_name
    setattr(module, class_name, cls)
    return cls


# steering-vectors (steering_vectors/steering_vector.py): @dataclass SteeringVector(layer_activations, layer_type)
SteeringVectorsSV = fake_class("steering_vectors.steering_vector", "SteeringVector",
                               [("layer_activations", dict), ("layer_type", str)])
# repeng (repeng/extract.py): @dataclasses.dataclass ControlVector(model_type, directions: dict[int, np.ndarray])
RepengCV = fake_class("repeng.extract", "ControlVector", [("model_type", str), ("directions", dict)])


def floats(t):
    return [float(x) for x in t.detach().to(torch.float32).reshape(-1).tolist()]


def main(out):
    os.makedirs(out, exist_ok=True)
    g = torch.Generator().manual_seed(29)
    expected = {}

    def randn(*shape):
        return torch.randn(*shape, generator=g)

    def save(name, obj, kind, layers, dtype="float32"):
        torch.save(obj, os.path.join(out, name))
        expected[name] = {"kind": kind, "dtype": dtype, "layers": {str(k): floats(v) for k, v in layers.items()}}

    bare = randn(HIDDEN)
    save("bare.pt", bare, "tensor", {-1: bare})

    d = {0: randn(HIDDEN), 3: randn(HIDDEN)}
    save("dict.pt", d, "dict", d)

    od = collections.OrderedDict([(2, randn(HIDDEN)), (4, randn(HIDDEN))])
    save("ordered_dict.pt", od, "dict", od)

    # a column of a [HIDDEN, 5] matrix: stride 5, storage offset 3, the whole 320-float storage saved
    base = randn(HIDDEN, 5)
    col = base[:, 3]
    assert not col.is_contiguous() and col.storage_offset() == 3
    save("slice.pt", col, "tensor", {-1: col})

    h = randn(HIDDEN).to(torch.float16)
    save("float16.pt", h, "tensor", {-1: h}, "float16")
    b = randn(HIDDEN).to(torch.bfloat16)
    save("bfloat16.pt", b, "tensor", {-1: b}, "bfloat16")

    p = torch.nn.Parameter(randn(HIDDEN))
    save("parameter.pt", p, "tensor", {-1: p})

    sv_layers = {1: randn(HIDDEN), 2: randn(HIDDEN)}
    save("steering_vectors.pt", SteeringVectorsSV(layer_activations=sv_layers, layer_type="decoder_block"),
         "steering-vectors", sv_layers)

    # repeng keys are negative (hidden_layers = range(-1, -num_hidden_layers, -1)), directions numpy float32
    cv_dirs = {-1: randn(HIDDEN).numpy(), -2: randn(HIDDEN).numpy()}
    save("repeng.pt", RepengCV(model_type="llama", directions=cv_dirs), "repeng",
         {k: torch.from_numpy(v) for k, v in cv_dirs.items()})

    # CAA: vectors/{behavior}/vec_layer_{L}_{model}.pt, one bare tensor per layer
    caa = os.path.join(out, "caa", "helpfulness")
    os.makedirs(caa, exist_ok=True)
    caa_layers = {}
    for layer in (1, 2, 3):
        v = randn(HIDDEN)
        torch.save(v, os.path.join(caa, f"vec_layer_{layer}_stories260k.pt"))
        caa_layers[layer] = v
    expected["caa/helpfulness"] = {"kind": "caa", "dtype": "float32",
                                   "layers": {str(k): floats(v) for k, v in caa_layers.items()}}

    # the article's three behaviours for stories260k (hidden 64): one bare tensor each
    os.makedirs(os.path.join(out, "article"), exist_ok=True)
    article = {}
    for name in ("helpfulness", "bias_reduction", "reasoning"):
        v = randn(HIDDEN)
        save(f"article/{name}_vector.pt", v, "tensor", {-1: v})
        article[name] = floats(v)
    # the article's combination, as PyTorch computes it in float32; examples' tests use this folder
    combined = 0.5 * torch.tensor(article["helpfulness"]) + 0.3 * torch.tensor(article["bias_reduction"]) \
        + 0.2 * torch.tensor(article["reasoning"])
    article["combined_0.5_0.3_0.2"] = floats(combined)
    with open(os.path.join(out, "article", "expected.json"), "w") as f:
        json.dump(article, f, indent=1, sort_keys=True)

    # IBM activation-steering .svec: JSON written the way SteeringVector.save writes it
    svec_dirs = {3: randn(HIDDEN).numpy().astype(np.float32), 4: randn(HIDDEN).numpy().astype(np.float32)}
    with open(os.path.join(out, "ibm.svec"), "w") as f:
        json.dump({"model_type": "llama", "directions": {k: v.tolist() for k, v in svec_dirs.items()},
                   "explained_variances": {3: 0.5, 4: 0.25}}, f)
    expected["ibm.svec"] = {"kind": "svec", "dtype": "float32",
                            "layers": {str(k): [float(x) for x in v.tolist()] for k, v in svec_dirs.items()}}

    # the legacy (PyTorch < 1.6) format: pickles in a row, then raw storages (drawn last: earlier values unchanged)
    def save_legacy(name, obj, layers):
        torch.save(obj, os.path.join(out, name), _use_new_zipfile_serialization=False)
        expected[name] = {"kind": "legacy", "dtype": "float32",
                          "layers": {str(k): floats(v) for k, v in layers.items()}}

    legacy = {1: randn(HIDDEN), 4: randn(HIDDEN)}
    save_legacy("legacy_dict.pt", legacy, legacy)
    legacy_col = randn(HIDDEN, 3)[:, 1]
    save_legacy("legacy_slice.pt", legacy_col, {-1: legacy_col})

    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)

    write_hostile(os.path.join(out, "hostile"))


def zip_with_pickle(path, pkl, storages=None):
    """A torch.save-shaped zip (archive/data.pkl, archive/version, archive/data/KEY) around a hand-made pickle."""
    def info(name):  # a fixed timestamp, so that rerunning the script rewrites identical bytes
        return zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))

    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(info("archive/data.pkl"), pkl)
        z.writestr(info("archive/version"), "3\n")
        for key, data in (storages or {}).items():
            z.writestr(info(f"archive/data/{key}"), data)


def u(text):
    """BINUNICODE: opcode, 4-byte little-endian length, UTF-8 bytes."""
    b = text.encode("utf-8")
    return b"X" + struct.pack("<I", len(b)) + b


def write_hostile(out):
    os.makedirs(out, exist_ok=True)
    P2 = b"\x80\x02"
    # GLOBAL os.system + REDUCE: what an attacker's __reduce__ returning (os.system, ("...",)) produces
    zip_with_pickle(os.path.join(out, "os_system.pt"), P2 + b"cos\nsystem\n" + u("touch /tmp/pwned") + b"\x85R.")
    zip_with_pickle(os.path.join(out, "builtins_eval.pt"),
                    P2 + b"cbuiltins\neval\n" + u("__import__('os').getcwd()") + b"\x85R.")
    # INST (protocol 0's class-instantiating opcode): refused as an opcode before any class is looked up
    zip_with_pickle(os.path.join(out, "inst_opcode.pt"), b"(ios\nsystem\n.")
    # 5,000 nested lists: ']' (EMPTY_LIST) then 'a' (APPEND) closing them inside out
    depth = 5_000
    zip_with_pickle(os.path.join(out, "deep_nesting.pt"), P2 + b"]" * depth + b"a" * (depth - 1) + b".")
    # billion laughs: each level a list of ten references to the previous one, 30 levels (10^30 leaves)
    bomb = bytearray(P2 + b"]q\x000")
    for i in range(1, 31):
        bomb += b"(" + (b"h" + bytes([i - 1])) * 10 + b"lq" + bytes([i]) + b"0"
    bomb += b"h" + bytes([30]) + b"."
    zip_with_pickle(os.path.join(out, "memo_bomb.pt"), bytes(bomb))

    # _rebuild_tensor_v2(storage 0 of 4 floats, offset 0, size (4,), stride (1,), False, OrderedDict())
    tensor_pkl = (P2 + b"ctorch._utils\n_rebuild_tensor_v2\n(("
                  + u("storage") + b"ctorch\nFloatStorage\n" + u("0") + u("cpu") + b"K\x04tQ"
                  + b"K\x00K\x04\x85K\x01\x85\x89ccollections\nOrderedDict\n)RtR.")
    # a storage that holds fewer bytes than its persistent id claims (4 floats said, 1 stored)
    zip_with_pickle(os.path.join(out, "short_storage.pt"), tensor_pkl, {"0": struct.pack("<f", 1.0)})
    # the same pickle with its 4 floats: readable, proving the hostile variants fail for their one defect
    zip_with_pickle(os.path.join(out, "hand_made_ok.pt"), tensor_pkl, {"0": struct.pack("<4f", 1, 2, 3, 4)})

    # a zip whose storage entry header claims far more bytes than the file holds
    good = os.path.join(out, "oversized_entry.pt")
    zip_with_pickle(good, tensor_pkl, {"0": struct.pack("<4f", 1, 2, 3, 4)})
    data = bytearray(open(good, "rb").read())
    name = b"archive/data/0"
    claim = struct.pack("<I", 1 << 30)
    # local header: sizes at +18 (compressed) and +22 (uncompressed); central header: +20 and +24
    for sig, off_c, off_u, name_at in ((b"PK\x03\x04", 18, 22, 30), (b"PK\x01\x02", 20, 24, 46)):
        i = 0
        while True:
            i = data.find(sig, i)
            if i < 0:
                break
            if data[i + name_at:i + name_at + len(name)] == name:
                data[i + off_c:i + off_c + 4] = claim
                data[i + off_u:i + off_u + 4] = claim
            i += 4
    with open(good, "wb") as f:
        f.write(data)

    # an entry whose name climbs out of the archive
    zip_with_pickle(os.path.join(out, "path_escape.pt"), tensor_pkl,
                    {"../../../../tmp/evil": struct.pack("<4f", 1, 2, 3, 4)})


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "torch-vectors")
