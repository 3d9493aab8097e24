# A renamed, shuffled copy of a DIMACS CNF (a 'seed' of the same problem).
# usage: perm.py IN OUT SEED   (FLIP=1 also flips polarities at random)
import sys, random, os
FLIP = os.environ.get("FLIP") == "1"
inp, outp, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
cl = []; nv = 0
for line in open(inp):
    if line.startswith('p cnf'): nv = int(line.split()[2])
    elif line[0] != 'c' and line.strip(): cl.append([int(x) for x in line.split()[:-1]])
r = random.Random(seed)
perm = list(range(1, nv+1)); r.shuffle(perm); m = [0] + perm
flip = [0] + [1 if (r.random() < 0.5 or not FLIP) else -1 for _ in range(nv)]
cl = [[(m[abs(l)] if l > 0 else -m[abs(l)]) * flip[abs(l)] for l in c] for c in cl]
for c in cl: r.shuffle(c)
r.shuffle(cl)
with open(outp, 'w') as f:
    f.write(f'p cnf {nv} {len(cl)}\n')
    for c in cl: f.write(' '.join(map(str, c)) + ' 0\n')
