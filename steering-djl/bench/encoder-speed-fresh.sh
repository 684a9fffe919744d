#!/usr/bin/env bash
# Encoder speed bench in fresh processes (issue 24): each round runs steer4j alone in one JVM, then ONNX Runtime
# alone in another (then the reverse order on the next round), so that no engine's idle threads share a process
# with the other's work. Prints each process's median and, at the end, the median over rounds and the ratio.
# Usage: encoder-speed-fresh.sh [ROUNDS [RUNS_PER_PROCESS]]; threads: JAVA_OPTS=-Dai.djl.pytorch.num_threads=N;
# the environment (OMP_WAIT_POLICY, ...) passes through to both engines.
set -euo pipefail
rounds="${1:-3}"
runs="${2:-7}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
cp_file="$(mktemp)"
trap 'rm -f "$cp_file"' EXIT
mvn -B -ntp -o -q -pl steering-djl -am test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file"
cp="steering-djl/target/test-classes:steering-djl/target/classes:steering-core/target/classes"
cp="$cp:src-test-fixtures/target/classes:$(cat "$cp_file")"
ours=()
theirs=()
run() {
  java ${JAVA_OPTS:-} -Xmx4g -Dai.djl.offline=true --add-modules jdk.incubator.vector -Dbench.engine="$1" -cp "$cp" \
    io.steer4j.djl.encoder.EncoderSpeedBench "$runs" 2>/dev/null | grep -E "median|rounds" | sed "s/^/  [$1] /"
}
median_of() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
for ((r = 1; r <= rounds; r++)); do
  order="steer4j onnx"
  if ((r % 2 == 0)); then order="onnx steer4j"; fi
  echo "round $r (load average $(cut -d' ' -f1 /proc/loadavg))"
  for e in $order; do
    out="$(run "$e")"
    echo "$out"
    line="$(grep median <<<"$out")"
    ms="$(sed -E 's/.*median ([0-9.]+) ms.*/\1/' <<<"$line")"
    if [[ $e == steer4j ]]; then ours+=("$ms"); else theirs+=("$ms"); fi
  done
done
a="$(median_of "${ours[@]}")"
b="$(median_of "${theirs[@]}")"
echo "fresh processes, $rounds rounds of $runs runs, OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-(unset)}, JAVA_OPTS=${JAVA_OPTS:-}"
echo "steer4j median ${a} ms/batch (rounds: ${ours[*]}); ONNX Runtime median ${b} ms/batch (rounds: ${theirs[*]})"
awk -v a="$a" -v b="$b" 'BEGIN {printf "ratio ONNX/steer4j time: %.2fx\n", b / a}'
