#!/usr/bin/env python3
"""Writes the TerpreT-format data files that weft ships but TerpreT does not.

Deterministic (fixed seed, Python 3 standard library only); run from anywhere:

    python3 benchmarks/terpret/generate_data.py

It follows TerpreT's generators (data/generators/make_circuit_data.py and
make_basic_block_data.py, MIT licence, Microsoft) but draws random numbers from
Python's `random.Random(SEED)` instead of numpy, so the random instances differ
from any TerpreT run. The files use TerpreT's format: `<name>_data.json` is a list
of batches `{"batch_name", "hypers", "instances"}` and `<name>_hypers.json` maps the
hypers name to the model's hyperparameters. Booleans are written as 0/1 like TerpreT.

Files written (all in data/ next to this script):
  circuit_nand_*        NAND of two wires (weft's choice of hypers: TerpreT has no NAND data)
  circuit_shift_*       make_shift_ex: 2-bit controlled shift register, all 8 rows
  circuit_adder_*       make_adder_ex(4, 5): 1-bit full adder, all 8 rows
  circuit_full_adder_*  make_full_adder_ex with 5 wires / 8 gates, but all 16 rows
                        (TerpreT samples 8 rows at random)
  basic_block_decrement_*  make_one_decrement_ex, 5 instances
  basic_block_list_k_*     make_one_listK_ex, 5 instances
TerpreT's own files (circuit_swap, turing_*, basic_block_access) are copied verbatim.
"""
import json
import os
import random

SEED = 0
NUM_EXAMPLES = 5  # TerpreT's default --num-examples for the basic-block generator
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def bits(n, width):
    return [int(c) for c in format(n, "0%db" % width)]


# ---------------------------------------------------------------- circuits

def circuit_hypers(wires, gates, outputs):
    name = "W%d_G%d_O%d" % (wires, gates, outputs)
    return name, {"numWires": wires, "numGates": gates, "numOutputs": outputs}


def make_nand():
    name, hypers = circuit_hypers(3, 2, 1)
    instances = []
    for n in range(4):
        a, b = bits(n, 2)
        instances.append({"initial_wires": [a, b, 0], "final_wires": [1 - (a & b)]})
    return name, hypers, instances


def make_shift():  # make_shift_ex
    name, hypers = circuit_hypers(4, 5, 3)
    instances = []
    for n in range(8):
        inp = bits(n, 3)
        out = list(inp)
        if inp[0] == 1:
            out[1], out[2] = inp[2], inp[1]
        instances.append({"initial_wires": inp + [0], "final_wires": out})
    return name, hypers, instances


def make_adder():  # make_adder_ex(num_wires=4, num_gates=5)
    name, hypers = circuit_hypers(4, 5, 2)
    instances = []
    for n in range(8):
        inp = bits(n, 3)
        instances.append({"initial_wires": inp + [0], "final_wires": bits(sum(inp), 2)})
    return name, hypers, instances


def make_full_adder():  # make_full_adder_ex(num_wires=5, num_gates=8), every input once
    name, hypers = circuit_hypers(5, 8, 3)
    instances = []
    for n in range(16):
        inp = bits(n, 4)
        a = 2 * inp[0] + inp[1]
        b = 2 * inp[2] + inp[3]
        instances.append({"initial_wires": inp + [0], "final_wires": bits(a + b, 3)})
    return name, hypers, instances


# ---------------------------------------------------------------- basic blocks

def bb_hypers(max_int, num_blocks, num_registers, num_timesteps):
    # As in TerpreT's arxiv_v1 data, the "B" of the name counts the halt block too.
    name = "M%d_B%d_R%d_T%d" % (max_int, num_blocks + 1, num_registers, num_timesteps)
    return name, {"maxInt": max_int, "numBlocks": num_blocks,
                  "numRegisters": num_registers, "numTimesteps": num_timesteps}


def make_one_decrement_ex(rng, hypers):
    m = hypers["maxInt"]
    data_length = rng.randrange(1, m)
    data = [rng.randrange(2, m) for _ in range(data_length)]
    blank = [0] * (m - data_length)
    return {"initial_memory": data + blank,
            "final_memory": [d - 1 for d in data] + blank,
            "final_is_halted": 1}


def make_one_list_k_ex(rng, hypers):
    m = hypers["maxInt"]
    list_length = (m - 1) // 2
    k = rng.randrange(list_length)
    list_data = [rng.randrange(m) for _ in range(list_length)]
    # Node i lives at address 1 + 2 * layout[i] (value, then address of the next
    # node, 0 for the end); the first node is always at address 1.
    layout = list(range(1, list_length))
    rng.shuffle(layout)
    layout = [0] + layout
    memory = [0] * m
    memory[0] = k
    for i in range(list_length):
        memory[1 + 2 * layout[i]] = list_data[i]
        memory[2 + 2 * layout[i]] = 1 + 2 * layout[i + 1] if i < list_length - 1 else 0
    final = list(memory)
    final[0] = list_data[k]
    return {"initial_memory": memory, "final_memory": final, "final_is_halted": 1}


def make_decrement():
    name, hypers = bb_hypers(5, 4, 2, 18)
    rng = random.Random(SEED)
    return name, hypers, [make_one_decrement_ex(rng, hypers) for _ in range(NUM_EXAMPLES)]


def make_list_k():
    name, hypers = bb_hypers(8, 7, 2, 10)
    rng = random.Random(SEED)
    return name, hypers, [make_one_list_k_ex(rng, hypers) for _ in range(NUM_EXAMPLES)]


# ---------------------------------------------------------------- output

def dump_data(hypers_name, instances):
    """TerpreT's batch format, one instance per line."""
    rows = ",\n".join("      " + json.dumps(inst) for inst in instances)
    return ('[\n  {\n    "batch_name": "train",\n    "hypers": %s,\n    "instances": [\n%s\n    ]\n  }\n]\n'
            % (json.dumps(hypers_name), rows))


def write(task, made):
    hypers_name, hypers, instances = made
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, task + "_data.json"), "w") as f:
        f.write(dump_data(hypers_name, instances))
    with open(os.path.join(OUT, task + "_hypers.json"), "w") as f:
        json.dump({hypers_name: hypers}, f, indent=2)
        f.write("\n")
    print("wrote data/%s_data.json (%s, %d instances)" % (task, hypers_name, len(instances)))


def main():
    write("circuit_nand", make_nand())
    write("circuit_shift", make_shift())
    write("circuit_adder", make_adder())
    write("circuit_full_adder", make_full_adder())
    write("basic_block_decrement", make_decrement())
    write("basic_block_list_k", make_list_k())


if __name__ == "__main__":
    main()
