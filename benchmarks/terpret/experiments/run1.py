# Times one python-sat solver (pip install python-sat) on a CNF, optionally renamed/shuffled.
# usage: run1.py SOLVER CNF SEED TIMEOUT (the timeout is not enforced here; wrap with `timeout`)
import sys, time, random
from pysat.formula import CNF
from pysat.solvers import Solver
name, path, seed, tmo = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
cnf = CNF(from_file=path)
cl = cnf.clauses
nv = cnf.nv
if seed != 0:
    r = random.Random(seed)
    perm = list(range(1, nv+1)); r.shuffle(perm)
    m = [0] + perm
    flip = [0] + [r.random() < 0.5 for _ in range(nv)]
    # keep variable 1 (TRUE) semantics fine: renaming + polarity flips preserve satisfiability
    cl = [[ (m[abs(l)] if l > 0 else -m[abs(l)]) * (-1 if flip[abs(l)] else 1) for l in c] for c in cl]
    cl = [c[:] for c in cl]
    for c in cl: r.shuffle(c)
    r.shuffle(cl)
s = Solver(name=name, bootstrap_with=cl)

t0 = time.perf_counter()
res = s.solve()
dt = time.perf_counter() - t0

print(f"{name} {seed} {res} {dt:.3f}")
