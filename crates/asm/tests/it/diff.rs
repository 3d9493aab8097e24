use proptest::prelude::*;
use weft_asm::compile::{compile, decompile, random_logits, weights_from_json, weights_to_json};
use weft_asm::diff::{DiffMachine, LossConfig, Shape};
use weft_asm::machine::run;
use weft_asm::program::parse;
use weft_asm::rng::Rng;
use weft_asm::task;

use crate::lang::arb_program;

/// The central finite difference (step 0.01) of the loss of parameter `i`'s run with respect
/// to that parameter (`np` parameters per run).
fn central_difference(dm: &DiffMachine, w: &[f32], i: usize, runs: usize, np: usize) -> f32 {
    let h = 1e-2f32;
    let mut wp = w.to_vec();
    wp[i] += h;
    let mut wm = w.to_vec();
    wm[i] -= h;
    let run = i / np;
    (dm.loss(&wp, runs)[run] - dm.loss(&wm, runs)[run]) / (2.0 * h)
}

#[test]
fn noiseless_compilation_matches_the_exact_machine() {
    let mut rng = Rng::new(3);
    for t in task::all() {
        let p = t.reference_program().unwrap();
        let shape = Shape {
            lines: p.len(),
            registers: t.machine.registers,
        };
        let w = compile(&p, &shape, 0.0, &mut rng).unwrap();
        let dm = DiffMachine::new(t.machine, shape, LossConfig::default(), vec![]).unwrap();
        for ex in t.examples(5, &mut rng) {
            let exact = run(&t.machine, &p, &ex.input).unwrap();
            let (regs, mem, halt) = dm.final_state(&w, &ex.input).unwrap();
            let b = t.machine.base;
            for (x, &v) in exact.memory.iter().enumerate() {
                assert!(
                    mem[x * b + v] > 0.95,
                    "task {} cell {x}: {}",
                    t.name,
                    mem[x * b + v]
                );
            }
            for (r, &v) in exact.registers.iter().enumerate() {
                assert!(regs[r * b + v] > 0.95, "task {} register {r}", t.name);
            }
            assert!(
                (halt - if exact.halted { 1.0 } else { 0.0 }).abs() < 5e-2,
                "task {}",
                t.name
            );
        }
    }
}

#[test]
fn gradients_match_finite_differences() {
    // f64 finite differences of an f32 loss: small machine, moderate logits.
    for (ti, name) in ["reduce", "fibonacci", "access", "list-k"]
        .iter()
        .enumerate()
    {
        let t = task::get(name).unwrap();
        let mut m = t.machine;
        m.steps = m.steps.min(12);
        let mut rng = Rng::new(11 + ti as u64);
        let p = t.reference_program().unwrap();
        let shape = Shape {
            lines: p.len(),
            registers: m.registers,
        };
        let runs = 2;
        let mut w = compile(&p, &shape, 0.8, &mut rng).unwrap();
        w.extend(random_logits(&shape, &mut rng));
        let ex = t.examples(2, &mut rng);
        let dm = DiffMachine::new(m, shape, LossConfig { efficiency: 0.05 }, ex).unwrap();
        let mut g = vec![0.0; w.len()];
        let mut l = vec![0.0; runs];
        dm.loss_and_grad(&w, &mut g, &mut l);
        let base = dm.loss(&w, runs);
        for r in 0..runs {
            assert!((base[r] - l[r]).abs() < 1e-4 * (1.0 + l[r].abs()));
        }
        let np = shape.params();
        let mut checked = 0;
        for k in 0..80 {
            let i = (k * 7919 + ti * 31) % w.len();
            let fd = central_difference(&dm, &w, i, runs, np);
            let err = (fd - g[i]).abs();
            assert!(
                err < 2e-3 + 0.03 * g[i].abs().max(fd.abs()),
                "task {name} param {i}: analytic {} vs numeric {fd}",
                g[i]
            );
            checked += 1;
        }
        assert_eq!(checked, 80);
    }
}

#[test]
fn gradients_match_finite_differences_through_whole_loops() {
    // The tasks' full step budgets (24 and 29 steps: four or more trips around a loop, the jump
    // taken and not taken, mass wrapping around and halting), from a compiled loop, a loop of
    // no-ops and random logits. Every gradient entry large enough to rise above the f32 noise
    // of the finite difference is checked.
    let noop = parse("l:\nnoop\nnoop\nnoop\nnoop\njump 3 -> l\n", 4).unwrap();
    for (ti, name) in ["map-inc", "fibonacci"].iter().enumerate() {
        let t = task::get(name).unwrap();
        let p = t.reference_program().unwrap();
        let shape = Shape {
            lines: p.len(),
            registers: t.machine.registers,
        };
        let mut rng = Rng::new(21 + ti as u64);
        let mut w = compile(&p, &shape, 0.3, &mut rng).unwrap();
        let mut q = noop.clone();
        while q.len() < p.len() {
            q.instrs.insert(0, q.instrs[0]);
        }
        w.extend(compile(&q, &shape, 0.3, &mut rng).unwrap());
        w.extend(random_logits(&shape, &mut rng));
        let runs = 3;
        let ex = t.examples(2, &mut rng);
        let dm = DiffMachine::new(t.machine, shape, LossConfig::default(), ex).unwrap();
        let mut g = vec![0.0; w.len()];
        let mut l = vec![0.0; runs];
        dm.loss_and_grad(&w, &mut g, &mut l);
        let np = shape.params();
        let mut checked = 0;
        for (i, &gi) in g.iter().enumerate() {
            let fd = central_difference(&dm, &w, i, runs, np);
            let big = gi.abs().max(fd.abs());
            if big < 5e-3 {
                continue;
            }
            assert!(
                (fd - gi).abs() < 2e-3 + 0.03 * big,
                "task {name} run {} param {}: analytic {gi} vs numeric {fd}",
                i / np,
                i % np
            );
            checked += 1;
        }
        assert!(checked > 100, "{name}: only {checked} entries checked");
    }
}

#[test]
fn unused_fields_compile_to_no_choice() {
    let shape = Shape {
        lines: 1,
        registers: 4,
    };
    let p = parse("noop\n", 4).unwrap();
    let w = compile(&p, &shape, 0.0, &mut Rng::new(1)).unwrap();
    let (o, n) = shape.head(1);
    assert!(w[o..o + n].iter().all(|&x| x == w[o]));
    assert!(w[0] < w[1], "the instruction is still chosen");
}

#[test]
fn weight_files_of_the_wrong_shape_are_errors() {
    let t = task::get("map-inc").unwrap();
    let p = t.reference_program().unwrap();
    let shape = Shape {
        lines: p.len(),
        registers: 4,
    };
    let w = compile(&p, &shape, 0.3, &mut Rng::new(1)).unwrap();
    let text = weights_to_json(&shape, &w);
    let (s2, w2) = weights_from_json(&text).unwrap();
    assert_eq!(s2, shape);
    assert_eq!(decompile(&s2, &w2).unwrap().0, p);
    assert!(weights_from_json("{}").is_err());
    assert!(weights_from_json("not json").is_err());
    assert!(weights_from_json(&text.replacen("\"lines\": 5", "\"lines\": 6", 1)).is_err());
    assert!(weights_from_json(&text.replacen("\"registers\": 4", "\"registers\": 3", 1)).is_err());
    assert!(decompile(&shape, &w[1..]).is_err());
    // Machines, examples and weight buffers that do not agree.
    let m = t.machine;
    let bad_shape = Shape {
        lines: 5,
        registers: 3,
    };
    assert!(DiffMachine::new(m, bad_shape, LossConfig::default(), vec![]).is_err());
    let bad = weft_asm::diff::Example {
        input: vec![9; 8],
        memory: vec![],
        registers: vec![],
    };
    assert!(DiffMachine::new(m, shape, LossConfig::default(), vec![bad]).is_err());
    let cfg = weft_asm::tune::TuneConfig::default();
    assert!(weft_asm::tune::tune(&m, shape, vec![0.0; 7], &[], &[], &cfg).is_err());
    let dm = DiffMachine::new(m, shape, LossConfig::default(), vec![]).unwrap();
    assert!(dm.final_state(&w, &[1, 2]).is_err());
    assert!(dm.final_state(&w[..3], &[0; 8]).is_err());
    // A program longer than the weights.
    let short = Shape {
        lines: 3,
        registers: 4,
    };
    assert!(compile(&p, &short, 0.0, &mut Rng::new(1)).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn compile_then_decompile_is_identity(p in arb_program(4, 10), seed in 0u64..1000, noise in 0.0f32..0.99) {
        let shape = Shape { lines: p.len(), registers: 4 };
        let w = compile(&p, &shape, noise, &mut Rng::new(seed)).unwrap();
        let (q, conf) = decompile(&shape, &w).unwrap();
        prop_assert_eq!(q, p);
        prop_assert!(conf.iter().all(|c| c.op > 0.0 && c.op <= 1.0));
    }
}

#[test]
fn compile_rejects_an_out_of_range_register_count() {
    // A huge count used to overflow `Shape::width` and index out of bounds.
    let p = parse("inc 1 1\n", 16).unwrap();
    for registers in [0, 17, usize::MAX] {
        let shape = Shape {
            lines: 1,
            registers,
        };
        let e = compile(&p, &shape, 0.3, &mut Rng::new(0)).unwrap_err();
        assert!(e.to_string().contains("registers must be in 1..=16"), "{e}");
    }
}

#[test]
fn compile_rejects_a_program_longer_than_a_weights_file() {
    let p = parse(&"inc 1 1\n".repeat(4097), 4).unwrap();
    let shape = Shape {
        lines: p.len(),
        registers: 4,
    };
    let e = compile(&p, &shape, 0.3, &mut Rng::new(0)).unwrap_err();
    assert!(e.to_string().contains("at most 4096 compile"), "{e}");
}
