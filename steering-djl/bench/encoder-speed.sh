#!/usr/bin/env bash
# Encoder speed bench (issue 24): all-MiniLM-L6-v2 sentence embeddings, batch 32 x 64 tokens, steer4j (libtorch)
# against ONNX Runtime on the original ONNX file, same threads. Prints the ratio. Usage: encoder-speed.sh [ROUNDS]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
cp_file="$(mktemp)"
trap 'rm -f "$cp_file"' EXIT
mvn -B -ntp -o -q -pl steering-djl -am test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file"
cp="steering-djl/target/test-classes:steering-djl/target/classes:steering-core/target/classes"
cp="$cp:src-test-fixtures/target/classes:$(cat "$cp_file")"
exec java ${JAVA_OPTS:-} -Xmx4g -Dai.djl.offline=true --add-modules jdk.incubator.vector -cp "$cp" \
  io.steer4j.djl.encoder.EncoderSpeedBench "$@"
