#!/usr/bin/env python3
"""Time the `weft bench kanren` programs on faster-miniKanren under Chez Scheme (the peer).

usage: peer.py FASTER_MINIKANREN_DIR [REPEAT]

FASTER_MINIKANREN_DIR holds faster-miniKanren's `mk.scm` and `mk-vicare.scm` (not shipped
with weft). Each benchmark is loaded once into a fresh `scheme` process (compiled at
optimize-level 3, as faster-miniKanren's chez.scm does), run once to warm up, then REPEAT
samples, each a batch of runs lasting about 200 ms (as `examples/bench.rs`); the median
per-run CPU time (thread time) is printed in the same table as `weft bench kanren`.
"""
import os, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = os.path.join(HERE, "..", "programs")

# Keep in step with BENCH in crates/cli/src/kanren_cmd.rs.
L1000 = "'(" + " ".join(str(i) for i in range(1, 1001)) + ")"
BENCH = [
    ("appendo-split-1000", "appendo", f"(run* (x y) (appendo x y {L1000}))"),
    ("pluso-all-16", "arith", "(run* (x y) (pluso x y '(0 0 0 0 1)))"),
    ("factor-*o-60", "arith", "(run* (p q) (*o p q '(0 0 1 1 1 1)))"),
    ("divo-100-7", "arith", "(run* (q r) (/o '(0 0 1 0 0 1 1) '(1 1 1) q r))"),
    ("quines-1", "quines", "(run 1 (q) (meaningo q '() q))"),
    ("quines-5", "quines", "(run 5 (q) (meaningo q '() q))"),
    ("twines-1", "quines", "(run 1 (x y) (=/= x y) (meaningo x '() y) (meaningo y '() x))"),
]


def main():
    fmk = os.path.abspath(sys.argv[1])
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    print("| benchmark | answers | median (CPU time, faster-miniKanren on Chez) | runs |")
    print("|---|---:|---:|---:|")
    for name, rel, run in BENCH:
        rels = open(os.path.join(PROGRAMS, rel + ".mk")).read()
        prog = f"""
(optimize-level 3)
(include "{fmk}/mk-vicare.scm")
(include "{fmk}/mk.scm")
{rels}
(define (go) {run})
(define (now) (let ((t (current-time 'time-thread)))
  (+ (* 1000.0 (time-second t)) (/ (time-nanosecond t) 1e6))))
(define t0 (now))
(define n (length (go))) ; also the warm-up
(define batch (max 1 (min 10000 (exact (ceiling (/ 200.0 (max 0.001 (- (now) t0))))))))
(define (run-batch) (let loop ((k 0)) (when (< k batch) (go) (loop (+ k 1)))))
(define times
  (let loop ((i 0) (acc '()))
    (if (= i {repeat}) acc
        (let ((t0 (now))) (run-batch) (loop (+ i 1) (cons (/ (- (now) t0) batch) acc))))))
(define sorted (sort < times))
(printf "~a ~a~n" n (list-ref sorted (quotient (length sorted) 2)))
"""
        with tempfile.NamedTemporaryFile("w", suffix=".ss", delete=False) as f:
            f.write(prog)
        out = subprocess.run(["scheme", "-q", f.name], capture_output=True, text=True,
                             stdin=subprocess.DEVNULL)
        os.unlink(f.name)
        parts = out.stdout.split()
        if out.returncode != 0 or len(parts) < 2:
            print(f"| {name} | error | {out.stderr.strip()[:60]} | |")
            continue
        print(f"| {name} | {parts[0]} | {float(parts[1]):.2f} ms | {repeat} |")


if __name__ == "__main__":
    main()
