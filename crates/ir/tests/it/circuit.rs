//! TerpreT's Boolean circuit (`models/circuit.py`) built by hand as an IR graph, the way the
//! sketch lowering would build it, and its semantics written directly in Rust.
//!
//! Also used by weft-solve's tests (`#[path]`-included), so it only uses weft-ir's public API.

#![allow(dead_code)]

use weft_ir::builder::tabulate;
use weft_ir::{Builder, Domain, Examples, Graph, NodeId, Slot, SrcSpan};

/// Gate types in enum order.
pub const GATES: [&str; 5] = ["And", "Or", "Xor", "Not", "Nop"];

/// The gate semantics: Not and Nop read only their first argument.
pub fn gate_fn(gate: u32, a: u32, b: u32) -> u32 {
    match gate {
        0 => a & b,
        1 => a | b,
        2 => a ^ b,
        3 => 1 - a,
        _ => a,
    }
}

/// The circuit sketch with `wires` wires, `gates` gates and the first `outputs` wires as
/// outputs. Holes, in declaration order: `gate[g]`, `in1[g]`, `in2[g]`, `out[g]`; so hole
/// ids are `gate: 0..G`, `in1: G..2G`, `in2: 2G..3G`, `out: 3G..4G`.
pub fn circuit(wires: usize, gates: usize, outputs: usize) -> Graph {
    let span = SrcSpan::default();
    let mut b = Builder::new("circuit");
    b.set_params(vec![
        ("numWires".into(), wires as i64),
        ("numGates".into(), gates as i64),
        ("numOutputs".into(), outputs as i64),
    ]);
    let bool_d = b.bool_domain();
    let gate_d = b.domain(Domain::enumeration(
        "Gate",
        GATES.iter().map(|g| g.to_string()).collect(),
    ));
    let wire_d = b.domain(Domain::range(0, wires as i64));
    let gate = b.hole_decl("gate", vec![gates as u32], gate_d, span);
    let in1 = b.hole_decl("in1", vec![gates as u32], wire_d, span);
    let in2 = b.hole_decl("in2", vec![gates as u32], wire_d, span);
    let out = b.hole_decl("out", vec![gates as u32], wire_d, span);
    let apply = b.table(
        "apply",
        vec![gate_d, bool_d, bool_d],
        bool_d,
        tabulate(&[5, 2, 2], |v| gate_fn(v[0], v[1], v[2])),
    );
    let mut w: Vec<NodeId> = (0..wires)
        .map(|i| {
            b.input(Slot {
                name: format!("initial_wires[{i}]"),
                decl: "initial_wires".into(),
                index: vec![i as u32],
                domain: bool_d,
            })
        })
        .collect();
    for g in 0..gates {
        let a1 = b.mux(in1[g], &w);
        let a2 = b.mux(in2[g], &w);
        let v = b.apply(apply, &[gate[g], a1, a2]);
        for (k, wire) in w.iter_mut().enumerate() {
            let kc = b.constant(wire_d, k as u32);
            let is_k = b.apply_fn("==", &[out[g], kc], bool_d, |x| u32::from(x[0] == x[1]));
            *wire = b.mux(is_k, &[*wire, v]);
            b.name(*wire, format!("wires[{k}]"));
        }
    }
    for (i, &wire) in w.iter().take(outputs).enumerate() {
        b.output(
            Slot {
                name: format!("final_wires[{i}]"),
                decl: "final_wires".into(),
                index: vec![i as u32],
                domain: bool_d,
            },
            wire,
        );
    }
    b.finish()
}

/// The circuit's semantics, directly: `holes` laid out as in [`circuit`].
pub fn run(gates: usize, outputs: usize, holes: &[u32], initial: &[u32]) -> Vec<u32> {
    let mut w = initial.to_vec();
    for g in 0..gates {
        let (gate, in1, in2, out) = (
            holes[g],
            holes[gates + g],
            holes[2 * gates + g],
            holes[3 * gates + g],
        );
        w[out as usize] = gate_fn(gate, w[in1 as usize], w[in2 as usize]);
    }
    w.truncate(outputs);
    w
}

/// Swap the first two wires (the third starts at 0): `[a, b, 0] => [b, a]`.
pub fn swap_examples() -> Examples {
    let mut ex = Examples::with_slots(3, 2);
    for a in 0..2 {
        for b in 0..2 {
            ex.push(&[a, b, 0], &[Some(b), Some(a)], format!("swap {a}{b}"));
        }
    }
    ex
}
