#!/bin/bash
# Interleaved A/B timing of weft binaries on one command: N rounds, each binary once per
# round, CPU time of the whole process by `perf stat -e task-clock`; prints the minimum and
# the median per binary. The figures in BENCHMARKS.md ("The PyTorch peer", session 9).
# usage: benchmarks/grad/experiments/ab.sh N "ARGS" BIN...   (run from the repository root)
# e.g.   ab.sh 10 "solve benchmarks/terpret/parity_chain.wft --set K=256 --solver fmgd \
#            --restarts 48 --steps 3000 --threads 1 --seed 1" ./old-weft ./target/release/weft
set -eu
n=$1
args=$2
shift 2
for _ in $(seq 1 "$n"); do
    for b in "$@"; do
        # shellcheck disable=SC2086
        t=$(perf stat -x, -e task-clock "$b" $args 2>&1 >/dev/null | grep task-clock | cut -d, -f1)
        echo "$b $t"
    done
done | python3 -c '
import statistics, sys
runs = {}
for line in sys.stdin:
    b, ms = line.split()
    runs.setdefault(b, []).append(float(ms))
for b, v in runs.items():
    print(f"{b:<28} min {min(v):7.1f}  median {statistics.median(v):7.1f} ms  (n={len(v)})")
'
