//! weft-solve's integration tests: the enumeration solver and the local search on the
//! hand-built Boolean circuit.

// The circuit builder and its direct semantics are shared with weft-ir's tests.
#[path = "../../../ir/tests/it/circuit.rs"]
mod circuit;

use std::time::Duration;

use circuit::{circuit, run, swap_examples};
use weft_ir::{Assignment, Cost, Examples, Graph, HoleId, Node, SrcSpan};
use weft_solve::{
    Enumerate, Local, LocalConfig, NoopObserver, Observer, Outcome, Problem, Solve, SolveError,
};

fn solve(solver: &mut Enumerate, g: &Graph, ex: &Examples) -> Result<Outcome, SolveError> {
    solver.solve(
        &Problem {
            graph: g,
            examples: ex,
        },
        &mut NoopObserver,
    )
}

/// Whether the direct semantics agree with the examples' expected outputs.
fn passes_directly(gates: usize, outputs: usize, holes: &[u32], ex: &Examples) -> bool {
    (0..ex.len()).all(|e| {
        let row: Vec<u32> = ex.inputs.iter().map(|c| c[e]).collect();
        let out = run(gates, outputs, holes, &row);
        ex.expected
            .iter()
            .zip(&out)
            .all(|(col, &v)| col[e].is_none_or(|x| x == v))
    })
}

#[test]
fn finds_a_swap_circuit_with_three_gates() {
    let g = circuit(3, 3, 2);
    let ex = swap_examples();
    let outcome = solve(&mut Enumerate::default(), &g, &ex).unwrap();
    let Outcome::Found {
        assignment,
        cost,
        optimal,
        stats,
    } = outcome
    else {
        panic!("expected a swap circuit, got {outcome:?}");
    };
    assert!(passes_directly(3, 2, &assignment.0, &ex), "{assignment:?}");
    assert_eq!((cost, optimal), (0, false));
    assert!(stats.explored >= 1);
}

#[test]
fn proves_one_gate_cannot_swap() {
    let g = circuit(3, 1, 2);
    let outcome = solve(&mut Enumerate::default(), &g, &swap_examples()).unwrap();
    match outcome {
        Outcome::NoSolution { stats } => assert_eq!(stats.explored, 5 * 3 * 3 * 3),
        other => panic!("expected no solution, got {other:?}"),
    }
}

#[test]
fn refuses_spaces_above_the_limit() {
    let g = circuit(3, 3, 2);
    let err = solve(
        &mut Enumerate::default().with_limit(1e6),
        &g,
        &swap_examples(),
    )
    .unwrap_err();
    assert!(matches!(err, SolveError::TooLarge { .. }));
    assert_eq!(
        err.to_string(),
        "the search space has 2460375 assignments, more than the limit of 1000000; raise the \
         limit (--limit) or use another solver"
    );
}

/// Gate weights: And 1, Or 1, Xor 5, Not 1, Nop 0, as one once-cost per gate.
const GATE_WEIGHTS: [i64; 5] = [1, 1, 5, 1, 0];

fn with_gate_costs(mut g: Graph, gates: usize) -> Graph {
    for k in 0..gates {
        let node = g
            .nodes
            .iter()
            .position(|n| n.node == Node::Hole(HoleId(k as u32)))
            .expect("every gate hole has a node");
        g.costs.push(Cost {
            node: weft_ir::NodeId(node as u32),
            weights: GATE_WEIGHTS.to_vec(),
            once: true,
            span: SrcSpan::default(),
        });
    }
    g
}

/// `[a, b, 0] => a xor b` on the first wire.
fn xor_examples() -> Examples {
    let mut ex = Examples::with_slots(3, 1);
    for a in 0..2 {
        for b in 0..2 {
            ex.push(&[a, b, 0], &[Some(a ^ b)], format!("xor {a}{b}"));
        }
    }
    ex
}

#[test]
fn minimize_finds_the_least_cost() {
    let (w, gates) = (3, 2);
    let g = with_gate_costs(circuit(w, gates, 1), gates);
    let ex = xor_examples();
    // The least cost by brute force over the direct semantics.
    let sizes: Vec<u32> = g.holes.iter().map(|h| g.domain(h.domain).size).collect();
    let mut least = None::<i64>;
    let mut a = vec![0u32; sizes.len()];
    'all: loop {
        if passes_directly(gates, 1, &a, &ex) {
            let cost: i64 = (0..gates).map(|k| GATE_WEIGHTS[a[k] as usize]).sum();
            least = Some(least.map_or(cost, |l| l.min(cost)));
        }
        for k in (0..a.len()).rev() {
            a[k] += 1;
            if a[k] < sizes[k] {
                continue 'all;
            }
            a[k] = 0;
        }
        break;
    }
    assert_eq!(least, Some(5));

    let first = solve(&mut Enumerate::default(), &g, &ex).unwrap();
    let Outcome::Found {
        cost: first_cost,
        optimal: false,
        ..
    } = first
    else {
        panic!("expected a first solution, got {first:?}");
    };
    assert!(
        first_cost > 5,
        "the first solution happens to cost {first_cost}"
    );

    let mut improvements = Recorder::default();
    let best = Enumerate::default()
        .with_minimize(true)
        .solve(
            &Problem {
                graph: &g,
                examples: &ex,
            },
            &mut improvements,
        )
        .unwrap();
    let Outcome::Found {
        assignment,
        cost,
        optimal,
        stats,
    } = best
    else {
        panic!("expected a least-cost solution, got {best:?}");
    };
    assert_eq!((cost, optimal), (5, true));
    assert!(passes_directly(gates, 1, &assignment.0, &ex));
    assert_eq!(stats.explored, 135 * 135);
    assert_eq!(improvements.improved.last(), Some(&5));
    assert!(improvements.improved.windows(2).all(|w| w[0] > w[1]));
    assert_eq!(
        improvements.progress.last(),
        Some(&(135 * 135, Some(135 * 135)))
    );
}

#[derive(Default)]
struct Recorder {
    progress: Vec<(u64, Option<u64>)>,
    improved: Vec<i64>,
    cancel_after: Option<usize>,
}

impl Observer for Recorder {
    fn progress(&mut self, done: u64, total: Option<u64>) {
        self.progress.push((done, total));
    }
    fn improved(&mut self, cost: i64) {
        self.improved.push(cost);
    }
    fn cancelled(&mut self) -> bool {
        self.cancel_after.is_some_and(|n| self.progress.len() >= n)
    }
}

/// Two examples with the same input and different outputs: nothing passes both.
fn contradiction() -> Examples {
    let mut ex = Examples::with_slots(3, 2);
    ex.push(&[0, 0, 0], &[Some(0), None], "first");
    ex.push(&[0, 0, 0], &[Some(1), None], "second");
    ex
}

#[test]
fn deadline_and_cancellation_give_up() {
    let g = circuit(3, 3, 2);
    let ex = contradiction();
    let outcome = solve(
        &mut Enumerate::default().with_deadline(Some(Duration::ZERO)),
        &g,
        &ex,
    )
    .unwrap();
    let Outcome::GaveUp { reason, stats } = outcome else {
        panic!("expected to give up, got {outcome:?}");
    };
    assert!(reason.starts_with("deadline"), "{reason}");
    assert_eq!(stats.explored, 1024);

    let mut obs = Recorder {
        cancel_after: Some(2),
        ..Recorder::default()
    };
    let outcome = Enumerate::default()
        .solve(
            &Problem {
                graph: &g,
                examples: &ex,
            },
            &mut obs,
        )
        .unwrap();
    assert!(matches!(&outcome, Outcome::GaveUp { reason, .. } if reason == "cancelled"));
    assert_eq!(outcome.stats().explored, 2 << 16);
    assert_eq!(obs.progress[0], (1 << 16, Some(2_460_375)));
}

#[test]
fn sketch_without_holes_is_checked_once() {
    let g = circuit(2, 0, 2);
    let mut ex = Examples::with_slots(2, 2);
    ex.push(&[1, 0], &[Some(1), Some(0)], "identity");
    let outcome = solve(&mut Enumerate::default(), &g, &ex).unwrap();
    assert_eq!(outcome.assignment(), Some(&Assignment(vec![])));
    ex.expected[1][0] = Some(1);
    let outcome = solve(&mut Enumerate::default(), &g, &ex).unwrap();
    assert!(matches!(outcome, Outcome::NoSolution { .. }));
}

#[test]
fn invalid_examples_are_an_error() {
    let g = circuit(3, 1, 2);
    let mut ex = swap_examples();
    ex.inputs[0][1] = 2;
    let err = solve(&mut Enumerate::default(), &g, &ex).unwrap_err();
    assert!(matches!(err, SolveError::Eval(_)), "{err}");
}

// ---------------------------------------------------------------- local search

fn local(seed: u64) -> Local {
    Local::new(LocalConfig {
        seed,
        ..LocalConfig::default()
    })
}

/// The swap circuit (3 wires, 3 gates; 2.5 million assignments, a few hundred of which
/// swap) from several seeds: every answer is a swap by the direct semantics.
#[test]
fn local_search_finds_swap_circuits() {
    let g = circuit(3, 3, 2);
    let ex = swap_examples();
    let mut answers = std::collections::HashSet::new();
    for seed in 0..8 {
        let p = Problem {
            graph: &g,
            examples: &ex,
        };
        let outcome = local(seed).solve(&p, &mut NoopObserver).unwrap();
        let Outcome::Found {
            assignment,
            optimal,
            stats,
            ..
        } = outcome
        else {
            panic!("seed {seed}: expected a swap circuit, got {outcome:?}");
        };
        assert!(passes_directly(3, 2, &assignment.0, &ex), "{assignment:?}");
        assert!(!optimal);
        assert!(stats.explored >= 1);
        // The same seed gives the same search.
        let again = local(seed).solve(&p, &mut NoopObserver).unwrap();
        assert_eq!(again.assignment(), Some(&assignment), "seed {seed}");
        answers.insert(assignment);
    }
    // Different seeds wander to different programs.
    assert!(answers.len() > 1, "{answers:?}");
}

/// Local search cannot prove anything: on contradictory examples it gives up at its limit
/// and says so; at the deadline likewise.
#[test]
fn local_search_gives_up_where_nothing_fits() {
    let g = circuit(3, 3, 2);
    let ex = contradiction();
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    let mut s = Local::new(LocalConfig {
        max_evals: Some(10_000),
        ..LocalConfig::default()
    });
    let outcome = s.solve(&p, &mut NoopObserver).unwrap();
    let Outcome::GaveUp { reason, stats } = outcome else {
        panic!("expected to give up, got {outcome:?}");
    };
    assert!(reason.contains("cannot prove"), "{reason}");
    assert!(
        (10_000..10_000 + 4096 + 4).contains(&stats.explored),
        "{stats:?}"
    );
    let mut s = Local::new(LocalConfig {
        deadline: Some(Duration::ZERO),
        ..LocalConfig::default()
    });
    let outcome = s.solve(&p, &mut NoopObserver).unwrap();
    assert!(matches!(&outcome, Outcome::GaveUp { reason, .. } if reason.contains("deadline")));
}

/// With no hole to change, the one assignment decides: found, or proved impossible.
#[test]
fn local_search_without_holes_decides() {
    let g = circuit(2, 0, 2);
    let mut ex = Examples::with_slots(2, 2);
    ex.push(&[1, 0], &[Some(1), Some(0)], "identity");
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    let outcome = local(0).solve(&p, &mut NoopObserver).unwrap();
    assert_eq!(outcome.assignment(), Some(&Assignment(vec![])));
    ex.expected[1][0] = Some(1);
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    let outcome = local(0).solve(&p, &mut NoopObserver).unwrap();
    assert!(matches!(outcome, Outcome::NoSolution { .. }), "{outcome:?}");
}
