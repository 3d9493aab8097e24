# Adds symmetry-breaking clauses over the hole variables of a weft circuit DIMACS export.
# usage: symm.py IN OUT [order] [noop] [noopend]
import sys, re
inp, outp, flags = sys.argv[1], sys.argv[2], set(sys.argv[3:])
holes = {}
clauses = []; nv = 0
for line in open(inp):
    if line.startswith('c hole '):
        _, _, name, val, var = line.split()
        holes.setdefault(name, []).append((val, int(var)))
    elif line.startswith('p cnf'):
        nv = int(line.split()[2])
    elif not line.startswith('c') and line.strip():
        clauses.append([int(x) for x in line.split()[:-1]])
G = sum(1 for k in holes if k.startswith('gate['))
def H(n, g): return [v for _, v in holes[f'{n}[{g}]']]
def new():
    global nv; nv += 1; return nv
extra = []
def eqlit(a, b):
    # e <- (a == b)  (one direction: e forced true when equal)
    e = new()
    for x, y in zip(a, b): extra.append([-x, -y, e])
    return e
def ge(a):  # ge[v] <-> a >= v
    g = [None]*len(a)
    for v in range(len(a)):
        gv = new(); g[v] = gv
        # gv <-> OR_{u>=v} a_u
        extra.append([-gv] + a[v:])
        for u in range(v, len(a)): extra.append([-a[u], gv])
    return g
if 'order' in flags:
    for g in range(G-1):
        # commute condition: k -> (tuple_g <=lex tuple_{g+1}); not k only if some equality holds
        k = new()
        cl = [k]
        for a, b in [(H('in1',g+1), H('out',g)), (H('in2',g+1), H('out',g)), (H('in1',g), H('out',g+1)), (H('in2',g), H('out',g+1)), (H('out',g), H('out',g+1))]:
            cl.append(eqlit(a, b))
        extra.append(cl)
        names = ['out','gate','in1','in2'] if 'outfirst' in flags else ['gate','in1','in2','out']
        e = k
        for i, n in enumerate(names):
            a, b = H(n, g), H(n, g+1)
            gb = ge(b)
            # e & a=v -> b >= v
            for v in range(len(a)):
                extra.append([-e, -a[v], gb[v]])
            if i + 1 < len(names):
                e2 = new()
                for v in range(len(a)):
                    extra.append([-e, -a[v], -b[v], e2])
                e = e2
if 'noop' in flags or 'noopend' in flags:
    # identity gate: Nop with in1 == out, or And/Or with in1 == in2 == out
    ident = []
    for g in range(G):
        gt, i1, i2, o = H('gate',g), H('in1',g), H('in2',g), H('out',g)
        idv = new(); ident.append(idv)
        for v in range(len(o)):
            extra.append([-gt[4], -i1[v], -o[v], idv])
            extra.append([-gt[0], -i1[v], -i2[v], -o[v], idv])
            extra.append([-gt[1], -i1[v], -i2[v], -o[v], idv])
        if 'noop' in flags:
            # canonical identity: Nop, in1 = out = in2 = 0
            extra.append([-idv, gt[4]]); extra.append([-idv, i1[0]]); extra.append([-idv, o[0]]); extra.append([-idv, i2[0]])
    if 'noopend' in flags:
        for g in range(G-1):
            extra.append([-ident[g], ident[g+1]])
with open(outp, 'w') as f:
    for line in open(inp):
        if line.startswith('c hole'): f.write(line)
    f.write(f'p cnf {nv} {len(clauses)+len(extra)}\n')
    for c in clauses + extra: f.write(' '.join(map(str, c)) + ' 0\n')
print(f'{outp}: {nv} vars, {len(clauses)} + {len(extra)} clauses', file=sys.stderr)
