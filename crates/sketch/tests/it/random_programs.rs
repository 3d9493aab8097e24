//! Randomised differential test of lowering: random well-formed sketches (`weft-testkit`),
//! printed as text and lowered by weft, agree with the reference interpreter written there from
//! `docs/language.md`. For random hole values and inputs, weft's graph run by the exact
//! evaluator must give the same outputs, the same verdict on the observations and the same
//! total cost as the interpreter.
//!
//! Every case is reproducible from its seed: `WEFT_FUZZ_SEED=s WEFT_FUZZ_CASES=1` runs seed
//! `s` alone; `WEFT_FUZZ_CASES=n` runs more sketches (the default keeps CI fast).

use weft_ir::{Assignment, Evaluator, Examples, Moves};
use weft_testkit::{flatten, interpret, output_types, overrides, random_val, seeded, Seeded, Val};

use crate::lowering::compile_str;

// ---------------------------------------------------------------- the property

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// Compiles the sketch of `seed` and compares weft with the interpreter on random holes and
/// inputs; returns the number of (holes, inputs) runs compared.
fn check_seed(seed: u64) -> usize {
    let Seeded { mut rng, p, text } = seeded(seed);
    if std::env::var_os("WEFT_FUZZ_PRINT").is_some() {
        eprintln!("// seed {seed}\n{text}");
    }
    let overrides = overrides(&p, &text);
    let c = compile_str(&text, &overrides).unwrap_or_else(|e| {
        panic!("seed {seed}: a well-formed sketch is refused:\n{e}\n{text}\nset {overrides:?}")
    });
    let g = &c.graph;
    let out_tys = output_types(&p);
    let mut ev = Evaluator::new(g).expect("a well-formed graph");
    // Incremental failure counts (`failures_near`), checked against `ev`'s.
    let mut near = Evaluator::new(g).expect("a well-formed graph");
    let mut runs = 0;
    let empty = Examples::with_slots(g.inputs.len(), g.outputs.len());
    for _ in 0..6 {
        let holes: Vec<Val> = p
            .holes
            .iter()
            .map(|(_, t)| random_val(&mut rng, &p, t))
            .collect();
        let mut hv = Vec::new();
        for (h, (_, t)) in holes.iter().zip(&p.holes) {
            flatten(h, t, &mut hv);
        }
        assert_eq!(g.holes.len(), hv.len(), "seed {seed}: hole count\n{text}");
        let assignment = Assignment(hv.clone());
        // All the examples of this assignment, evaluated together afterwards.
        let mut all = Examples::with_slots(g.inputs.len(), g.outputs.len());
        let mut singles: Vec<(Vec<u32>, bool, i64)> = Vec::new();
        // Now and then more examples than one evaluator block holds (64).
        let n_examples = if seed % 16 == 0 { 70 } else { 4 };
        for _ in 0..n_examples {
            let inputs: Vec<Val> = p
                .inputs
                .iter()
                .map(|(_, t)| random_val(&mut rng, &p, t))
                .collect();
            let mut iv = Vec::new();
            for (x, (_, t)) in inputs.iter().zip(&p.inputs) {
                flatten(x, t, &mut iv);
            }
            assert_eq!(g.inputs.len(), iv.len(), "seed {seed}: input count\n{text}");
            let (outs, ok, cost) = interpret(&p, &holes, &inputs);
            let mut want = Vec::new();
            for (o, t) in outs.iter().zip(&out_tys) {
                flatten(o, t, &mut want);
            }
            let mut ex = Examples::with_slots(g.inputs.len(), g.outputs.len());
            ex.push(&iv, &vec![None; g.outputs.len()], "random");
            let e = ev
                .evaluate(g, &assignment, &ex)
                .unwrap_or_else(|e| panic!("seed {seed}: {e}\n{text}"));
            let got: Vec<u32> = e.outputs.iter().map(|col| col[0]).collect();
            let got_ok = e.failed_observations[0].is_empty();
            assert!(
                got == want && got_ok == ok && e.cost == cost && e.passed[0] == ok,
                "seed {seed}: weft and the reference interpreter disagree\n{text}\n\
                 holes {holes:?} (indices {hv:?})\ninputs {inputs:?} (indices {iv:?})\n\
                 expected: outputs {want:?}, observations hold {ok}, cost {cost}\n\
                 weft:     outputs {got:?}, observations hold {got_ok} (failed {:?}), cost {}",
                e.failed_observations[0],
                e.cost
            );
            runs += 1;
            all.push(
                &iv,
                &want.iter().map(|&v| Some(v)).collect::<Vec<_>>(),
                "random",
            );
            singles.push((want, ok, cost));
        }
        if p.inputs.is_empty() {
            continue;
        }
        // Together: the same outputs and observations per example; the once-costs (those
        // that depend on no input: what zero examples cost) counted once, the rest per example.
        let once = ev.evaluate(g, &assignment, &empty).expect("evaluates").cost;
        let e = ev.evaluate(g, &assignment, &all).expect("evaluates");
        for (k, (want, ok, _)) in singles.iter().enumerate() {
            let got: Vec<u32> = e.outputs.iter().map(|col| col[k]).collect();
            assert!(
                &got == want && e.failed_observations[k].is_empty() == *ok && e.passed[k] == *ok,
                "seed {seed}: example {k} of {} evaluated together differs\n{text}",
                singles.len()
            );
        }
        let total: i64 = singles.iter().map(|s| s.2).sum();
        let n = singles.len() as i64;
        assert_eq!(
            e.cost,
            total - (n - 1) * once,
            "seed {seed}: cost of {n} examples together (once-costs {once})\n{text}"
        );
        // The solvers' fast path agrees (expected outputs: the reference's).
        let all_ok = singles.iter().all(|s| s.1);
        let fast = ev.passes_all(g, &assignment, &all).expect("evaluates");
        assert_eq!(fast, all_ok, "seed {seed}: passes_all\n{text}");
        // The local search's failure count (every output matches here, so it counts the false
        // observations), in full and incrementally: from the previous assignment (a move of
        // every hole), then one- and two-hole moves from this one.
        let want: u64 = e.failed_observations.iter().map(|f| f.len() as u64).sum();
        let full = ev.failures(g, &assignment, &all).expect("evaluates");
        assert_eq!(full, want, "seed {seed}: failures\n{text}");
        let keep = rng.below(2) == 0;
        // `all` is new: the previous base's count does not carry over.
        let got = near
            .failures_near(g, &assignment, &all, None, keep)
            .expect("evaluates");
        assert_eq!(
            got, want,
            "seed {seed}: failures_near (keep {keep})\n{text}"
        );
        let base = near
            .failures_near(g, &assignment, &all, None, true)
            .expect("evaluates");
        assert_eq!(base, want, "seed {seed}: failures_near as the base\n{text}");
        let sizes: Vec<u32> = g.holes.iter().map(|h| g.domain(h.domain).size).collect();
        for moves in [1, 1, 2, 2] {
            if sizes.is_empty() {
                break;
            }
            let mut nb = assignment.clone();
            for _ in 0..moves {
                let h = rng.below(sizes.len());
                nb.0[h] = rng.below(sizes[h] as usize) as u32;
            }
            let want = ev.failures(g, &nb, &all).expect("evaluates");
            let got = near
                .failures_near(g, &nb, &all, Some(base), false)
                .expect("evaluates");
            assert_eq!(
                got, want,
                "seed {seed}: failures_near of {nb:?} from {hv:?}\n{text}"
            );
        }
        // The same through `Moves` (change propagation): chains of one- to three-hole moves,
        // each accepted or undone at random.
        let mut m = Moves::new(g, &assignment, &all).expect("evaluates");
        assert_eq!(m.failures(), base, "seed {seed}: Moves::new\n{text}");
        let mut model = assignment.clone();
        for _ in 0..6 {
            if sizes.is_empty() {
                break;
            }
            let changes: Vec<(u32, u32)> = (0..1 + rng.below(3))
                .map(|_| {
                    let h = rng.below(sizes.len());
                    (h as u32, rng.below(sizes[h] as usize) as u32)
                })
                .collect();
            let before = model.clone();
            for &(h, v) in &changes {
                model.0[h as usize] = v;
            }
            let got = m.try_move(g, &changes).expect("evaluates");
            let want = ev.failures(g, &model, &all).expect("evaluates");
            assert_eq!(
                got, want,
                "seed {seed}: Moves by {changes:?} from {before:?}\n{text}"
            );
            if rng.below(2) == 0 {
                m.undo();
                model = before;
                let want = ev.failures(g, &model, &all).expect("evaluates");
                assert_eq!(
                    m.failures(),
                    want,
                    "seed {seed}: Moves undo to {model:?}\n{text}"
                );
            }
        }
    }
    runs
}

#[test]
fn random_sketches_agree_with_the_reference_interpreter() {
    let cases = env_u64("WEFT_FUZZ_CASES").unwrap_or(3000);
    let first = env_u64("WEFT_FUZZ_SEED").unwrap_or(0);
    let start = std::time::Instant::now();
    let mut runs = 0;
    for seed in first..first + cases {
        runs += check_seed(seed);
    }
    eprintln!(
        "{cases} random sketches, {runs} runs compared in {:.1?}",
        start.elapsed()
    );
    assert!(runs >= cases as usize);
}
