//! The SAT backend on what real lowering produces: random well-formed sketches from
//! `weft-testkit` (runtime `if`/`match` as multiplexers, observations and costs under path
//! conditions, runtime-indexed array reads and writes, functions), lowered by weft, against
//! brute force over every hole assignment with the exact evaluator.
//!
//! Only sketches with at most [`MAX_SPACE`] hole assignments are checked (the others are
//! skipped; `WEFT_SAT_FUZZ_SPACE` changes the limit). The examples come from the reference interpreter run on a hidden random
//! assignment and random inputs (so a program usually exists: the hidden one, unless its
//! observations fail on every input drawn), some outputs left unspecified, and sometimes one
//! expected output changed (so there may be none). Then:
//!
//! - `run` finds a program iff one passes, and what it finds passes;
//! - `with_minimize(true)` returns the least total cost over the passing assignments, proved
//!   optimal;
//! - `max_fit` (minimising) fits the most examples any assignment fits, proved optimal, and
//!   costs the least among the assignments that fit that many;
//! - `enumerate` completes, and its patterns (an assignment and the holes it leaves free) are
//!   disjoint and cover exactly the passing assignments.
//!
//! The SAT configuration (hole encoding, examples up front or lazily, their order, pinning of
//! redundant holes) varies with the seed. Every case is reproducible from its seed:
//! `WEFT_SAT_FUZZ_SEED=s WEFT_SAT_FUZZ_CASES=1` runs seed `s` alone (`WEFT_FUZZ_PRINT=1` prints
//! the sketch); `WEFT_SAT_FUZZ_CASES=n` tries more seeds (the default keeps CI fast).

use weft_ir::{Assignment, Evaluator, Examples, Graph};
use weft_sat::{FitOutcome, HoleEncoding, Sat, SatConfig};
use weft_solve::{NoopObserver, Outcome, Problem};
use weft_syntax::SourceMap;
use weft_testkit::{change_one_output, hidden_examples, overrides, seeded, Seeded};

/// The most hole assignments a checked sketch may have (brute force evaluates them all), unless
/// `WEFT_SAT_FUZZ_SPACE` says otherwise.
const MAX_SPACE: u64 = 4096;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// What brute force knows about one assignment.
struct Verdict {
    passes: bool,
    fitted: usize,
    cost: i64,
}

/// Every assignment of `g`'s holes in mixed-radix order (the last hole fastest), judged by the
/// exact evaluator.
fn brute_force(g: &Graph, ex: &Examples) -> Vec<Verdict> {
    let sizes: Vec<u32> = g.holes.iter().map(|h| g.domain(h.domain).size).collect();
    let mut ev = Evaluator::new(g).expect("a well-formed graph");
    let mut a = vec![0u32; sizes.len()];
    let mut out = Vec::new();
    loop {
        let r = ev
            .evaluate(g, &Assignment(a.clone()), ex)
            .expect("evaluates");
        let fitted = r.passed.iter().filter(|&&p| p).count();
        out.push(Verdict {
            passes: fitted == ex.len(),
            fitted,
            cost: r.cost,
        });
        let mut k = a.len();
        loop {
            if k == 0 {
                return out;
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

/// The position of `a` in [`brute_force`]'s order.
fn rank(sizes: &[u32], a: &[u32]) -> usize {
    a.iter()
        .zip(sizes)
        .fold(0, |r, (&v, &s)| r * s as usize + v as usize)
}

/// How many checked sketches had each feature (to see that the checks bite).
#[derive(Default)]
struct Tally {
    checked: usize,
    satisfiable: usize,
    /// An expected output was changed.
    flipped: usize,
    /// Passing assignments of different costs (minimising matters).
    costs_differ: usize,
    /// No assignment fits every example, some fit more than none.
    partial_fit: usize,
    /// Enumeration left some hole free.
    free_holes: usize,
}

/// Checks the sketch of `seed` unless it has more than `max_space` hole assignments.
fn check_seed(seed: u64, max_space: u64, tally: &mut Tally) {
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
    let sizes: Vec<u32> = g.holes.iter().map(|h| g.domain(h.domain).size).collect();
    let space = sizes
        .iter()
        .try_fold(1u64, |n, &s| n.checked_mul(u64::from(s)))
        .unwrap_or(u64::MAX);
    if space > max_space {
        return;
    }

    // Examples of a hidden program: the interpreter's outputs, some left unspecified, and
    // sometimes one changed.
    let mut rows = hidden_examples(&mut rng, &p, 66);
    let out_sizes: Vec<u32> = g
        .outputs
        .iter()
        .map(|o| g.domain(o.slot.domain).size)
        .collect();
    let flipped = change_one_output(&mut rng, &mut rows, &out_sizes);
    let mut ex = Examples::with_slots(g.inputs.len(), g.outputs.len());
    for (k, (iv, want)) in rows.iter().enumerate() {
        ex.push(iv, want, format!("example {k}"));
    }
    if std::env::var_os("WEFT_FUZZ_PRINT").is_some() {
        eprintln!("// seed {seed}, set {set:?}\n{text}\n// examples {rows:?}");
    }
    let ctx = format!("seed {seed}\n{text}\nset {set:?}\nexamples (inputs, outputs) {rows:?}");

    let brute = brute_force(&g, &ex);
    let satisfiable = brute.iter().any(|v| v.passes);
    let min_cost = brute.iter().filter(|v| v.passes).map(|v| v.cost).min();
    let best_fit = brute
        .iter()
        .map(|v| v.fitted)
        .max()
        .expect("one assignment");
    let best_fit_cost = brute
        .iter()
        .filter(|v| v.fitted == best_fit)
        .map(|v| v.cost)
        .min();
    let judge = |a: &Assignment| &brute[rank(&sizes, &a.0)];

    // The configuration varies with the seed.
    let config = match seed % 4 {
        0 => SatConfig::default(),
        1 => SatConfig {
            holes: HoleEncoding::Log,
            ..SatConfig::default()
        },
        // Lazy examples even on these tiny encodings, so the counterexample loop runs.
        2 => SatConfig {
            eager_max: 0,
            seed: seed | 1,
            ..SatConfig::default()
        },
        _ => SatConfig {
            redundancy: true,
            seed: seed | 1,
            ..SatConfig::default()
        },
    };
    let problem = Problem {
        graph: &g,
        examples: &ex,
    };

    // (a) Found iff satisfiable; what is found passes.
    let sat = Sat::new(config.clone());
    match sat.run(&problem, &mut NoopObserver) {
        Ok(Outcome::Found {
            assignment, cost, ..
        }) => {
            let v = judge(&assignment);
            assert!(
                satisfiable && v.passes && v.cost == cost,
                "{ctx}\n{config:?}: found {assignment:?} (cost {cost}), which passes: {}, costs {}",
                v.passes,
                v.cost
            );
        }
        Ok(Outcome::NoSolution { .. }) => {
            assert!(
                !satisfiable,
                "{ctx}\n{config:?}: no solution, brute force finds one"
            );
        }
        other => panic!("{ctx}\n{config:?}: {other:?}"),
    }

    // (b) Least cost, proved.
    let minimizing = sat.clone().with_minimize(true);
    match minimizing.run(&problem, &mut NoopObserver) {
        Ok(Outcome::Found {
            assignment,
            cost,
            optimal,
            ..
        }) => {
            let v = judge(&assignment);
            assert!(
                v.passes && v.cost == cost && Some(cost) == min_cost && optimal,
                "{ctx}\n{config:?}: minimising found {assignment:?} (cost {cost}, optimal \
                 {optimal}), which passes: {}, costs {}; least cost by brute force {min_cost:?}",
                v.passes,
                v.cost
            );
        }
        Ok(Outcome::NoSolution { .. }) => {
            assert!(!satisfiable, "{ctx}\n{config:?}: minimising: no solution");
        }
        other => panic!("{ctx}\n{config:?}: minimising: {other:?}"),
    }

    // (c) Best fit, and the least cost among the best fits, proved.
    match minimizing.max_fit(&problem, &mut NoopObserver) {
        Ok(FitOutcome::Fitted {
            assignment,
            fitted,
            total,
            cost,
            optimal,
            ..
        }) => {
            let v = judge(&assignment);
            assert!(
                fitted == best_fit
                    && v.fitted == fitted
                    && total == ex.len()
                    && v.cost == cost
                    && Some(cost) == best_fit_cost
                    && optimal,
                "{ctx}\n{config:?}: max_fit {assignment:?} fits {fitted} of {total} (cost \
                 {cost}, optimal {optimal}); it fits {} and costs {}; brute force: best fit \
                 {best_fit}, least cost among those {best_fit_cost:?}",
                v.fitted,
                v.cost
            );
        }
        other => panic!("{ctx}\n{config:?}: max_fit: {other:?}"),
    }

    // (d) Enumeration: complete; the patterns are disjoint and cover exactly the passing
    // assignments; every program listed passes, with its cost.
    let mut covered = vec![0u32; brute.len()];
    let mut listed = 0u64;
    let mut any_free = false;
    let e = Sat::new(SatConfig {
        redundancy: false,
        ..config.clone()
    })
    .enumerate(&problem, &mut NoopObserver, None, &mut |a, cost, free| {
        listed += 1;
        any_free |= !free.is_empty();
        let v = judge(a);
        assert!(
            v.passes && v.cost == cost,
            "{ctx}\n{config:?}: enumerated {a:?} (cost {cost}, free {free:?}), which passes: \
             {}, costs {}",
            v.passes,
            v.cost
        );
        // Every assignment of the pattern.
        let mut x = a.0.clone();
        for h in free {
            x[h.0 as usize] = 0;
        }
        loop {
            covered[rank(&sizes, &x)] += 1;
            let mut k = free.len();
            loop {
                if k == 0 {
                    return;
                }
                k -= 1;
                let h = free[k].0 as usize;
                x[h] += 1;
                if x[h] < sizes[h] {
                    break;
                }
                x[h] = 0;
            }
        }
    })
    .unwrap_or_else(|err| panic!("{ctx}\n{config:?}: enumerate: {err}"));
    assert!(e.complete && e.count == listed, "{ctx}\n{config:?}: {e:?}");
    for (r, (v, &n)) in brute.iter().zip(&covered).enumerate() {
        assert_eq!(
            n,
            u32::from(v.passes),
            "{ctx}\n{config:?}: the assignment of rank {r} passes: {}, is in {n} patterns",
            v.passes
        );
    }
    let passing_costs = brute.iter().filter(|v| v.passes).map(|v| v.cost);
    tally.checked += 1;
    tally.satisfiable += usize::from(satisfiable);
    tally.flipped += usize::from(flipped);
    tally.costs_differ += usize::from(passing_costs.clone().min() != passing_costs.max());
    tally.partial_fit += usize::from(!satisfiable && best_fit > 0);
    tally.free_holes += usize::from(any_free);
}

#[test]
fn sat_agrees_with_brute_force_on_random_sketches() {
    let cases = env_u64("WEFT_SAT_FUZZ_CASES").unwrap_or(4000);
    let first = env_u64("WEFT_SAT_FUZZ_SEED").unwrap_or(0);
    let max_space = env_u64("WEFT_SAT_FUZZ_SPACE").unwrap_or(MAX_SPACE);
    let start = std::time::Instant::now();
    let mut t = Tally::default();
    for seed in first..first + cases {
        check_seed(seed, max_space, &mut t);
    }
    eprintln!(
        "{cases} random sketches, {} with at most {max_space} hole assignments checked in \
         {:.1?}: {} satisfiable ({} with passing programs of different costs, {} with programs \
         enumerated as patterns with free holes), {} with an output changed, {} fitting some \
         examples but not all",
        t.checked,
        start.elapsed(),
        t.satisfiable,
        t.costs_differ,
        t.free_holes,
        t.flipped,
        t.partial_fit,
    );
    assert!(
        cases < 50 || t.checked * 4 >= cases as usize,
        "too few sketches checked"
    );
}
