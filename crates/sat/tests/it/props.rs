//! The law: on random small graphs, `sat` and `enumerate` agree on satisfiability and on the
//! optimal cost; sat's best fit equals the brute-force best fit; every enumerated program
//! passes and they are pairwise different. Every `Found` went through the exact evaluator.

use proptest::prelude::*;
use weft_ir::{Assignment, Builder, Domain, Evaluator, Examples, Graph, NodeId, Slot, SrcSpan};
use weft_sat::{FitOutcome, HoleEncoding, Sat, SatConfig};
use weft_solve::{Enumerate, NoopObserver, Outcome, Problem, Solve};

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as u32
    }
}

/// A random graph with 1–2 inputs, 1–4 holes, random tables and multiplexers, one output,
/// maybe an observation and a cost; examples from a hidden assignment (satisfiable) or random.
fn random_problem(seed: u64) -> (Graph, Examples) {
    let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut b = Builder::new("random");
    let mut pool: Vec<NodeId> = Vec::new();
    let n_in = 1 + r.below(2);
    for i in 0..n_in {
        let d = b.domain(Domain::range(0, 2 + r.below(2) as i64));
        let name = format!("x{i}");
        pool.push(b.input(Slot {
            name: name.clone(),
            decl: name,
            index: vec![],
            domain: d,
        }));
    }
    let n_holes = 1 + r.below(4);
    for i in 0..n_holes {
        let d = b.domain(Domain::range(0, 2 + r.below(3) as i64));
        pool.push(b.hole_decl(&format!("h{i}"), vec![], d, SrcSpan::default())[0]);
    }
    for _ in 0..2 + r.below(4) {
        if r.below(3) == 0 {
            // A multiplexer: cases from the pool with the selector's case domain, or constants.
            let sel = pool[r.below(pool.len() as u32) as usize];
            let n = b.graph().node_domain(sel).size;
            let out = b.domain(Domain::range(0, 2 + r.below(2) as i64));
            let cases: Vec<NodeId> = (0..n)
                .map(|_| {
                    let same: Vec<NodeId> = pool
                        .iter()
                        .copied()
                        .filter(|&x| b.graph().node(x).domain == out)
                        .collect();
                    if !same.is_empty() && r.below(3) != 0 {
                        same[r.below(same.len() as u32) as usize]
                    } else {
                        let size = b.graph().domain(out).size;
                        b.constant(out, r.below(size))
                    }
                })
                .collect();
            pool.push(b.mux(sel, &cases));
        } else {
            let arity = 1 + r.below(2) as usize;
            let args: Vec<NodeId> = (0..arity)
                .map(|_| pool[r.below(pool.len() as u32) as usize])
                .collect();
            let doms: Vec<_> = args.iter().map(|&a| b.graph().node(a).domain).collect();
            let rows: u32 = doms.iter().map(|&d| b.graph().domain(d).size).product();
            let out_size = 2 + r.below(2);
            let out = b.domain(Domain::range(0, out_size as i64));
            let data: Vec<u32> = (0..rows).map(|_| r.below(out_size)).collect();
            let t = b.table(format!("t{}", pool.len()), doms, out, data);
            pool.push(b.apply(t, &args));
        }
    }
    let out = *pool.last().unwrap_or(&pool[0]);
    let od = b.graph().node(out).domain;
    b.output(
        Slot {
            name: "y".into(),
            decl: "y".into(),
            index: vec![],
            domain: od,
        },
        out,
    );
    if r.below(3) == 0 {
        let x = pool[r.below(pool.len() as u32) as usize];
        let bd = b.bool_domain();
        let doms = vec![b.graph().node(x).domain];
        let size = b.graph().domain(doms[0]).size;
        let data: Vec<u32> = (0..size).map(|_| u32::from(r.below(4) != 0)).collect();
        let t = b.table("ok", doms, bd, data);
        let o = b.apply(t, &[x]);
        b.observe(o, SrcSpan::default());
    }
    if r.below(2) == 0 {
        let x = pool[r.below(pool.len() as u32) as usize];
        let size = b.graph().node_domain(x).size;
        let w: Vec<i64> = (0..size).map(|_| r.below(5) as i64 - 1).collect();
        b.cost(x, w, SrcSpan::default());
    }
    let g = b.finish();
    let hidden = Assignment(
        g.holes
            .iter()
            .map(|h| r.below(g.domain(h.domain).size))
            .collect(),
    );
    let ev = Evaluator::new(&g).expect("well formed");
    let mut ex = Examples::with_slots(g.inputs.len(), 1);
    let random_outputs = r.below(3) == 0;
    for e in 0..1 + r.below(4) {
        let x: Vec<u32> = g
            .inputs
            .iter()
            .map(|s| r.below(g.domain(s.domain).size))
            .collect();
        let t = ev.trace(&g, &hidden, &x).expect("trace");
        let want = if random_outputs {
            r.below(g.domain(od).size)
        } else {
            t[g.outputs[0].node.0 as usize]
        };
        let want = if r.below(5) == 0 { None } else { Some(want) };
        ex.push(&x, &[want], format!("example {e}"));
    }
    (g, ex)
}

/// Calls `f` with every assignment of `g`'s holes.
fn for_each_assignment(g: &Graph, mut f: impl FnMut(&Assignment)) {
    let sizes: Vec<u32> = g.holes.iter().map(|h| g.domain(h.domain).size).collect();
    let mut a = Assignment(vec![0u32; sizes.len()]);
    loop {
        f(&a);
        let mut k = a.0.len();
        loop {
            if k == 0 {
                return;
            }
            k -= 1;
            a.0[k] += 1;
            if a.0[k] < sizes[k] {
                break;
            }
            a.0[k] = 0;
        }
    }
}

fn brute_best_fit(g: &Graph, ex: &Examples) -> usize {
    let sizes: Vec<u32> = g.holes.iter().map(|h| g.domain(h.domain).size).collect();
    let mut a = vec![0u32; sizes.len()];
    let mut ev = Evaluator::new(g).unwrap();
    let mut best = 0;
    loop {
        let r = ev.evaluate(g, &Assignment(a.clone()), ex).unwrap();
        best = best.max(r.passed.iter().filter(|&&p| p).count());
        let mut k = a.len();
        loop {
            if k == 0 {
                return best;
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

fn check(seed: u64) {
    let (g, ex) = random_problem(seed);
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    let reference = Enumerate::default()
        .with_minimize(true)
        .solve(&p, &mut NoopObserver)
        .unwrap();
    // (hole encoding, lazy examples, redundancy pinning, seed, lazy above this many clauses)
    for (holes, cegis, redundancy, seed, eager_max) in [
        (HoleEncoding::Direct, true, true, 0, 0),
        (HoleEncoding::Direct, false, false, 0, 0),
        (HoleEncoding::Log, true, true, 0, 0),
        // Other orders of counterexamples, or of the examples encoded up front: same answers.
        (HoleEncoding::Direct, true, false, 5, 0),
        (HoleEncoding::Direct, true, false, 5, weft_sat::EAGER_MAX),
    ] {
        let config = SatConfig {
            minimize: true,
            holes,
            cegis,
            // Lazy examples even on tiny sketches (0), so the counterexample loop is tested.
            eager_max,
            seed,
            redundancy,
            ..SatConfig::default()
        };
        let got = Sat::new(config.clone())
            .solve(&p, &mut NoopObserver)
            .unwrap();
        match (&reference, &got) {
            (Outcome::NoSolution { .. }, Outcome::NoSolution { .. }) => {}
            (
                Outcome::Found { cost: c1, .. },
                Outcome::Found {
                    cost: c2, optimal, ..
                },
            ) => {
                assert_eq!(c1, c2, "seed {seed}: optimal costs differ ({config:?})");
                assert!(optimal, "seed {seed}: not proved optimal");
            }
            _ => panic!("seed {seed}: enumerate {reference:?}, sat {got:?} ({config:?})"),
        }
        // Without minimising: found iff satisfiable.
        let plain = Sat::new(SatConfig {
            minimize: false,
            ..config
        })
        .solve(&p, &mut NoopObserver)
        .unwrap();
        assert_eq!(
            matches!(plain, Outcome::Found { .. }),
            matches!(reference, Outcome::Found { .. }),
            "seed {seed}"
        );
    }
    // Best fit.
    match Sat::default().max_fit(&p, &mut NoopObserver).unwrap() {
        FitOutcome::Fitted {
            fitted, optimal, ..
        } => {
            assert!(optimal, "seed {seed}");
            assert_eq!(fitted, brute_best_fit(&g, &ex), "seed {seed}: best fit");
        }
        other => panic!("seed {seed}: {other:?}"),
    }
    // Enumeration: complete, every program passes, no two equal; and the patterns (values
    // with free holes) are disjoint and cover exactly the assignments that pass.
    let mut seen = Vec::new();
    let mut patterns: Vec<(Assignment, Vec<usize>)> = Vec::new();
    let e = Sat::default()
        .enumerate(&p, &mut NoopObserver, None, &mut |a, _, free| {
            seen.push(a.clone());
            patterns.push((a.clone(), free.iter().map(|h| h.0 as usize).collect()));
        })
        .unwrap();
    for_each_assignment(&g, |x| {
        let matching = patterns
            .iter()
            .filter(|(a, free)| (0..a.0.len()).all(|h| free.contains(&h) || a.0[h] == x.0[h]))
            .count();
        let passes = Evaluator::new(&g).unwrap().passes_all(&g, x, &ex).unwrap();
        assert_eq!(
            matching,
            usize::from(passes),
            "seed {seed}: {x:?} passes: {passes}, in {matching} patterns of {patterns:?}"
        );
    });
    assert!(e.complete, "seed {seed}");
    assert_eq!(e.count as usize, seen.len());
    assert_eq!(
        seen.is_empty(),
        matches!(reference, Outcome::NoSolution { .. }),
        "seed {seed}"
    );
    let mut ev = Evaluator::new(&g).unwrap();
    for (i, a) in seen.iter().enumerate() {
        assert!(ev.passes_all(&g, a, &ex).unwrap(), "seed {seed}");
        assert!(!seen[..i].contains(a), "seed {seed}: repeated program");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]
    #[test]
    fn sat_agrees_with_enumerate(seed in any::<u64>()) {
        check(seed);
    }
}

/// `irrelevant_holes` (each hole's forward cone rebuilt on the fixed graph, then rolled back)
/// finds exactly the holes a full rebuild with that one hole free finds irrelevant, and
/// `jointly_irrelevant_holes` (cones kept as holes join) the greedy set of full rebuilds.
fn irrelevance_agrees_with_full_rebuilds(seed: u64) {
    let (g, _) = random_problem(seed);
    let mut r = Rng(seed | 1);
    for _ in 0..4 {
        let a = Assignment(
            g.holes
                .iter()
                .map(|h| r.below(g.domain(h.domain).size))
                .collect(),
        );
        let fast = weft_ir::irrelevant_holes(&g, &a);
        let full: Vec<weft_ir::HoleId> = (0..g.holes.len())
            .filter(|&h| {
                let mut free = vec![false; g.holes.len()];
                free[h] = true;
                !weft_ir::answer::free_holes_matter(&g, &a, &free)
            })
            .map(|h| weft_ir::HoleId(h as u32))
            .collect();
        assert_eq!(fast, full, "seed {seed}: {a:?}");
        // Jointly: the kept cones give the greedy set that full rebuilds give.
        let joint = weft_ir::jointly_irrelevant_holes(&g, &a);
        let mut free = vec![false; g.holes.len()];
        let mut greedy = Vec::new();
        for h in full {
            free[h.0 as usize] = true;
            if weft_ir::answer::free_holes_matter(&g, &a, &free) {
                free[h.0 as usize] = false;
            } else {
                greedy.push(h);
            }
        }
        assert_eq!(joint, greedy, "seed {seed}: {a:?} (jointly)");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]
    #[test]
    fn irrelevant_holes_agree_with_full_rebuilds(seed in any::<u64>()) {
        irrelevance_agrees_with_full_rebuilds(seed);
    }
}
