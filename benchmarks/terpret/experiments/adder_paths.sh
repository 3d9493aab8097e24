#!/bin/bash
# The 2-bit adder over many paths, two weft binaries interleaved seed by seed (session 8;
# BENCHMARKS.md, "The SAT portfolio, session 8"). Prints one line per seed: seed, then the wall
# seconds of `weft solve --solver sat` (the default) for binary A and for binary B.
#   benchmarks/terpret/experiments/adder_paths.sh FIRST LAST WEFT_A WEFT_B > paths.txt
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
first=$1 last=$2 a=$3 b=$4
run() {
    /usr/bin/time -f "%e" "$1" solve "$here/circuit.wft" \
        --data "$here/data/circuit_full_adder_data.json" \
        --hypers "$here/data/circuit_full_adder_hypers.json" \
        --seed "$2" --timeout 60 2>&1 >/dev/null | tail -1
}
for s in $(seq "$first" "$last"); do
    echo "$s $(run "$a" "$s") $(run "$b" "$s")"
done
