#!/bin/bash
# the relaunch's own cost: a command that relaunches and fails at once (missing model folder), with and without

for i in $(seq 1 ${1:-5}); do
  for v in default libtorch; do
    if [ $v = default ]; then a=""; else a="-Dsteer4j.cpu.decode=libtorch"; fi
    /usr/bin/time -f "$v $i wall %e user %U sys %S rc %x" java $a -jar ${STEER4J_JAR:-examples/target/steer4j.jar} generate --model /nonexistent-model x 2>&1 >/dev/null | grep -E "^(default|libtorch) "
  done
done
