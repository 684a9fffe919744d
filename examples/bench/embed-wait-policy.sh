#!/usr/bin/env bash
# Wall time of the whole `steer4j embed --input FILE` command (JVM start, model load, tokenisation, output) as a
# user runs it (plain java: the tool relaunches itself, with OMP_WAIT_POLICY=PASSIVE for encoder commands) against a
# JVM that keeps libtorch's default OpenMP policy (started with the Vector API module and marked as already
# relaunched), alternated, with identical outputs checked. Issue 24; see docs/encoders.md, Speed.
# Usage: examples/bench/embed-wait-policy.sh MODEL_DIR [ROUNDS [TEXTS]]   (TEXTS lines of ~50 tokens, default 512)
set -euo pipefail
model="$1"
rounds="${2:-3}"
count="${3:-512}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mvn -B -ntp -o -q -pl examples -am compile dependency:build-classpath -Dmdep.outputFile="$work/cp"
cp="examples/target/classes:steering-djl/target/classes:steering-core/target/classes:$(cat "$work/cp")"
for ((i = 0; i < count; i++)); do
  echo "Review $i: the delivery was quick, the staff at the shop were friendly and helpful, but the product" \
    "itself stopped working after $((i % 17 + 2)) weeks and the refund took far too long to arrive."
done > "$work/texts"
for ((r = 1; r <= rounds; r++)); do
  for mode in plain default-policy; do
    t0=$(date +%s%N)
    if [[ $mode == plain ]]; then
      env -u OMP_WAIT_POLICY java -Xmx2g -cp "$cp" io.steer4j.cli.Steer4jCli embed --model "$model" \
        --input "$work/texts" > "$work/$mode.out" 2>/dev/null
    else
      env -u OMP_WAIT_POLICY STEER4J_RELAUNCHED=1 java -Xmx2g --add-modules jdk.incubator.vector -cp "$cp" \
        io.steer4j.cli.Steer4jCli embed --model "$model" --input "$work/texts" > "$work/$mode.out" 2>/dev/null
    fi
    t1=$(date +%s%N)
    echo "round $r, $mode: $(( (t1 - t0) / 1000000 )) ms for $(wc -l < "$work/$mode.out") embeddings" \
      "(load average $(cut -d' ' -f1 /proc/loadavg))"
  done
done
cmp -s "$work/plain.out" "$work/default-policy.out" && echo "outputs identical" || echo "OUTPUTS DIFFER"
