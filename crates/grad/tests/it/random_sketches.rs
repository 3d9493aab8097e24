//! The relaxed semantics and the gradient methods on what real lowering produces: random
//! well-formed sketches from `weft-testkit` (runtime `if`/`match` as multiplexers, comparisons
//! and arithmetic as tables, observations and costs under path conditions and in loops,
//! runtime-indexed arrays, functions), lowered by weft, with examples from the reference
//! interpreter run on a hidden random program (as in `weft-sat`'s random sketches: some
//! outputs left unspecified, sometimes one expected output changed). For each sketch:
//!
//! 1. **Gradients**: the kernel's analytic gradient of the relaxed loss (observations, expected
//!    outputs, and expected costs with `--cost-weight` > 0, sometimes with example weights),
//!    taken through a softmax per hole, matches central finite differences in random logits
//!    (as `gradcheck.rs` does in the probabilities on the parity chain and the circuit; see
//!    [`check_gradients`] for why logits here).
//! 2. **One-hot points are the exact semantics**: with every hole one-hot, the loss is exactly
//!    `−ln ε` per violated observation (static ones once, per-example ones per example) and per
//!    mismatched expected output, plus the cost weight times the exact evaluator's cost; so it
//!    is 0 iff the evaluator passes every example (without costs). The output distributions are
//!    checked through the loss: with the evaluator's outputs as expected values they cost
//!    nothing (probability exactly 1), with any other value `−ln ε` each (probability 0).
//! 3. **No method panics or lies**: every method of `Method::ALL` runs a few steps of a few
//!    restarts; it returns a report (or, for GradSearch+ on a hole too wide for its smoothing,
//!    the documented refusal), every success passes the exact evaluator, and a restart that
//!    did not succeed ended on a finite loss or was reported as non-finite.
//!
//! Every case is reproducible from its seed: `WEFT_GRAD_FUZZ_SEED=s WEFT_GRAD_FUZZ_CASES=1`
//! runs seed `s` alone (`WEFT_FUZZ_PRINT=1` prints the sketch); `WEFT_GRAD_FUZZ_CASES=n` tries
//! more seeds (the default keeps `cargo test` fast).

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng};
use weft_grad::{run, Config, GradError, Kernel, Method, RestartOutcome};
use weft_ir::{Assignment, Evaluator, Examples, Graph};
use weft_solve::{NoopObserver, Problem};
use weft_syntax::SourceMap;
use weft_testkit::{change_one_output, hidden_examples, overrides, seeded, Seeded};

/// Sketches with more hole parameters (the sum of the hole domain sizes) are skipped: the
/// finite differences take two forward passes per parameter.
const MAX_DIMS: usize = 96;

/// Below this many hole assignments, brute force looks for a passing one (a one-hot point
/// where the loss must be exactly 0).
const BRUTE_SPACE: u64 = 1024;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

struct Case {
    g: Graph,
    ex: Examples,
    /// The sketch, its overrides and examples, for messages.
    ctx: String,
}

/// The sketch of `seed` and its examples (as `weft-sat`'s random sketches build them), unless
/// it has more than [`MAX_DIMS`] hole parameters.
fn make_case(seed: u64) -> Option<Case> {
    let Seeded { mut rng, p, text } = seeded(seed);
    let set = overrides(&p, &text);
    let mut map = SourceMap::new();
    let f = map.add("random.wft", &text);
    let config = weft_sketch::Config {
        overrides: set.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
    };
    let g = weft_sketch::compile(&map, f, &config)
        .unwrap_or_else(|d| panic!("seed {seed}: a well-formed sketch is refused: {d:?}\n{text}"))
        .graph;
    let dims: usize = g
        .holes
        .iter()
        .map(|h| g.domain(h.domain).size as usize)
        .sum();
    if dims > MAX_DIMS {
        return None;
    }
    let mut rows = hidden_examples(&mut rng, &p, 20);
    let out_sizes: Vec<u32> = g
        .outputs
        .iter()
        .map(|o| g.domain(o.slot.domain).size)
        .collect();
    change_one_output(&mut rng, &mut rows, &out_sizes);
    let mut ex = Examples::with_slots(g.inputs.len(), g.outputs.len());
    for (k, (iv, want)) in rows.iter().enumerate() {
        ex.push(iv, want, format!("example {k}"));
    }
    if std::env::var_os("WEFT_FUZZ_PRINT").is_some() {
        eprintln!("// seed {seed}, set {set:?}\n{text}\n// examples {rows:?}");
    }
    let ctx = format!("seed {seed}\n{text}\nset {set:?}\nexamples (inputs, outputs) {rows:?}");
    Some(Case { g, ex, ctx })
}

/// How many cases exercised what (to see that the checks bite).
#[derive(Default)]
struct Tally {
    checked: usize,
    params_checked: usize,
    /// Parameters whose rounding allowance exceeds the relative tolerance (a weak check).
    params_loose: usize,
    with_costs: usize,
    one_hot_points: usize,
    one_hot_passing: usize,
    /// Sketches with fused observations, and the fused ops in them.
    fused_sketches: usize,
    fused_ops: usize,
    runs: usize,
    solved: usize,
    non_finite: usize,
    refused: usize,
}

/// The fused observations ([`Kernel::set_fusion`]) change no bit: the losses and the hole
/// gradients of one forward and backward pass are identical with fusion on and off, at a
/// random point (sometimes with example weights) and at a random one-hot point (with the
/// one-hot promise), on the same columns.
fn check_fusion(c: &Case, rng: &mut StdRng, cost_weight: f32, t: &mut Tally) {
    let r = 3;
    let mut on = Kernel::new(&c.g, &c.ex, r, 1e-12, cost_weight).unwrap();
    let mut off = on.clone();
    off.set_fusion(false);
    if on.fused_ops() > 0 {
        t.fused_sketches += 1;
        t.fused_ops += on.fused_ops();
    }
    let d = on.dims();
    let layout = on.hole_layout();
    if rng.random_bool(0.3) {
        let w: Vec<f32> = (0..on.weights_mut().len())
            .map(|_| rng.random_range(0.5..3.0))
            .collect();
        on.weights_mut().copy_from_slice(&w);
        off.weights_mut().copy_from_slice(&w);
    }
    for one_hot in [false, true] {
        let probs = if one_hot {
            let mut p = vec![0f32; r * d];
            for col in 0..r {
                for &(off, size) in &layout {
                    if size > 0 {
                        p[col * d + off + rng.random_range(0..size)] = 1.0;
                    }
                }
            }
            p
        } else {
            let z: Vec<f32> = (0..r * d).map(|_| rng.random_range(-3.0..3.0)).collect();
            softmax(&z, &layout, r, d)
        };
        let mut grads = Vec::new();
        let mut losses = Vec::new();
        for k in [&mut on, &mut off] {
            k.set_one_hot(one_hot);
            k.set_holes(&probs);
            losses.push(k.forward().iter().map(|l| l.to_bits()).collect::<Vec<_>>());
            let mut g = vec![0f32; r * d];
            k.backward(&mut g);
            grads.push(g.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
        }
        assert_eq!(
            losses[0], losses[1],
            "{}
fused and unfused losses differ (one-hot: {one_hot})",
            c.ctx
        );
        assert_eq!(
            grads[0], grads[1],
            "{}
fused and unfused gradients differ (one-hot: {one_hot})",
            c.ctx
        );
    }
}

/// The hole distributions of logits `z` (parameter layout, `r` columns): a softmax per hole.
fn softmax(z: &[f32], layout: &[(usize, usize)], r: usize, d: usize) -> Vec<f32> {
    let mut p = vec![0f32; r * d];
    for col in 0..r {
        for &(off, size) in layout {
            let row = &z[col * d + off..col * d + off + size];
            let m = row.iter().fold(f32::NEG_INFINITY, |a, &x| a.max(x));
            let sum: f32 = row.iter().map(|&x| (x - m).exp()).sum();
            for v in 0..size {
                p[col * d + off + v] = (row[v] - m).exp() / sum;
            }
        }
    }
    p
}

/// Check 1: analytic gradients against central finite differences, in logit space.
///
/// The kernel's gradient is with respect to each probability on its own; gradcheck.rs checks
/// it at unnormalised points (0.2 + 0.6 u per value). Off the simplex these graphs are badly
/// conditioned: a value used by both the selector and the cases of a multiplexer (or both
/// arguments of a table) multiplies its total mass into itself, so a loop raises a hole's
/// mass to a power of the number of paths, thousands here (seed 16395: the loss at uniform
/// distributions of mass 1, 1.001 and 1.02 is 7.9, 1.6 and −inf). Every method only ever
/// reads the gradient along the simplex (the softmax's Jacobian, `p_v (g_v − Σ p_w g_w)`,
/// and the discrete methods' Taylor estimates `g_w − g_v`), so that is what is checked: the
/// gradient with respect to the logits of a softmax per hole, from the kernel's gradient,
/// against central differences of the loss in the logits.
fn check_gradients(c: &Case, rng: &mut StdRng, cost_weight: f32, t: &mut Tally) {
    let r = 2;
    let mut k = Kernel::new(&c.g, &c.ex, r, 1e-12, cost_weight).unwrap();
    let d = k.dims();
    let layout = k.hole_layout();
    if rng.random_bool(0.3) {
        for w in k.weights_mut() {
            *w = rng.random_range(0.5..3.0);
        }
    }
    // Logits at most ln 4 apart (every value gets at least a quarter of its share 1/n, so
    // every ln stays smooth).
    let z: Vec<f32> = (0..r * d)
        .map(|_| rng.random_range(0.0..4f32.ln()))
        .collect();
    let probs = softmax(&z, &layout, r, d);
    k.set_holes(&probs);
    let base = k.forward().to_vec();
    assert!(
        base.iter().all(|l| l.is_finite()),
        "{}\nloss {base:?}",
        c.ctx
    );
    let mut grad = vec![0f32; r * d];
    k.backward(&mut grad);
    // ∂loss/∂z_v = p_v (g_v − Σ_w p_w g_w) over the values w of v's hole.
    let mut gz = vec![0f32; r * d];
    for col in 0..r {
        for &(off, size) in &layout {
            let o = col * d + off;
            let mean: f32 = (0..size).map(|w| probs[o + w] * grad[o + w]).sum();
            for v in 0..size {
                gz[o + v] = probs[o + v] * (grad[o + v] - mean);
            }
        }
    }
    // The terms the loss adds up per restart: observations and expected outputs per example,
    // and each value of each cost per example.
    let e = k.examples();
    let cost_values: usize = c.g.costs.iter().map(|x| x.weights.len()).sum();
    let terms = (c.g.observations.len() + c.g.outputs.len() + cost_values) * e;
    let h = 1e-2f32;
    for i in 0..r * d {
        let ri = i / d;
        let mut zz = z.clone();
        zz[i] += h;
        k.set_holes(&softmax(&zz, &layout, r, d));
        let up = k.forward()[ri];
        zz[i] -= 2.0 * h;
        k.set_holes(&softmax(&zz, &layout, r, d));
        let down = k.forward()[ri];
        // As in gradcheck.rs: the loss's own rounding over 2h, and a relative tolerance for
        // the truncation error (h²/6 times the third derivative, which the bounded logits
        // keep moderate). Unlike the benchmarks' sketches, these often have observations
        // that fail whatever the holes (on inputs alone: −ln ε ≈ 27.6 each, per example), so
        // the loss can be a sum of hundreds of terms in the thousands: the constant terms are
        // the same up and down, but each f32 addition rounds the running sum anew, so the
        // allowance is one rounding of the sum per term (gradcheck.rs's 8 ulps of the loss,
        // for its few terms, is the same bound). The softmax's own rounding (its masses are
        // 1 within a few ulps, and the mass is raised to large powers, above) is what the
        // 1e-2 relative part also covers.
        let fd = (up - down) / (2.0 * h);
        let rounding = (8 + terms) as f32 * f32::EPSILON * up.abs().max(down.abs()) / (2.0 * h);
        let rel = 2e-2 * (1.0 + fd.abs().max(gz[i].abs()));
        t.params_loose += usize::from(rounding > rel);
        let tol = rel + rounding;
        assert!(
            (fd - gz[i]).abs() < tol,
            "{}\ncost weight {cost_weight}: logit {i} (of {d} per restart, layout {layout:?}): \
             analytic {} vs finite difference {fd} (loss {}, probabilities {probs:?})",
            c.ctx,
            gz[i],
            base[ri]
        );
        t.params_checked += 1;
    }
    // The columns are independent: back at the base point, every loss is what it was.
    k.set_holes(&probs);
    let again = k.forward().to_vec();
    for (a, b) in again.iter().zip(&base) {
        assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0), "{}", c.ctx);
    }
}

/// What the loss at the one-hot point `a` must be, from the exact evaluator: the number of
/// `−ln ε` terms (violated observations, static ones once, and mismatched expected outputs)
/// and the exact cost; and whether it passes every example.
fn exact_terms(ev: &mut Evaluator, g: &Graph, a: &Assignment, ex: &Examples) -> (u64, i64, bool) {
    let r = ev.evaluate(g, a, ex).unwrap();
    let mut n = 0u64;
    let mut static_failed = vec![false; g.observations.len()];
    for (e, failed) in r.failed_observations.iter().enumerate() {
        for &o in failed {
            if ev.is_static(g.observations[o].node) {
                static_failed[o] = true;
            } else {
                n += 1;
            }
        }
        for (o, col) in ex.expected.iter().enumerate() {
            if col
                .get(e)
                .copied()
                .flatten()
                .is_some_and(|x| x != r.outputs[o][e])
            {
                n += 1;
            }
        }
    }
    n += static_failed.iter().filter(|&&f| f).count() as u64;
    (n, r.cost, r.all_passed)
}

/// The largest the costs' terms can add up to in absolute value (per-example costs of either
/// sign may cancel in the total).
fn cost_bound(g: &Graph, ex: &Examples) -> f64 {
    g.costs
        .iter()
        .map(|c| {
            let m = c
                .weights
                .iter()
                .map(|w| w.unsigned_abs())
                .max()
                .unwrap_or(0);
            m as f64 * if c.once { 1.0 } else { ex.len().max(1) as f64 }
        })
        .sum()
}

fn assert_loss(
    ctx: &str,
    what: &str,
    loss: f32,
    (n, cost): (u64, i64),
    eps: f32,
    cw: f32,
    cost_abs: f64,
) {
    let want = n as f64 * -(eps as f64).ln() + cw as f64 * cost as f64;
    // f32 sums: relative to the size of the terms (negative costs may cancel the rest).
    let size = n as f64 * -(eps as f64).ln() + cw as f64 * cost_abs;
    assert!(
        (loss as f64 - want).abs() <= 1e-5 * size + 1e-6,
        "{ctx}\n{what}: loss {loss}, want {n} × −ln {eps} + {cw} × cost {cost} = {want}"
    );
}

/// Check 2: the relaxation at one-hot points is the exact semantics.
fn check_one_hot(c: &Case, rng: &mut StdRng, passing: Option<Assignment>, cw: f32, t: &mut Tally) {
    let g = &c.g;
    let sizes: Vec<u32> = g.holes.iter().map(|h| g.domain(h.domain).size).collect();
    let mut points: Vec<Assignment> = (0..3)
        .map(|_| Assignment(sizes.iter().map(|&s| rng.random_range(0..s)).collect()))
        .collect();
    points.extend(passing);
    let eps = if rng.random_bool(0.5) { 1e-12 } else { 1e-3 };
    let mut ev = Evaluator::new(g).unwrap();
    let cost_abs = cost_bound(g, &c.ex);
    let r = points.len();
    let mut k = Kernel::new(g, &c.ex, r, eps, cw).unwrap();
    let (d, layout) = (k.dims(), k.hole_layout());
    // The same layout for every kernel of this graph.
    let one_hot = |pts: &[Assignment]| {
        let mut probs = vec![0f32; pts.len() * d];
        for (col, a) in pts.iter().enumerate() {
            for (h, &(off, _)) in layout.iter().enumerate() {
                probs[col * d + off + a.0[h] as usize] = 1.0;
            }
        }
        probs
    };
    let probs = one_hot(&points);
    let mut prog = vec![0u32; layout.len() * r];
    for (col, a) in points.iter().enumerate() {
        for h in 0..layout.len() {
            prog[h * r + col] = a.0[h];
        }
    }
    let mut viol = vec![0u32; r];
    k.violations(&prog, &mut viol);
    for promise in [false, true] {
        k.set_one_hot(promise);
        k.set_holes(&probs);
        let loss = k.forward().to_vec();
        for (col, a) in points.iter().enumerate() {
            let (n, cost, passes) = exact_terms(&mut ev, g, a, &c.ex);
            let what = format!("one-hot point {a:?} (ε {eps}, promise {promise})");
            assert_loss(&c.ctx, &what, loss[col], (n, cost), eps, cw, cost_abs);
            assert_eq!(passes, ev.passes_all(g, a, &c.ex).unwrap(), "{}", c.ctx);
            if cw == 0.0 {
                assert_eq!(loss[col] == 0.0, passes, "{}\n{what}", c.ctx);
            }
            assert_eq!(viol[col] == 0, passes, "{}\n{what}: sweep", c.ctx);
            t.one_hot_points += 1;
            t.one_hot_passing += usize::from(passes);
        }
    }
    // The output distributions: one-hot at the evaluator's outputs. With those as the expected
    // values every output term is 0; with any other value, −ln ε.
    for a in &points {
        let r = ev.evaluate(g, a, &c.ex).unwrap();
        let e = r.passed.len();
        if e != c.ex.len() {
            continue; // no examples: one implicit one, nothing to expect
        }
        let mut same = c.ex.clone();
        let mut other = c.ex.clone();
        let mut changed = 0u64;
        for (o, out) in g.outputs.iter().enumerate() {
            let size = g.domain(out.slot.domain).size;
            for ei in 0..e {
                let v = r.outputs[o][ei];
                same.expected[o][ei] = Some(v);
                if size > 1 {
                    other.expected[o][ei] = Some((v + 1 + rng.random_range(0..size - 1)) % size);
                    changed += 1;
                } else {
                    other.expected[o][ei] = Some(v);
                }
            }
        }
        let (n_obs, cost, _) = exact_terms(&mut ev, g, a, &same);
        for (exs, extra) in [(&same, 0), (&other, changed)] {
            let mut k1 = Kernel::new(g, exs, 1, eps, cw).unwrap();
            k1.set_holes(&one_hot(std::slice::from_ref(a)));
            let l = k1.forward()[0];
            let what = format!("outputs of {a:?} (ε {eps}), {extra} expected values changed");
            assert_loss(&c.ctx, &what, l, (n_obs + extra, cost), eps, cw, cost_abs);
            if cw == 0.0 && n_obs + extra == 0 {
                // Probability exactly 1 at every output's value, not merely close.
                assert_eq!(l, 0.0, "{}\n{what}", c.ctx);
            }
        }
    }
}

/// Check 3: every method runs, and every success passes the exact evaluator. Returns a
/// passing assignment if some method found one.
fn check_methods(c: &Case, seed: u64, cw: f32, t: &mut Tally) -> Option<Assignment> {
    let p = Problem {
        graph: &c.g,
        examples: &c.ex,
    };
    let mut ev = Evaluator::new(&c.g).unwrap();
    let mut found = None;
    for m in Method::ALL {
        let mut cfg = Config::new(m)
            .with_restarts(3)
            .with_steps(12)
            .with_seed(seed)
            .with_threads(1 + (seed % 2) as usize);
        cfg.cost_weight = cw;
        let widest =
            c.g.holes
                .iter()
                .map(|h| c.g.domain(h.domain).size)
                .max()
                .unwrap_or(0);
        match run(&p, &cfg, &mut NoopObserver) {
            Ok(rep) => {
                assert_eq!(rep.restarts.len(), 3, "{}\n{m}", c.ctx);
                for (i, res) in rep.restarts.iter().enumerate() {
                    match &res.outcome {
                        RestartOutcome::Solved { assignment, .. } => {
                            assert!(
                                ev.passes_all(&c.g, assignment, &c.ex).unwrap(),
                                "{}\n{m}, restart {i}: reported success {assignment:?} fails \
                                 the exact evaluator (final loss {})",
                                c.ctx,
                                res.final_loss
                            );
                            t.solved += 1;
                            found = Some(assignment.clone());
                        }
                        RestartOutcome::NonFinite { .. } => t.non_finite += 1,
                        RestartOutcome::Unsolved => assert!(
                            res.final_loss.is_finite(),
                            "{}\n{m}, restart {i}: unsolved on a non-finite loss {} without \
                             being reported non-finite",
                            c.ctx,
                            res.final_loss
                        ),
                    }
                }
                t.runs += 1;
            }
            // The one documented refusal a valid configuration gets on a valid sketch:
            // GradSearch+'s default smoothing (0.01) on a hole of 100 values or more.
            Err(GradError::BadHyper(msg))
                if m == Method::GradSearchPlus && msg.contains("--smooth") && widest >= 100 =>
            {
                t.refused += 1
            }
            Err(e) => panic!("{}\n{m}: {e}", c.ctx),
        }
    }
    found
}

/// The first passing assignment by brute force, if the space is small.
fn brute_passing(g: &Graph, ex: &Examples) -> Option<Assignment> {
    let sizes: Vec<u32> = g.holes.iter().map(|h| g.domain(h.domain).size).collect();
    let space = sizes
        .iter()
        .try_fold(1u64, |n, &s| n.checked_mul(u64::from(s)))
        .unwrap_or(u64::MAX);
    if space > BRUTE_SPACE {
        return None;
    }
    let mut ev = Evaluator::new(g).unwrap();
    let mut a = vec![0u32; sizes.len()];
    loop {
        let x = Assignment(a.clone());
        if ev.passes_all(g, &x, ex).unwrap() {
            return Some(x);
        }
        let mut k = a.len();
        loop {
            if k == 0 {
                return None;
            }
            k -= 1;
            a[k] += 1;
            if a[k] < sizes[k] {
                break;
            }
            a[k] = 0;
        }
    }
}

#[test]
fn the_relaxation_and_the_methods_agree_with_the_exact_semantics_on_random_sketches() {
    let cases = env_u64("WEFT_GRAD_FUZZ_CASES").unwrap_or(2000);
    let first = env_u64("WEFT_GRAD_FUZZ_SEED").unwrap_or(0);
    let start = std::time::Instant::now();
    let mut t = Tally::default();
    for seed in first..first + cases {
        let Some(c) = make_case(seed) else { continue };
        let mut rng = StdRng::seed_from_u64(seed ^ 0x9e37);
        let has_costs = !c.g.costs.is_empty();
        // Costs in the loss half of the time (when the sketch has any).
        let cw = if has_costs && rng.random_bool(0.5) {
            rng.random_range(0.05..2.0)
        } else {
            0.0
        };
        check_gradients(&c, &mut rng, cw, &mut t);
        check_fusion(&c, &mut rng, cw, &mut t);
        let found = check_methods(&c, seed, cw, &mut t);
        let passing = found.or_else(|| brute_passing(&c.g, &c.ex));
        check_one_hot(&c, &mut rng, passing, cw, &mut t);
        t.checked += 1;
        t.with_costs += usize::from(cw > 0.0);
    }
    eprintln!(
        "{cases} random sketches, {} with at most {MAX_DIMS} hole parameters checked in {:.1?} \
         ({} with costs in the loss): {} gradients against finite differences ({} of them on losses so large that f32 rounding dominates the tolerance), {} one-hot \
         points ({} passing), fusion on and off the same bits ({} sketches with {} fused \
         ops), {} method runs ({} successes re-checked, {} restarts stopped \
         non-finite, {} documented refusals)",
        t.checked,
        start.elapsed(),
        t.with_costs,
        t.params_checked,
        t.params_loose,
        t.one_hot_points,
        t.one_hot_passing,
        t.fused_sketches,
        t.fused_ops,
        t.runs,
        t.solved,
        t.non_finite,
        t.refused,
    );
    assert!(
        cases < 50 || t.checked * 2 >= cases as usize,
        "too few sketches checked"
    );
    // The fusion check is not vacuous: lowering produces fusable observations.
    assert!(
        cases < 50 || t.fused_sketches * 10 >= t.checked,
        "only {} of {} sketches had fused observations",
        t.fused_sketches,
        t.checked
    );
}
