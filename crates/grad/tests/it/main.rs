//! Integration tests of the gradient solvers: gradients against finite differences, and the
//! methods on small, seeded runs (deterministic assertions, no timings).

use weft_grad::{run, Config, Kernel, Method, RestartOutcome};
use weft_ir::{Examples, Graph};
use weft_solve::{NoopObserver, Problem};

mod gradcheck;
mod random_sketches;

const PARITY: &str = include_str!("../../../../benchmarks/terpret/parity_chain.wft");
const CIRCUIT: &str = include_str!("../../../../benchmarks/terpret/circuit.wft");

/// Compiles a sketch (with `--set` overrides and optional TerpreT data/hypers files).
pub fn compile(text: &str, set: &[(&str, i64)], data: Option<(&str, &str)>) -> (Graph, Examples) {
    let mut map = weft_syntax::SourceMap::new();
    let file = map.add("sketch.wft", text);
    let mut overrides: Vec<(String, i64)> = Vec::new();
    if let Some((_, hypers)) = data {
        let hf = map.add("hypers.json", hypers);
        overrides.extend(weft_sketch::examples::read_hypers(&map, hf, None).unwrap());
    }
    overrides.extend(set.iter().map(|(k, v)| (k.to_string(), *v)));
    let c = weft_sketch::compile(&map, file, &weft_sketch::Config { overrides }).unwrap();
    let mut ex = c.examples.clone();
    if let Some((d, _)) = data {
        let df = map.add("data.json", d);
        let (e, _) = weft_sketch::examples::file_examples(&c.lowered, &map, df, None).unwrap();
        ex = e;
    }
    (c.graph, ex)
}

pub fn parity(k: i64) -> (Graph, Examples) {
    compile(PARITY, &[("K", k)], None)
}

pub fn nand() -> (Graph, Examples) {
    compile(
        CIRCUIT,
        &[],
        Some((
            include_str!("../../../../benchmarks/terpret/data/circuit_nand_data.json"),
            include_str!("../../../../benchmarks/terpret/data/circuit_nand_hypers.json"),
        )),
    )
}

pub fn swap() -> (Graph, Examples) {
    compile(
        CIRCUIT,
        &[],
        Some((
            include_str!("../../../../benchmarks/terpret/data/circuit_swap_data.json"),
            include_str!("../../../../benchmarks/terpret/data/circuit_swap_hypers.json"),
        )),
    )
}

#[test]
fn gradsearch_ra_solves_parity_16_in_every_restart() {
    let (g, ex) = parity(16);
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    let cfg = Config::new(Method::GradSearchRa)
        .with_restarts(10)
        .with_steps(2000)
        .with_seed(7);
    let r = run(&p, &cfg, &mut NoopObserver).unwrap();
    assert_eq!(r.solved(), 10, "{:?}", r.restarts);
}

#[test]
fn every_success_passes_the_exact_evaluator() {
    let (g, ex) = nand();
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    let mut ev = weft_ir::Evaluator::new(&g).unwrap();
    for m in Method::ALL {
        let cfg = Config::new(m).with_restarts(4).with_steps(300).with_seed(3);
        let r = run(&p, &cfg, &mut NoopObserver).unwrap();
        for res in &r.restarts {
            if let RestartOutcome::Solved { assignment, .. } = &res.outcome {
                assert!(ev.passes_all(&g, assignment, &ex).unwrap(), "{m}");
            }
        }
    }
}

#[test]
fn runs_are_reproducible_from_the_seed() {
    let (g, ex) = parity(8);
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    for m in Method::ALL {
        let cfg = Config::new(m)
            .with_restarts(5)
            .with_steps(100)
            .with_seed(11);
        let a = run(&p, &cfg, &mut NoopObserver).unwrap();
        let b = run(&p, &cfg, &mut NoopObserver).unwrap();
        assert_eq!(a.restarts.len(), b.restarts.len());
        for (x, y) in a.restarts.iter().zip(&b.restarts) {
            assert_eq!(
                std::mem::discriminant(&x.outcome),
                std::mem::discriminant(&y.outcome),
                "{m}"
            );
            if let (
                RestartOutcome::Solved {
                    step: s1,
                    assignment: a1,
                    ..
                },
                RestartOutcome::Solved {
                    step: s2,
                    assignment: a2,
                    ..
                },
            ) = (&x.outcome, &y.outcome)
            {
                assert_eq!((s1, a1), (s2, a2), "{m}");
            }
        }
    }
}

#[test]
fn restart_trajectories_do_not_depend_on_the_batch_size() {
    let (g, ex) = parity(12);
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    let small = Config::new(Method::GradSearchRa)
        .with_restarts(3)
        .with_steps(400)
        .with_seed(5);
    let big = small.clone().with_restarts(9);
    let a = run(&p, &small, &mut NoopObserver).unwrap();
    let b = run(&p, &big, &mut NoopObserver).unwrap();
    for (x, y) in a.restarts.iter().zip(&b.restarts) {
        match (&x.outcome, &y.outcome) {
            (RestartOutcome::Solved { step: s1, .. }, RestartOutcome::Solved { step: s2, .. }) => {
                assert_eq!(s1, s2)
            }
            (o1, o2) => assert_eq!(o1, o2),
        }
    }
}

#[test]
fn gradsearch_plus_solves_nand() {
    let (g, ex) = nand();
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    let cfg = Config::new(Method::GradSearchPlus)
        .with_restarts(10)
        .with_steps(2000)
        .with_seed(1);
    let r = run(&p, &cfg, &mut NoopObserver).unwrap();
    assert_eq!(r.solved(), 10);
}

#[test]
fn bad_hyperparameters_are_rejected() {
    let (g, ex) = parity(4);
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    let mut bad = vec![];
    let mut c = Config::new(Method::GradSearchRa);
    c.beta = 1.0;
    bad.push((c, "--beta"));
    let mut c = Config::new(Method::GradSearchRa);
    c.beta = 0.0;
    bad.push((c, "--beta"));
    let mut c = Config::new(Method::Bop);
    c.gamma = -0.1;
    bad.push((c, "--gamma"));
    let mut c = Config::new(Method::Bop);
    c.tau = -1.0;
    bad.push((c, "--tau"));
    bad.push((Config::new(Method::Fmgd).with_restarts(0), "--restarts"));
    let mut c = Config::new(Method::Fmgd);
    c.lr = f32::NAN;
    bad.push((c, "--lr"));
    for (c, flag) in bad {
        let e = run(&p, &c, &mut NoopObserver).unwrap_err().to_string();
        assert!(e.contains(flag), "{e}");
    }
}

#[test]
fn non_finite_losses_are_reported_per_restart_never_as_success() {
    // Costs weighted by the largest f32: the expected cost overflows to infinity.
    let text = "hole x: [bool; 3];
        sketch s() { observe x[0] && x[1] && x[2]; cost x[0]; cost x[1]; cost x[2]; }";
    let (g, ex) = compile(text, &[], None);
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    let mut c = Config::new(Method::Fmgd)
        .with_restarts(8)
        .with_steps(50)
        .with_seed(2);
    c.cost_weight = f32::MAX;
    let r = run(&p, &c, &mut NoopObserver).unwrap();
    let mut ev = weft_ir::Evaluator::new(&g).unwrap();
    for res in &r.restarts {
        match &res.outcome {
            RestartOutcome::NonFinite { step } => assert_eq!(*step, 0),
            // A success is only ever the exact evaluator's verdict.
            RestartOutcome::Solved { assignment, .. } => {
                assert!(ev.passes_all(&g, assignment, &ex).unwrap())
            }
            // Restarts whose expected cost stayed below 1 stay finite and just fail.
            RestartOutcome::Unsolved => assert!(res.final_loss.is_finite()),
        }
    }
    assert!(r.non_finite() > 0);
}

#[test]
fn kernel_loss_is_zero_on_a_correct_one_hot_program() {
    let (g, ex) = swap();
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    // Find an answer exactly, then check the relaxed loss there is ~0.
    let out =
        weft_solve::Solve::solve(&mut weft_solve::Enumerate::default(), &p, &mut NoopObserver)
            .unwrap();
    let a = out.assignment().unwrap().clone();
    let mut k = Kernel::new(&g, &ex, 2, 1e-12, 0.0).unwrap();
    let mut probs = vec![0.0; 2 * k.dims()];
    for r in 0..2 {
        for (h, &(off, _)) in k.hole_layout().iter().enumerate() {
            probs[r * k.dims() + off + a.0[h] as usize] = 1.0;
        }
    }
    k.set_holes(&probs);
    let l = k.forward().to_vec();
    assert!(l.iter().all(|&x| x.abs() < 1e-4), "{l:?}");
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let (g, ex) = parity(12);
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    // 40 restarts on two threads are split 16 + 24 (chunk boundaries on whole vectors).
    let cases = [Method::Fmgd, Method::Ste, Method::Bop, Method::GradSearchRa]
        .into_iter()
        .flat_map(|m| [(m, 7, 3), (m, 40, 2)]);
    for (m, restarts, threads) in cases {
        let one = Config::new(m)
            .with_restarts(restarts)
            .with_steps(300)
            .with_seed(4)
            .with_threads(1);
        let a = run(&p, &one, &mut NoopObserver).unwrap();
        let b = run(&p, &one.clone().with_threads(threads), &mut NoopObserver).unwrap();
        assert_eq!(a.steps_run, b.steps_run, "{m}");
        assert_eq!(a.restart_steps, b.restart_steps, "{m}");
        for (x, y) in a.restarts.iter().zip(&b.restarts) {
            assert_same_end(x, y, m);
        }
    }
}

/// Two runs of one restart ended alike: the same outcome (a success at the same step with the
/// same program; the time differs) and, bit for bit, the same final loss.
fn assert_same_end(x: &weft_grad::RestartResult, y: &weft_grad::RestartResult, m: Method) {
    match (&x.outcome, &y.outcome) {
        (
            RestartOutcome::Solved {
                step: s1,
                assignment: a1,
                ..
            },
            RestartOutcome::Solved {
                step: s2,
                assignment: a2,
                ..
            },
        ) => assert_eq!((s1, a1), (s2, a2), "{m}"),
        (o1, o2) => assert_eq!(o1, o2, "{m}"),
    }
    assert_eq!(x.final_loss.to_bits(), y.final_loss.to_bits(), "{m}");
}

/// A restart's trajectory does not depend on the restarts batched with it, nor on the padding
/// columns that round a chunk up to whole vectors (3 restarts are not padded; 17 and 21 are,
/// to 24 columns with AVX2 or 32 with AVX-512): restart `i` of a small batch ends exactly as
/// restart `i` of larger ones, for every method.
#[test]
fn a_restart_does_not_depend_on_its_batch_or_the_padding() {
    let (g, ex) = parity(10);
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    for m in Method::ALL {
        let small = Config::new(m)
            .with_restarts(3)
            .with_steps(200)
            .with_seed(11)
            .with_threads(1);
        let a = run(&p, &small, &mut NoopObserver).unwrap();
        for larger in [17, 21] {
            let b = run(&p, &small.clone().with_restarts(larger), &mut NoopObserver).unwrap();
            for (x, y) in a.restarts.iter().zip(&b.restarts) {
                assert_same_end(x, y, m);
            }
        }
    }
}

#[test]
fn the_discrete_sweep_agrees_with_the_exact_evaluator() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    for (g, ex) in [nand(), swap(), parity(6)] {
        let r = 16;
        let mut k = Kernel::new(&g, &ex, r, 1e-12, 0.0).unwrap();
        let layout = k.hole_layout();
        let mut ev = weft_ir::Evaluator::new(&g).unwrap();
        for _ in 0..20 {
            let mut prog = vec![0u32; layout.len() * r];
            for (h, &(_, size)) in layout.iter().enumerate() {
                for c in 0..r {
                    prog[h * r + c] = rng.random_range(0..size as u32);
                }
            }
            let mut viol = vec![0u32; r];
            k.violations(&prog, &mut viol);
            for c in 0..r {
                let a = weft_ir::Assignment((0..layout.len()).map(|h| prog[h * r + c]).collect());
                assert_eq!(viol[c] == 0, ev.passes_all(&g, &a, &ex).unwrap());
            }
        }
    }
}

#[test]
fn the_one_hot_promise_changes_no_bit_and_gathered_sweeps_agree() {
    // `Kernel::set_one_hot` skips tests and divisions on one-hot values: the loss and every
    // gradient must be bit for bit the same, with unit and with other example weights; and
    // the sweep of gathered columns must give each column its own verdict.
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    for (g, ex) in [nand(), swap(), parity(6)] {
        let r = 16;
        let mut k = Kernel::new(&g, &ex, r, 1e-12, 0.0).unwrap();
        let (d, e) = (k.dims(), k.examples());
        let layout = k.hole_layout();
        for round in 0..10 {
            if round >= 5 {
                for w in k.weights_mut() {
                    *w = rng.random_range(0.5..3.0);
                }
            }
            let mut probs = vec![0f32; r * d];
            let mut prog = vec![0u32; layout.len() * r];
            for c in 0..r {
                for (h, &(off, size)) in layout.iter().enumerate() {
                    let v = rng.random_range(0..size);
                    probs[c * d + off + v] = 1.0;
                    prog[h * r + c] = v as u32;
                }
            }
            let mut out = Vec::new();
            for one_hot in [false, true] {
                k.set_one_hot(one_hot);
                k.set_holes(&probs);
                let loss: Vec<u32> = k.forward().iter().map(|x| x.to_bits()).collect();
                let mut grad = vec![0f32; r * d];
                k.backward(&mut grad);
                out.push((loss, grad.iter().map(|x| x.to_bits()).collect::<Vec<_>>()));
            }
            assert_eq!(out[0], out[1], "round {round}, {e} examples");
            let mut all = vec![0u32; r];
            k.violations(&prog, &mut all);
            let cols: Vec<usize> = (0..r).filter(|_| rng.random::<bool>()).collect();
            let mut some = vec![0u32; r];
            k.violations_of(&prog, &cols, &mut some);
            for (j, &c) in cols.iter().enumerate() {
                assert_eq!(some[j], all[c]);
            }
        }
    }
}

#[test]
fn a_satisfied_observation_pulls_on_nothing_at_a_one_hot_point() {
    // PyTorch's binary cross entropy: the gradient at p = 1 is 0, not −1 (what STE's latent
    // logits see of an observation that holds).
    let (g, ex) = parity(4);
    let mut k = Kernel::new(&g, &ex, 1, 1e-12, 0.0).unwrap();
    let d = k.dims();
    let mut probs = vec![0.0; d];
    for &(off, _) in &k.hole_layout() {
        probs[off] = 1.0; // every bit false: the solution
    }
    k.set_holes(&probs);
    assert_eq!(k.forward()[0], 0.0);
    let mut grad = vec![f32::NAN; d];
    k.backward(&mut grad);
    assert!(grad.iter().all(|&x| x == 0.0), "{grad:?}");
}

#[test]
fn the_loss_is_the_sum_of_minus_log_probabilities() {
    // The kernel takes one ln per product of probabilities; compare with the sum of logs in
    // f64 on the parity chain (chain[0] = false, chain[i] = x[i − 1], every bit equals the
    // next), for a few restarts with different distributions.
    let k = 40;
    let (g, ex) = parity(k);
    let r = 3;
    let mut kern = Kernel::new(&g, &ex, r, 1e-12, 0.0).unwrap();
    let d = kern.dims();
    let mut probs = vec![0f32; r * d];
    for c in 0..r {
        for (h, &(off, _)) in kern.hole_layout().iter().enumerate() {
            let p1 = ((h * 7 + c * 3) % 10) as f32 / 10.0 + 0.05;
            probs[c * d + off] = 1.0 - p1;
            probs[c * d + off + 1] = p1;
        }
    }
    kern.set_holes(&probs);
    let loss = kern.forward().to_vec();
    for c in 0..r {
        let bit = |i: usize| -> f64 {
            if i == 0 {
                0.0
            } else {
                probs[c * d + kern.hole_layout()[i - 1].0 + 1] as f64
            }
        };
        let want: f64 = (0..k as usize)
            .map(|i| {
                let (a, b) = (bit(i), bit((i + 1) % k as usize));
                -(a * b + (1.0 - a) * (1.0 - b)).ln()
            })
            .sum();
        assert!(
            (loss[c] as f64 - want).abs() < 1e-4 * want,
            "{c}: {} vs {want}",
            loss[c]
        );
    }
}

#[test]
fn a_batch_too_large_for_memory_is_refused_before_allocating() {
    let (g, ex) = parity(256);
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    let c = Config::new(Method::Fmgd)
        .with_restarts(1 << 40)
        .with_steps(1);
    match run(&p, &c, &mut NoopObserver) {
        Err(e @ weft_grad::GradError::TooLarge { .. }) => {
            assert!(e.to_string().contains("--restarts"), "{e}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_neural_network_too_large_for_memory_is_refused_before_allocating() {
    let (g, ex) = parity(8);
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    // 10 restarts of a 100 000-unit hidden layer: 10^11 weights, far beyond any machine.
    let mut c = Config::new(Method::Neural).with_restarts(10).with_steps(1);
    c.hidden = 100_000;
    match run(&p, &c, &mut NoopObserver) {
        Err(e @ weft_grad::GradError::TooLarge { .. }) => {
            assert!(e.to_string().contains("--hidden"), "{e}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn smoothing_too_large_for_the_widest_hole_is_refused() {
    // The circuit's gate holes have 5 values: the current one gets 1 − 4·smooth, which must
    // stay above smooth (0.2 gave it 0.2, no longer the largest; 0.3 made it negative).
    let (g, ex) = nand();
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    for smooth in [0.2f32, 0.3] {
        let mut c = Config::new(Method::GradSearchPlus)
            .with_restarts(2)
            .with_steps(1);
        c.smooth = smooth;
        match run(&p, &c, &mut NoopObserver) {
            Err(e @ weft_grad::GradError::BadHyper(_)) => {
                assert!(e.to_string().contains("below 1/5"), "{e}")
            }
            other => panic!("smooth {smooth}: expected a refusal, got {other:?}"),
        }
    }
    let mut c = Config::new(Method::GradSearchPlus)
        .with_restarts(2)
        .with_steps(1);
    c.smooth = 0.1;
    assert!(run(&p, &c, &mut NoopObserver).is_ok());
}
