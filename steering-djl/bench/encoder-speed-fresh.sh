#!/usr/bin/env bash
# Encoder speed bench in fresh processes (issue 24): all-MiniLM-L6-v2 sentence embeddings, batch 32 x 64 tokens.
# Each round runs steer4j (libtorch) alone in one JVM and ONNX Runtime alone in another (order swapped every
# round), once per OpenMP wait policy listed in WAIT_POLICIES (default: "default PASSIVE"; "default" leaves
# OMP_WAIT_POLICY unset), so that no engine's idle threads share a process with the other's work and the policies
# meet the same machine load. Prints each process's median, the CPU it kept busy, and per policy the median over
# rounds and the ratio ONNX time / steer4j time.
# Usage: encoder-speed-fresh.sh [ROUNDS [RUNS_PER_PROCESS]]
#   threads: JAVA_OPTS=-Dai.djl.pytorch.num_threads=N (both engines); -Dbench.ort.spin=false turns off ONNX
#   Runtime's spinning (langchain4j keeps it on).
set -euo pipefail
rounds="${1:-3}"
runs="${2:-7}"
policies="${WAIT_POLICIES:-default PASSIVE}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
cp_file="$(mktemp)"
trap 'rm -f "$cp_file"' EXIT
mvn -B -ntp -o -q -pl steering-djl -am test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file"
cp="steering-djl/target/test-classes:steering-djl/target/classes:steering-core/target/classes"
cp="$cp:src-test-fixtures/target/classes:$(cat "$cp_file")"
declare -A times
run() { # engine policy
  local envs=(env -u OMP_WAIT_POLICY)
  if [[ $2 != default ]]; then envs+=("OMP_WAIT_POLICY=$2"); fi
  "${envs[@]}" java ${JAVA_OPTS:-} -Xmx4g -Dai.djl.offline=true --add-modules jdk.incubator.vector \
    -Dbench.engine="$1" -cp "$cp" io.steer4j.djl.encoder.EncoderSpeedBench "$runs" 2>/dev/null \
    | grep -E "median|cores" | sed "s/^/  [$1, $2] /"
}
median_of() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
for ((r = 1; r <= rounds; r++)); do
  order="steer4j onnx"
  if ((r % 2 == 0)); then order="onnx steer4j"; fi
  for p in $policies; do
    echo "round $r, OMP_WAIT_POLICY $p (load average $(cut -d' ' -f1 /proc/loadavg))"
    for e in $order; do
      out="$(run "$e" "$p")"
      echo "$out"
      ms="$(grep median <<<"$out" | sed -E 's/.*median ([0-9.]+) ms.*/\1/')"
      times[$e,$p]="${times[$e,$p]:-} $ms"
    done
  done
done
echo "fresh processes, $rounds rounds of $runs runs each, JAVA_OPTS=${JAVA_OPTS:-}, $(lscpu | grep 'Model name' | sed 's/  */ /g')"
for p in $policies; do
  a="$(median_of ${times[steer4j,$p]})"
  b="$(median_of ${times[onnx,$p]})"
  echo "OMP_WAIT_POLICY $p: steer4j median $a ms/batch (rounds:${times[steer4j,$p]}); ONNX Runtime median $b" \
    "ms/batch (rounds:${times[onnx,$p]})"
  awk -v a="$a" -v b="$b" -v p="$p" 'BEGIN {printf "OMP_WAIT_POLICY %s: ratio ONNX/steer4j time %.2fx\n", p, b / a}'
done
