//! weft-ir's integration tests: the evaluator against a direct implementation of the Boolean
//! circuit, observations, costs, don't-care outputs, input-less sketches, hole files and
//! readable answers on the circuit.

mod circuit;

use proptest::collection::vec;
use proptest::prelude::*;
use weft_ir::{
    answer, holes_json, Assignment, Builder, Evaluator, Examples, Graph, HoleId, Moves, Slot,
    SrcSpan,
};

use circuit::{circuit, run, swap_examples};

/// `(wires, gates, outputs, holes, examples' inputs)`.
fn circuit_case() -> impl Strategy<Value = (usize, usize, usize, Vec<u32>, Vec<Vec<u32>>)> {
    (1usize..=4, 1usize..=3).prop_flat_map(|(w, g)| {
        (
            Just(w),
            Just(g),
            1..=w,
            (vec(0u32..5, g), vec(0..w as u32, 3 * g)).prop_map(|(a, b)| [a, b].concat()),
            vec(vec(0u32..2, w), 0..80),
        )
    })
}

proptest! {
    /// The evaluator's outputs equal the circuit's direct semantics, on every path: the full
    /// evaluation, the early-exit check and the naive trace.
    #[test]
    fn evaluator_matches_direct_circuit((w, gates, o, holes, rows) in circuit_case(), flip in any::<prop::sample::Index>()) {
        let g = circuit(w, gates, o);
        let a = Assignment(holes.clone());
        let mut ex = Examples::with_slots(w, o);
        let mut want = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let out = run(gates, o, &holes, row);
            ex.push(row, &out.iter().map(|&v| Some(v)).collect::<Vec<_>>(), format!("row {i}"));
            want.push(out);
        }
        let mut ev = Evaluator::new(&g).unwrap();
        let r = ev.evaluate(&g, &a, &ex).unwrap();
        for (e, out) in want.iter().enumerate() {
            for (k, &v) in out.iter().enumerate() {
                prop_assert_eq!(r.outputs[k][e], v);
            }
            let trace = ev.trace(&g, &a, &rows[e]).unwrap();
            for (k, o) in g.outputs.iter().enumerate() {
                prop_assert_eq!(trace[o.node.0 as usize], out[k]);
            }
        }
        prop_assert!(r.all_passed);
        prop_assert!(ev.passes_all(&g, &a, &ex).unwrap());

        // One wrong expected value fails exactly that example.
        if !rows.is_empty() {
            let e = flip.index(rows.len());
            let k = e % o;
            ex.expected[k][e] = Some(1 - want[e][k]);
            let r = ev.evaluate(&g, &a, &ex).unwrap();
            let failed: Vec<usize> = (0..rows.len()).filter(|&i| !r.passed[i]).collect();
            prop_assert_eq!(failed, vec![e]);
            prop_assert!(!ev.passes_all(&g, &a, &ex).unwrap());
            // Don't care on that output passes again.
            ex.expected[k][e] = None;
            prop_assert!(ev.passes_all(&g, &a, &ex).unwrap());
        }
    }

    /// With random expected values (some don't care), the early-exit check, the full
    /// evaluation and the direct semantics agree on pass/fail, and the failure count on the
    /// number of mismatched outputs, over a sequence of assignments
    /// sharing one evaluator (so the "failed last time" example carries over).
    #[test]
    fn passes_all_agrees_with_evaluate(
        (w, gates, o, holes, rows) in circuit_case(),
        others in vec(vec(0u32..60, 12), 1..5),
        expected in vec(vec(prop::option::of(0u32..2), 4), 80),
    ) {
        let g = circuit(w, gates, o);
        let mut ex = Examples::with_slots(w, o);
        for (i, row) in rows.iter().enumerate() {
            ex.push(row, &expected[i][..o], "");
        }
        let mut ev = Evaluator::new(&g).unwrap();
        let mut near = Evaluator::new(&g).unwrap();
        let sizes: Vec<u32> = g.holes.iter().map(|h| g.domain(h.domain).size).collect();
        let assignments = std::iter::once(holes).chain(
            others.iter().map(|v| v.iter().zip(&sizes).map(|(x, s)| x % s).collect()),
        );
        for holes in assignments {
            let a = Assignment(holes.clone());
            let direct = rows.iter().enumerate().all(|(e, row)| {
                run(gates, o, &holes, row)
                    .iter()
                    .zip(&expected[e])
                    .all(|(&v, x)| x.is_none_or(|x| x == v))
            });
            let mismatches: u64 = rows
                .iter()
                .enumerate()
                .map(|(e, row)| {
                    run(gates, o, &holes, row)
                        .iter()
                        .zip(&expected[e])
                        .filter(|&(&v, x)| x.is_some_and(|x| x != v))
                        .count() as u64
                })
                .sum();
            prop_assert_eq!(ev.evaluate(&g, &a, &ex).unwrap().all_passed, direct);
            prop_assert_eq!(ev.passes_all(&g, &a, &ex).unwrap(), direct);
            prop_assert_eq!(ev.failures(&g, &a, &ex).unwrap(), mismatches);
            prop_assert_eq!(mismatches == 0, direct);
            // Incrementally, from the previous assignment as the base.
            prop_assert_eq!(near.failures_near(&g, &a, &ex, None, false).unwrap(), mismatches);
            prop_assert_eq!(near.failures_near(&g, &a, &ex, None, true).unwrap(), mismatches);
        }
    }

    /// Moves (`Moves`), by change propagation and by blocks, keep the failure count of the
    /// assignment they reach equal to a full evaluation's, through chains of accepted moves
    /// and undone ones.
    #[test]
    fn moves_agree_with_full_failure_counts(
        (w, gates, o, holes, rows) in circuit_case(),
        expected in vec(vec(prop::option::of(0u32..2), 4), 80),
        steps in vec((vec((0usize..64, 0u32..60), 1..4), any::<bool>()), 1..12),
    ) {
        let g = circuit(w, gates, o);
        let mut ex = Examples::with_slots(w, o);
        for (i, row) in rows.iter().enumerate() {
            ex.push(row, &expected[i][..o], "");
        }
        let sizes: Vec<u32> = g.holes.iter().map(|h| g.domain(h.domain).size).collect();
        let mut ev = Evaluator::new(&g).unwrap();
        let start = Assignment(holes);
        let full = ev.failures(&g, &start, &ex).unwrap();
        for limit in [weft_ir::eval::MAX_KEPT, 0] {
            let mut m = Moves::with_limit(&g, &start, &ex, limit).unwrap();
            prop_assert_eq!(m.propagates(), limit > 0);
            prop_assert_eq!(m.failures(), full);
            let mut model = start.clone();
            for (changes, keep) in &steps {
                let changes: Vec<(u32, u32)> = changes
                    .iter()
                    .map(|&(h, v)| {
                        let h = h % sizes.len();
                        (h as u32, v % sizes[h])
                    })
                    .collect();
                let before = model.clone();
                for &(h, v) in &changes {
                    model.0[h as usize] = v;
                }
                let got = m.try_move(&g, &changes).unwrap();
                prop_assert_eq!(got, ev.failures(&g, &model, &ex).unwrap());
                prop_assert_eq!(m.assignment(), &model);
                if !keep {
                    m.undo();
                    model = before;
                    prop_assert_eq!(m.assignment(), &model);
                    prop_assert_eq!(m.failures(), ev.failures(&g, &model, &ex).unwrap());
                }
            }
        }
    }

    /// Specialising the circuit to an answer changes no output.
    #[test]
    fn specialised_circuit_agrees((w, gates, o, holes, rows) in circuit_case()) {
        let g = circuit(w, gates, o);
        let a = Assignment(holes);
        let s = answer::specialize(&g, &a);
        let mut ex = Examples::with_slots(w, o);
        for row in &rows {
            ex.push(row, &vec![None; o], "");
        }
        let full = Evaluator::new(&g).unwrap().evaluate(&g, &a, &ex).unwrap();
        let spec = Evaluator::new(&s).unwrap().evaluate(&s, &Assignment(vec![]), &ex).unwrap();
        prop_assert_eq!(&full.outputs, &spec.outputs);
        // An irrelevant hole can take any value while the others stay fixed (one at a time:
        // two holes irrelevant on their own may matter together).
        let mut ev = Evaluator::new(&g).unwrap();
        // The same holes as rebuilding the whole graph with each one free.
        let by_rebuild: Vec<HoleId> = (0..g.holes.len())
            .filter(|&h| {
                let mut free = vec![false; g.holes.len()];
                free[h] = true;
                !answer::free_holes_matter(&g, &a, &free)
            })
            .map(|h| HoleId(h as u32))
            .collect();
        prop_assert_eq!(answer::irrelevant_holes(&g, &a), by_rebuild);
        for h in answer::irrelevant_holes(&g, &a) {
            for v in 0..g.domain(g.hole(h).domain).size {
                let mut b = a.clone();
                b.0[h.0 as usize] = v;
                let other = ev.evaluate(&g, &b, &ex).unwrap();
                prop_assert_eq!(&full.outputs, &other.outputs);
            }
        }
    }

    /// Hole files of the circuit round-trip.
    #[test]
    fn hole_file_roundtrip((w, gates, o, holes, _rows) in circuit_case(), cost in any::<Option<i64>>()) {
        let g = circuit(w, gates, o);
        let a = Assignment(holes);
        let text = serde_json::to_string_pretty(&holes_json::to_json(&g, &a, cost)).unwrap();
        prop_assert_eq!(holes_json::from_json(&g, &text).unwrap(), a);
    }
}

/// The XOR swap: `w0 ^= w1; w1 ^= w0; w0 ^= w1`.
fn xor_swap() -> Assignment {
    Assignment(vec![2, 2, 2, 0, 1, 0, 1, 0, 1, 0, 1, 0])
}

#[test]
fn xor_swap_passes_swap_examples() {
    let g = circuit(3, 3, 2);
    let mut ev = Evaluator::new(&g).unwrap();
    assert!(ev.passes_all(&g, &xor_swap(), &swap_examples()).unwrap());
    let mut wrong = xor_swap();
    wrong.0[2] = 1; // last gate Or
    assert!(!ev.passes_all(&g, &wrong, &swap_examples()).unwrap());
    let r = ev.evaluate(&g, &wrong, &swap_examples()).unwrap();
    assert_eq!(r.passed, vec![true, true, false, true]);
}

#[test]
fn swap_program() {
    let g = circuit(3, 3, 2);
    insta::assert_snapshot!(answer::program(&g, &xor_swap()));
}

#[test]
fn unused_gate_inputs_do_not_matter() {
    let g = circuit(3, 3, 2);
    // w2 = not(w0); w0 = w1 (Nop); w1 = w2 (Nop): a swap through wire 2 that negates.
    let a = Assignment(vec![3, 4, 4, 0, 1, 2, 0, 1, 2, 2, 0, 1]);
    assert_eq!(
        answer::irrelevant_holes(&g, &a),
        vec![HoleId(6), HoleId(7), HoleId(8)]
    );
    insta::assert_snapshot!(answer::program(&g, &a));
    // w0 = xor(w2, w1); w0 = w1; w1 = w0. The first gate's result is overwritten before it
    // is read, so only where it writes matters; the last gate copies w1 onto itself or onto
    // w0, which already holds w1, so where it writes does not matter either.
    let a = Assignment(vec![2, 4, 4, 2, 1, 0, 1, 0, 1, 0, 0, 1]);
    assert_eq!(
        answer::irrelevant_holes(&g, &a),
        vec![
            HoleId(0),
            HoleId(3),
            HoleId(6),
            HoleId(7),
            HoleId(8),
            HoleId(11)
        ]
    );
}

fn slot(name: &str, domain: weft_ir::DomainId) -> Slot {
    Slot {
        name: name.into(),
        decl: name.into(),
        index: vec![],
        domain,
    }
}

/// `y = x & h`, `observe !(x & !h)` (that is: h whenever x), `cost h` once, `cost y` per
/// example.
fn observed() -> Graph {
    let mut b = Builder::new("observed");
    let bd = b.bool_domain();
    let x = b.input(slot("x", bd));
    let h = b.hole_decl("h", vec![], bd, SrcSpan::default())[0];
    let y = b.apply_fn("&&", &[x, h], bd, |v| v[0] & v[1]);
    let implies = b.apply_fn("=>", &[x, h], bd, |v| u32::from(v[0] == 0 || v[1] == 1));
    b.output(slot("y", bd), y);
    b.observe(implies, SrcSpan::default());
    b.cost(h, vec![0, 10], SrcSpan::default());
    b.cost(y, vec![0, 1], SrcSpan::default());
    b.finish()
}

#[test]
fn observations_and_costs_once_and_per_example() {
    let g = observed();
    assert!(g.costs[0].once && !g.costs[1].once);
    let mut ex = Examples::with_slots(1, 1);
    for x in [0, 1, 1, 0, 1] {
        ex.push(&[x], &[None], "");
    }
    let mut ev = Evaluator::new(&g).unwrap();
    let r = ev.evaluate(&g, &Assignment(vec![0]), &ex).unwrap();
    assert_eq!(
        r.failed_observations,
        vec![vec![], vec![0], vec![0], vec![], vec![0]]
    );
    assert_eq!(r.passed, vec![true, false, false, true, false]);
    assert_eq!(r.cost, 0);
    assert!(!ev.passes_all(&g, &Assignment(vec![0]), &ex).unwrap());
    let r = ev.evaluate(&g, &Assignment(vec![1]), &ex).unwrap();
    assert!(r.all_passed);
    // Once: 10; per example: y = x, true on three examples.
    assert_eq!(r.cost, 13);
    assert!(ev.passes_all(&g, &Assignment(vec![1]), &ex).unwrap());
    // No examples: only the once-cost counts, and everything passes vacuously.
    let none = Examples::with_slots(1, 1);
    let r = ev.evaluate(&g, &Assignment(vec![1]), &none).unwrap();
    assert_eq!((r.cost, r.all_passed, r.passed.len()), (10, true, 0));
}

/// A per-example cost of 2^62 sums beyond `i64` over two examples: the evaluator refuses the
/// examples (it saturated to `i64::MAX` before), and the bounds are exact in `i128`.
#[test]
fn a_total_cost_beyond_i64_is_refused_not_saturated() {
    let mut b = Builder::new("big");
    let bd = b.bool_domain();
    let x = b.input(slot("x", bd));
    let h = b.hole_decl("h", vec![], bd, SrcSpan::default())[0];
    let y = b.apply_fn("&&", &[x, h], bd, |v| v[0] & v[1]);
    b.cost(y, vec![0, 1 << 62], SrcSpan::default());
    b.cost(h, vec![-5, 0], SrcSpan::default());
    let g = b.finish();
    assert_eq!(g.cost_bounds(3), (-5, 3 << 62));
    let mut ex = Examples::with_slots(1, 0);
    ex.push(&[1], &[], "");
    let mut ev = Evaluator::new(&g).unwrap();
    assert_eq!(
        ev.evaluate(&g, &Assignment(vec![1]), &ex).unwrap().cost,
        1 << 62
    );
    ex.push(&[1], &[], "");
    let e = ev.evaluate(&g, &Assignment(vec![1]), &ex).unwrap_err();
    assert!(
        matches!(e, weft_ir::EvalError::CostRange { max, examples: 2, .. } if max == 2i128 << 62),
        "{e}"
    );
    assert!(e.to_string().contains("beyond 64-bit integers"), "{e}");
}

#[test]
fn dont_care_outputs_are_ignored() {
    let g = circuit(2, 1, 2);
    // Gate 0: w1 = and(w0, w1); outputs [w0, w0 & w1].
    let a = Assignment(vec![0, 0, 1, 1]);
    let mut ex = Examples::with_slots(2, 2);
    ex.push(&[1, 1], &[None, Some(1)], "");
    ex.push(&[1, 0], &[Some(1), None], "");
    ex.push(&[0, 1], &[None, None], "");
    let mut ev = Evaluator::new(&g).unwrap();
    assert!(ev.passes_all(&g, &a, &ex).unwrap());
    let r = ev.evaluate(&g, &a, &ex).unwrap();
    assert_eq!(r.outputs, vec![vec![1, 1, 0], vec![1, 0, 0]]);
    ex.expected[1][2] = Some(1);
    assert!(!ev.passes_all(&g, &a, &ex).unwrap());
}

/// A chain of bools without inputs whose observations are the whole specification:
/// `x[i] != x[i + 1]` and `x[0]`.
fn parity_chain(n: usize) -> Graph {
    let mut b = Builder::new("parity");
    let bd = b.bool_domain();
    let x = b.hole_decl("x", vec![n as u32], bd, SrcSpan::default());
    b.observe(x[0], SrcSpan::default());
    for i in 0..n - 1 {
        let ne = b.apply_fn("!=", &[x[i], x[i + 1]], bd, |v| u32::from(v[0] != v[1]));
        b.observe(ne, SrcSpan::default());
    }
    b.output(slot("last", bd), x[n - 1]);
    b.cost(x[1], vec![0, 1], SrcSpan::default());
    b.finish()
}

#[test]
fn sketch_without_inputs_has_one_empty_example() {
    let g = parity_chain(4);
    let ex = Examples::with_slots(0, 1);
    let mut ev = Evaluator::new(&g).unwrap();
    let good = Assignment(vec![1, 0, 1, 0]);
    let r = ev.evaluate(&g, &good, &ex).unwrap();
    assert_eq!(r.passed, vec![true]);
    assert_eq!(r.outputs, vec![vec![0]]);
    assert_eq!(r.cost, 0);
    assert!(ev.passes_all(&g, &good, &ex).unwrap());
    let bad = Assignment(vec![1, 1, 0, 0]);
    let r = ev.evaluate(&g, &bad, &ex).unwrap();
    assert_eq!(r.failed_observations, vec![vec![1, 3]]);
    assert_eq!(r.cost, 1);
    assert!(!ev.passes_all(&g, &bad, &ex).unwrap());
    // An explicit example with an expected output is used as given.
    let mut ex = Examples::with_slots(0, 1);
    ex.push(&[], &[Some(1)], "");
    assert!(!ev.passes_all(&g, &good, &ex).unwrap());
}

#[test]
fn dump_of_the_circuit_counts_its_nodes() {
    let g = circuit(3, 1, 2);
    let d = weft_ir::dump(&g);
    assert!(d.starts_with("graph circuit (numWires = 3, numGates = 1, numOutputs = 2)\n"));
    assert!(d.contains("  search space: 135 (4 holes)\n"), "{d}");
}
