//! Differential tests: the benchmark sketches, lowered and run by the exact evaluator, agree
//! with direct Rust implementations of TerpreT's models (`models/circuit.py`, `turing.py`,
//! `basic_block.py`) on random holes, random inputs and random sizes.

use proptest::prelude::*;
use weft_ir::{Assignment, Evaluator, Examples};

use crate::lowering::compile_str;

fn bench(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../benchmarks/terpret/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Lowers `sketch` with `params`, evaluates it on one example, and returns its outputs.
fn run_sketch(sketch: &str, params: &[(&str, i64)], holes: &[u32], inputs: &[u32]) -> Vec<u32> {
    let c = compile_str(sketch, params).unwrap_or_else(|e| panic!("{e}"));
    let g = &c.graph;
    assert_eq!(g.holes.len(), holes.len(), "hole count");
    assert_eq!(g.inputs.len(), inputs.len(), "input count");
    let mut ex = Examples::with_slots(g.inputs.len(), g.outputs.len());
    ex.push(inputs, &vec![None; g.outputs.len()], "random");
    let mut ev = Evaluator::new(g).expect("a well-formed graph");
    let e = ev
        .evaluate(g, &Assignment(holes.to_vec()), &ex)
        .expect("evaluates");
    e.outputs.iter().map(|col| col[0]).collect()
}

/// A vector of `n` values below `bound`, from a seed (proptest shrinks the seed).
fn values(seed: u64, n: usize, bound: u32) -> Vec<u32> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % bound as u64) as u32
        })
        .collect()
}

fn circuit_direct(w: usize, g: usize, o: usize, holes: &[u32], input: &[u32]) -> Vec<u32> {
    let (gate, rest) = holes.split_at(g);
    let (in1, rest) = rest.split_at(g);
    let (in2, out) = rest.split_at(g);
    let mut wires: Vec<u32> = input.to_vec();
    for k in 0..g {
        let a = wires[in1[k] as usize];
        let b = wires[in2[k] as usize];
        let v = match gate[k] {
            0 => a & b,
            1 => a | b,
            2 => a ^ b,
            3 => 1 - a,
            _ => a,
        };
        wires[out[k] as usize] = v;
    }
    let _ = w;
    wires[..o].to_vec()
}

fn turing_direct(s: usize, h: usize, l: usize, t: usize, holes: &[u32], tape0: &[u32]) -> Vec<u32> {
    let (write, rest) = holes.split_at(h * s);
    let (dir, new_state) = rest.split_at(h * s);
    let mut tape = tape0.to_vec();
    let (mut pos, mut state, mut halted) = (0usize, 1usize, false);
    for _ in 1..t {
        if !halted {
            let sym = tape[pos] as usize;
            let k = state * s + sym;
            tape[pos] = write[k];
            pos = match dir[k] {
                0 => pos,
                1 => (pos + 1) % l,
                _ => (pos + l - 1) % l,
            };
            state = new_state[k] as usize;
            halted = state == 0;
        }
    }
    let mut out = vec![u32::from(halted)];
    out.extend(tape);
    out
}

#[allow(clippy::too_many_arguments)]
fn basic_block_direct(
    m: usize,
    r: usize,
    nb: usize,
    t: usize,
    holes: &[u32],
    mem0: &[u32],
) -> Vec<u32> {
    let b = nb + 1;
    let h: Vec<&[u32]> = holes.chunks(b).collect();
    let (instr, then_b, else_b, a1, a2, outr, condr) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6]);
    let mi = m as i64;
    let mut mem: Vec<i64> = mem0.iter().map(|&v| v as i64).collect();
    let mut regs = vec![0i64; r];
    let mut bp = 1usize;
    for _ in 0..t {
        let x = regs[a1[bp] as usize];
        let y = regs[a2[bp] as usize];
        let op = instr[bp];
        let result = match op {
            0 | 1 => x,
            2 => mem[x as usize],
            3 => 0,
            4 => (x + 1).rem_euclid(mi),
            5 => (x - 1).rem_euclid(mi),
            6 => (x + y).rem_euclid(mi),
            7 => (x - y).rem_euclid(mi),
            _ => i64::from(x < y),
        };
        if op == 1 {
            mem[x as usize] = y;
        } else {
            regs[outr[bp] as usize] = result;
        }
        bp = if regs[condr[bp] as usize] > 0 {
            then_b[bp] as usize
        } else {
            else_b[bp] as usize
        };
    }
    let mut out = vec![u32::from(bp == 0)];
    out.extend(mem.iter().map(|&v| v as u32));
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    #[test]
    fn circuit_sketch_agrees_with_terpret_semantics(
        w in 2usize..6, g in 1usize..6, o_frac in 0usize..100, seed in any::<u64>(),
    ) {
        let o = 1 + o_frac % w;
        let mut holes = values(seed, g, 5);
        holes.extend(values(seed ^ 1, 3 * g, w as u32));
        let params = [("numWires", w as i64), ("numGates", g as i64), ("numOutputs", o as i64)];
        let sketch = bench("circuit.wft");
        for input in 0..(1u32 << w) {
            let bits: Vec<u32> = (0..w).map(|k| (input >> k) & 1).collect();
            let got = run_sketch(&sketch, &params, &holes, &bits);
            prop_assert_eq!(got, circuit_direct(w, g, o, &holes, &bits), "input {:?}", bits);
        }
    }

    #[test]
    fn turing_sketch_agrees_with_terpret_semantics(
        h in 2usize..5, l in 2usize..6, t in 1usize..8, seed in any::<u64>(),
    ) {
        let s = 3;
        let mut holes = values(seed, h * s, s as u32);
        holes.extend(values(seed ^ 1, h * s, 3));
        holes.extend(values(seed ^ 2, h * s, h as u32));
        let params = [("numTapeSymbols", s as i64), ("numHeadStates", h as i64), ("tapeLength", l as i64), ("numTimesteps", t as i64)];
        let sketch = bench("turing.wft");
        for k in 0..4u64 {
            let tape = values(seed ^ (k + 10), l, s as u32);
            let got = run_sketch(&sketch, &params, &holes, &tape);
            prop_assert_eq!(got, turing_direct(s, h, l, t, &holes, &tape), "tape {:?}", tape);
        }
    }

    #[test]
    fn basic_block_sketch_agrees_with_terpret_semantics(
        m in 2usize..6, r in 1usize..4, nb in 1usize..5, t in 1usize..7, seed in any::<u64>(),
    ) {
        let b = nb + 1;
        let mut holes = values(seed, b, 9);
        holes.extend(values(seed ^ 1, 2 * b, b as u32));
        holes.extend(values(seed ^ 2, 4 * b, r as u32));
        let params = [("maxInt", m as i64), ("numRegisters", r as i64), ("numBlocks", nb as i64), ("numTimesteps", t as i64)];
        let sketch = bench("basic_block.wft");
        for k in 0..4u64 {
            let mem = values(seed ^ (k + 10), m, m as u32);
            let got = run_sketch(&sketch, &params, &holes, &mem);
            prop_assert_eq!(got, basic_block_direct(m, r, nb, t, &holes, &mem), "memory {:?}", mem);
        }
    }
}
