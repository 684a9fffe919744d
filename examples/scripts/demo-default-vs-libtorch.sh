#!/bin/bash
# alternating: default (no flags) vs -Dsteer4j.cpu.decode=libtorch, stories260k demo; wall, user, sys seconds

N=${1:-5}
for i in $(seq 1 $N); do
  for v in default libtorch; do
    if [ $v = default ]; then a=""; else a="-Dsteer4j.cpu.decode=libtorch"; fi
    /usr/bin/time -f "$v $i wall %e user %U sys %S rc %x" java $a -jar ${STEER4J_JAR:-examples/target/steer4j.jar} demo --model /work/shared/models/stories260k 2>&1 >/dev/null | grep -E "^(default|libtorch) "
  done
done
