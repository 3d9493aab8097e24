#!/usr/bin/env python3
"""Checks the known answers of the TerpreT benchmarks against their data.

    python3 benchmarks/terpret/check_answers.py

Python 3 standard library only. For every task in tasks.json it

1. reads the declarations of the task's sketch (params, enums, holes, sketch name)
   with a few regular expressions, and checks that the answer file names exactly the
   declared holes, with the declared shapes and in-domain values, and that the
   hypers file sets exactly the sketch's params;
2. runs the answer through an independent simulator of the TerpreT model, written
   from TerpreT's models/*.py (not from the .wft files), on every instance of the
   "train" batch, and asserts that every output matches;
3. prints the size of the search space (log2 of the number of hole assignments).

It also checks that generate_data.py reproduces the shipped data files byte for byte.
Exits non-zero on the first failure.
"""
import json
import math
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# TerpreT's value numbering: the weft enums must list their variants in this order.
GATES = ["And", "Or", "Xor", "Not", "Nop"]                       # circuit.py gate ids 0..4
DIRS = ["Stay", "Right", "Left"]                                  # turing.py dir 0, 1, 2
INSTRS = ["Noop", "Write", "Read", "Zero", "Inc", "Dec", "Add", "Sub", "LessThan"]  # basic_block.py


class CheckError(Exception):
    pass


def require(cond, msg):
    if not cond:
        raise CheckError(msg)


def load(rel):
    with open(os.path.join(HERE, rel)) as f:
        return json.load(f)


# ----------------------------------------------------------------------------
# A light reader of .wft declarations (only what the answer files depend on)
# ----------------------------------------------------------------------------

def strip_comments(src):
    src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
    return re.sub(r"//[^\n]*", "", src)


def const_eval(expr, params):
    expr = expr.strip()
    require(re.fullmatch(r"[A-Za-z0-9_+\-*/%() ]+", expr), "unexpected const expr %r" % expr)
    py = re.sub(r"(?<![/])/(?!/)", "//", expr)
    return eval(py, {"__builtins__": {}}, dict(params))


def split_top(s, sep):
    """Split s at `sep` occurring outside brackets."""
    depth, parts, cur = 0, [], ""
    for ch in s:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def parse_type(t, params, enums):
    """-> ("bool",) | ("range", lo, hi) | ("enum", [variants]) | ("array", elem, n)"""
    t = t.strip()
    if t.startswith("["):
        require(t.endswith("]"), "bad array type %r" % t)
        elem, n = split_top(t[1:-1], ";")
        return ("array", parse_type(elem, params, enums), const_eval(n, params))
    if t == "bool":
        return ("bool",)
    if t in enums:
        return ("enum", enums[t])
    lo, hi = t.split("..")
    return ("range", const_eval(lo, params), const_eval(hi, params))


def read_sketch(rel, overrides):
    src = strip_comments(open(os.path.join(HERE, rel)).read())
    params = {}
    for name, value in re.findall(r"\bparam\s+(\w+)\s*=\s*([^;]+);", src):
        params[name] = const_eval(value, params)
    declared = list(params)
    for k, v in overrides.items():
        require(k in params, "%s: the sketch has no param %s" % (rel, k))
        params[k] = v
    enums = {name: [v.strip() for v in body.split(",") if v.strip()]
             for name, body in re.findall(r"\benum\s+(\w+)\s*\{([^}]*)\}", src)}
    holes = {name: parse_type(ty, params, enums)
             for name, ty in re.findall(r"\bhole\s+(\w+)\s*:\s*(.+?);[ \t]*$", src, re.M)}
    sketches = re.findall(r"\bsketch\s+(\w+)\s*\(", src)
    require(len(sketches) == 1, "%s: expected exactly one sketch, found %r" % (rel, sketches))
    return {"params": params, "declared_params": declared, "enums": enums,
            "holes": holes, "sketch": sketches[0]}


def check_value(v, ty, where):
    kind = ty[0]
    if kind == "array":
        require(isinstance(v, list) and len(v) == ty[2],
                "%s: expected an array of %d, got %r" % (where, ty[2], v))
        for i, x in enumerate(v):
            check_value(x, ty[1], "%s[%d]" % (where, i))
    elif kind == "bool":
        require(isinstance(v, bool), "%s: expected true/false, got %r" % (where, v))
    elif kind == "range":
        require(isinstance(v, int) and not isinstance(v, bool) and ty[1] <= v < ty[2],
                "%s: expected an integer in %d..%d, got %r" % (where, ty[1], ty[2], v))
    elif kind == "enum":
        require(v in ty[1], "%s: expected one of %s, got %r" % (where, ty[1], v))


def log2_size(ty):
    kind = ty[0]
    if kind == "array":
        return ty[2] * log2_size(ty[1])
    if kind == "bool":
        return 1.0
    if kind == "range":
        return math.log2(ty[2] - ty[1])
    return math.log2(len(ty[1]))


# ----------------------------------------------------------------------------
# Independent simulators, following TerpreT's models/*.py line by line
# ----------------------------------------------------------------------------

def sim_circuit(h, p, inst):
    """models/circuit.py"""
    G, W = p["numGates"], p["numWires"]
    gate = [GATES.index(g) for g in h["gate"]]
    wires = [[None] * W for _ in range(G + 1)]
    for w in range(W):
        wires[0][w] = int(inst["initial_wires"][w])
    for g in range(G):
        arg1 = wires[g][h["in1"][g]]
        arg2 = wires[g][h["in2"][g]]
        if gate[g] == 0:
            res = int(arg1 and arg2)
        elif gate[g] == 1:
            res = int(arg1 or arg2)
        elif gate[g] == 2:
            res = int(arg1 ^ arg2)
        elif gate[g] == 3:
            res = int(not arg1)
        else:
            res = arg1
        for w in range(W):
            wires[g + 1][w] = res if h["out"][g] == w else wires[g][w]
    return {"final_wires": [wires[G][w] for w in range(p["numOutputs"])]}


def sim_turing(h, p, inst):
    """models/turing.py"""
    T, L = p["numTimesteps"], p["tapeLength"]
    dirs = [[DIRS.index(d) for d in row] for row in h["dir"]]
    tape = [list(inst["initial_tape"])] + [[None] * L for _ in range(T - 1)]
    cur_pos, cur_state, is_halted = [0] * T, [1] + [None] * (T - 1), [0] * T

    def move(pos, d):
        return pos if d == 0 else (pos + 1) % L if d == 1 else (pos - 1) % L

    for t in range(T - 1):
        if is_halted[t] == 1:
            tape[t + 1] = list(tape[t])
            cur_state[t + 1], cur_pos[t + 1], is_halted[t + 1] = cur_state[t], cur_pos[t], 1
        else:
            s, pos = cur_state[t], cur_pos[t]
            tt = tape[t][pos]
            written = h["write"][s][tt]
            cur_pos[t + 1] = move(pos, dirs[s][tt])
            cur_state[t + 1] = h["newState"][s][tt]
            is_halted[t + 1] = 1 if cur_state[t + 1] == 0 else 0
            for m in range(L):
                tape[t + 1][m] = written if m == cur_pos[t] else tape[t][m]
    return {"final_is_halted": is_halted[T - 1], "final_tape": tape[T - 1]}


def sim_basic_block(h, p, inst):
    """models/basic_block.py"""
    T, R, M = p["numTimesteps"], p["numRegisters"], p["maxInt"]
    instr = [INSTRS.index(i) for i in h["instructions"]]
    # set_to_constant in TerpreT: the halt block is a noop jumping to itself.
    require(instr[0] == 0 and h["thenBlock"][0] == 0 and h["elseBlock"][0] == 0,
            "block 0 must be Noop with thenBlock/elseBlock 0")
    bp = [1] + [None] * T
    regs = [[0] * R] + [None] * T
    mem = [list(inst["initial_memory"])] + [None] * T
    for t in range(T):
        b = bp[t]
        a1 = regs[t][h["arg1Reg"][b]]
        a2 = regs[t][h["arg2Reg"][b]]
        op = instr[b]
        is_write = 0
        if op == 0:
            out = a1
        elif op == 1:
            out, is_write = a1, 1
        elif op == 2:
            out = mem[t][a1]
        elif op == 3:
            out = 0
        elif op == 4:
            out = (a1 + 1) % M
        elif op == 5:
            out = (a1 - 1) % M
        elif op == 6:
            out = (a1 + a2) % M
        elif op == 7:
            out = (a1 - a2) % M
        else:
            out = 1 if a1 < a2 else 0
        if is_write == 0:
            regs[t + 1] = [out if h["outReg"][b] == r else regs[t][r] for r in range(R)]
            mem[t + 1] = list(mem[t])
        else:
            regs[t + 1] = list(regs[t])
            mem[t + 1] = [a2 if a1 == a else mem[t][a] for a in range(M)]
        go_then = regs[t + 1][h["condReg"][b]] > 0
        bp[t + 1] = h["thenBlock"][b] if go_then else h["elseBlock"][b]
    return {"final_is_halted": 1 if bp[T] == 0 else 0, "final_memory": mem[T]}


SIMULATORS = {"circuit": sim_circuit, "turing": sim_turing, "basic_block": sim_basic_block}
ENUM_ORDER = {"circuit": ("Gate", GATES), "turing": ("Dir", DIRS), "basic_block": ("Instr", INSTRS)}


def parity_chain_ok(x):
    """Selsam's parity chain: x0 = false given, every circular neighbour pair equal."""
    chain = [False] + list(x)
    k = len(chain)
    return all(chain[i] == chain[(i + 1) % k] for i in range(k))


def same(expected, got):
    if isinstance(expected, list):
        return isinstance(got, list) and len(expected) == len(got) and all(
            same(e, g) for e, g in zip(expected, got))
    if expected is None or expected == "_":
        return True
    return int(expected) == int(got)  # TerpreT writes booleans as 0/1


# ----------------------------------------------------------------------------

def check_task(task):
    name = task["task"]
    answer = load(task["answer"])
    if "hypers" in task:
        data = load(task["data"])
        batches = [b for b in data if b["batch_name"] == "train"]
        require(len(batches) == 1, "%s: expected one train batch" % name)
        batch = batches[0]
        hypers = load(task["hypers"])
        require(batch["hypers"] in hypers, "%s: hypers %s missing" % (name, batch["hypers"]))
        overrides = hypers[batch["hypers"]]
    else:
        batch, overrides = None, task.get("set", {})
    decl = read_sketch(task["sketch"], overrides)
    if batch is not None:
        require(sorted(overrides) == sorted(decl["declared_params"]),
                "%s: hypers %s do not set exactly the params %s"
                % (name, sorted(overrides), sorted(decl["declared_params"])))
    params = decl["params"]

    # The answer matches the declarations.
    require(answer.get("sketch") == decl["sketch"], "%s: answer names sketch %r, the file has %r"
            % (name, answer.get("sketch"), decl["sketch"]))
    require(answer.get("params", params) == params,
            "%s: answer params %r differ from %r" % (name, answer.get("params"), params))
    holes = answer["holes"]
    require(sorted(holes) == sorted(decl["holes"]),
            "%s: answer holes %s, declared %s" % (name, sorted(holes), sorted(decl["holes"])))
    for h, ty in decl["holes"].items():
        check_value(holes[h], ty, "%s: hole %s" % (name, h))
    bits = sum(log2_size(ty) for ty in decl["holes"].values())

    model = decl["sketch"]
    if model == "parity_chain":
        require(parity_chain_ok(holes["x"]), "%s: the chain is not constant" % name)
        n = len(holes["x"])
        sols = [m for m in range(2 ** n)
                if parity_chain_ok([bool(m >> i & 1) for i in range(n)])] if n <= 20 else [0]
        require(sols == [0], "%s: expected the unique solution all-false, found %r" % (name, sols))
        return name, bits, "K=%d" % params["K"], 1

    enum_name, order = ENUM_ORDER[model]
    require(decl["enums"].get(enum_name) == order,
            "%s: enum %s must be %s (TerpreT's numbering)" % (name, enum_name, order))
    sim = SIMULATORS[model]
    for i, inst in enumerate(batch["instances"]):
        got = sim(holes, params, inst)
        outputs = [k for k in inst if k.startswith("final_")]
        require(outputs, "%s: instance %d has no outputs" % (name, i))
        for k in outputs:
            require(same(inst[k], got[k]), "%s: instance %d: %s expected %r, simulated %r"
                    % (name, i, k, inst[k], got[k]))
    return name, bits, batch["hypers"], len(batch["instances"])


def check_generated_data():
    sys.path.insert(0, HERE)
    sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
    import generate_data as gen
    for task, make in [("circuit_nand", gen.make_nand), ("circuit_shift", gen.make_shift),
                       ("circuit_adder", gen.make_adder), ("circuit_full_adder", gen.make_full_adder),
                       ("basic_block_decrement", gen.make_decrement),
                       ("basic_block_list_k", gen.make_list_k)]:
        hypers_name, hypers, instances = make()
        with open(os.path.join(HERE, "data", task + "_data.json")) as f:
            require(f.read() == gen.dump_data(hypers_name, instances),
                    "data/%s_data.json differs from generate_data.py's output" % task)
        require(load("data/%s_hypers.json" % task) == {hypers_name: hypers},
                "data/%s_hypers.json differs from generate_data.py's output" % task)


def main():
    tasks = load("tasks.json")
    failed = 0
    for task in tasks:
        try:
            name, bits, hypers, n = check_task(task)
            print("ok    %-22s %-14s %2d examples  search space 2^%.1f" % (name, hypers, n, bits))
        except (CheckError, KeyError, IndexError, ValueError, TypeError) as e:
            failed += 1
            print("FAIL  %-22s %s: %s" % (task.get("task"), type(e).__name__, e))
    try:
        check_generated_data()
        print("ok    generate_data.py reproduces the generated data files")
    except CheckError as e:
        failed += 1
        print("FAIL  %s" % e)
    print("%d check(s) failed" % failed if failed else "all %d tasks pass" % len(tasks))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
