#!/usr/bin/env bash
# Rewrites the committed golden of Stories260kParityTest: the independent float64 Llama reference
# (python/reference_llama.py, written from transformers) and its own SentencePiece encoder, run on the real
# stories260k checkpoint. The test reads the golden only, so it never needs PyTorch.
# usage: src-test-fixtures/regenerate-stories260k-golden.sh [MODEL_DIR]   (default ../shared/models/stories260k)
# Needs /usr/bin/python3 with torch (Debian: apt-get install python3-torch), or PYTHON=...
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
model="${1:-$here/../../shared/models/stories260k}"
python="${PYTHON:-/usr/bin/python3}"
out="$here/src/main/resources/goldens/stories260k-parity.json.gz"
request="$(mktemp)"
trap 'rm -f "$request"' EXIT
cat > "$request" <<'JSON'
{"texts": [
  {"text": "Once upon a time, there was a little girl named Lily."},
  {"text": "Lily was sad because she"},
  {"text": "The dog ran to the park. He saw a big red ball!\nThen he was happy."},
  {"text": "a \ud83d\ude00 b \u65e5\u672c caf\u00e9 na\u00efve"},
  {"text": "Tom and Sue played in the garden all day. They found a shiny stone under a tree, and Sue said, \"Look, Tom! It is so pretty!\" Tom smiled."}],
 "greedy": [
  {"text": "Once upon a time", "new_tokens": 32}, {"text": "Lily was sad because", "new_tokens": 32},
  {"text": "The dog", "new_tokens": 32}, {"text": "Tom and Sue", "new_tokens": 32},
  {"text": "One day, a little bird", "new_tokens": 32}, {"text": "The sun was", "new_tokens": 32},
  {"text": "Mom said", "new_tokens": 32}, {"text": "Ben wanted to", "new_tokens": 32},
  {"text": "Sara had a red", "new_tokens": 32}]}
JSON
"$python" "$here/python/real_model_parity.py" "$model" "$request" "$out"
echo "wrote $out ($(stat -c %s "$out") bytes)"
