//! Sketches written in the language: limits, the miter, DIMACS and SMT-LIB export.

use weft_ir::{Assignment, Examples, Graph};
use weft_sat::miter::{check_all_inputs, Check};
use weft_sat::{Sat, SatConfig, SatError};
use weft_solve::{NoopObserver, Outcome, Problem, Solve};
use weft_syntax::SourceMap;

fn compile(text: &str, set: &[(&str, i64)]) -> (Graph, Examples) {
    let mut map = SourceMap::new();
    let f = map.add("test.wft", text);
    let config = weft_sketch::Config {
        overrides: set.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
    };
    let c = weft_sketch::compile(&map, f, &config).unwrap_or_else(|d| panic!("{d:?}"));
    (c.graph, c.examples)
}

const XOR: &str = include_str!("../../../../examples/xor_min_gates.wft");

const CIRCUIT: &str = "
param G = 3;
enum Gate { And, Or, Xor, Not, Nop }
hole gate: [Gate; G];
hole in1: [0..3; G];
hole in2: [0..3; G];
hole out: [0..3; G];
fn apply(g: Gate, a: bool, b: bool) -> bool {
    match g { And => a && b, Or => a || b, Xor => a ^ b, Not => !a, Nop => a }
}
sketch swap(x: bool, y: bool) -> (p: bool, q: bool) {
    let w = [x, y, false];
    for g in 0..G { w[out[g]] = apply(gate[g], w[in1[g]], w[in2[g]]); }
    p = w[0]; q = w[1];
}
examples {
    (false, false) => (false, false);
    (false, true) => (true, false);
    (true, false) => (false, true);
    (true, true) => (true, true);
}
";

const SWAP_REFERENCE: &str =
    "sketch swap(x: bool, y: bool) -> (p: bool, q: bool) { p = y; q = x; }";

#[test]
fn minimize_proves_xor_needs_one_gate() {
    let (g, ex) = compile(XOR, &[]);
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    let o = Sat::new(SatConfig {
        minimize: true,
        ..SatConfig::default()
    })
    .solve(&p, &mut NoopObserver)
    .unwrap();
    assert!(
        matches!(
            o,
            Outcome::Found {
                cost: 1,
                optimal: true,
                ..
            }
        ),
        "{o:?}"
    );
}

#[test]
fn swap_with_one_gate_is_proved_impossible() {
    let (g, ex) = compile(CIRCUIT, &[("G", 1)]);
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    let o = Sat::default().solve(&p, &mut NoopObserver).unwrap();
    assert!(matches!(o, Outcome::NoSolution { .. }), "{o:?}");
}

#[test]
fn a_tiny_clause_budget_is_a_clear_refusal() {
    let (g, ex) = compile(CIRCUIT, &[]);
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    let e = Sat::default()
        .with_max_clauses(10)
        .run(&p, &mut NoopObserver)
        .unwrap_err();
    assert!(matches!(e, SatError::TooLarge { limit: 10, .. }), "{e}");
    let o = Sat::default()
        .with_max_clauses(10)
        .solve(&p, &mut NoopObserver)
        .unwrap();
    assert!(
        matches!(o, Outcome::GaveUp { ref reason, .. } if reason.contains("too large")),
        "{o:?}"
    );
}

#[test]
fn a_cancelled_solve_gives_up_cleanly() {
    struct Cancel;
    impl weft_solve::Observer for Cancel {
        fn cancelled(&mut self) -> bool {
            true
        }
    }
    // 5 gates for the swap: easy, but cancellation is polled before anything is found? Not
    // necessarily: either it gives up, or what it found passed the evaluator.
    let (g, ex) = compile(CIRCUIT, &[("G", 5)]);
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    match Sat::default()
        .with_minimize(true)
        .solve(&p, &mut Cancel)
        .unwrap()
    {
        Outcome::GaveUp { reason, .. } => assert!(reason.contains("cancelled"), "{reason}"),
        Outcome::Found { assignment, .. } => {
            assert!(weft_solve::verify(&p, "test", &assignment).is_ok())
        }
        o @ Outcome::NoSolution { .. } => panic!("{o:?}"),
    }
}

/// 64 holes of 60 000 values: millions of clauses, seconds to encode.
const WIDE_HOLES: &str = "
hole h: [0..60000; 64];
sketch s() { for i in 0..64 { observe h[i] == 5; } }
";

#[test]
fn the_deadline_and_cancellation_hold_while_encoding() {
    struct Cancel;
    impl weft_solve::Observer for Cancel {
        fn cancelled(&mut self) -> bool {
            true
        }
    }
    let (g, ex) = compile(WIDE_HOLES, &[]);
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    let o = Sat::default()
        .with_deadline(Some(std::time::Duration::from_millis(20)))
        .run(&p, &mut NoopObserver)
        .unwrap();
    assert!(
        matches!(o, Outcome::GaveUp { ref reason, .. }
            if reason.starts_with("deadline of 0.020 s reached while encoding the holes")),
        "{o:?}"
    );
    let o = Sat::default().run(&p, &mut Cancel).unwrap();
    assert!(
        matches!(o, Outcome::GaveUp { ref reason, .. } if reason.starts_with("cancelled while encoding")),
        "{o:?}"
    );
    let fit = Sat::default().max_fit(&p, &mut Cancel).unwrap();
    assert!(
        matches!(fit, weft_sat::FitOutcome::GaveUp { ref reason, .. } if reason.contains("while encoding")),
        "{fit:?}"
    );
    let e = Sat::default()
        .enumerate(&p, &mut Cancel, None, &mut |_, _, _| ())
        .unwrap();
    assert!(
        e.count == 0
            && !e.complete
            && e.stopped
                .as_deref()
                .is_some_and(|s| s.contains("while encoding")),
        "{e:?}"
    );
}

#[test]
fn the_miter_proves_a_found_swap_and_refutes_a_wrong_one() {
    let (g, ex) = compile(CIRCUIT, &[]);
    let (r, _) = compile(SWAP_REFERENCE, &[]);
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    let a = Sat::default()
        .solve(&p, &mut NoopObserver)
        .unwrap()
        .assignment()
        .cloned()
        .unwrap();
    let none = Assignment(Vec::new());
    let c = check_all_inputs(&g, &a, &r, &none, 1_000_000, None, &mut NoopObserver).unwrap();
    assert!(
        matches!(c, Check::Agree { inputs, .. } if inputs == 4.0),
        "{c:?}"
    );
    // All gates Nop writing wire 2: outputs stay (x, y), not swapped.
    let wrong = Assignment(vec![4, 4, 4, 0, 0, 0, 0, 0, 0, 2, 2, 2]);
    match check_all_inputs(&g, &wrong, &r, &none, 1_000_000, None, &mut NoopObserver).unwrap() {
        Check::Counterexample {
            inputs,
            program,
            reference,
            ..
        } => {
            assert_ne!(inputs[0], inputs[1]);
            assert_eq!(program, inputs);
            assert_eq!(reference, vec![inputs[1], inputs[0]]);
        }
        c => panic!("{c:?}"),
    }
}

#[test]
fn the_dimacs_export_is_the_solved_cnf() {
    let (g, ex) = compile(CIRCUIT, &[]);
    let text = weft_sat::export::dimacs(&g, &ex, 1_000_000).unwrap();
    let header = text.lines().find(|l| l.starts_with("p cnf ")).unwrap();
    let n: Vec<usize> = header[6..].split(' ').map(|x| x.parse().unwrap()).collect();
    let clauses = text
        .lines()
        .filter(|l| !l.starts_with('c') && !l.starts_with('p'))
        .count();
    assert_eq!(n[1], clauses);
    assert!(text.contains("c hole gate[0] And "));
    let size = weft_sat::size(&g, &ex, 1_000_000).unwrap();
    assert_eq!((size.vars as usize, size.clauses), (n[0], n[1]));
}

/// Writes `text` to a fresh file and runs Debian's z3 on it; `None` (the test is skipped)
/// when z3 is not installed. Returns z3's answer and the file's directory.
fn run_z3(text: &str, name: &str) -> Option<(String, std::path::PathBuf)> {
    let dir = std::env::temp_dir().join(format!("weft-sat-z3-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.smt2"));
    std::fs::write(&path, text).unwrap();
    match std::process::Command::new("z3").arg(&path).output() {
        Ok(o) => Some((String::from_utf8_lossy(&o.stdout).into_owned(), dir)),
        Err(_) => {
            eprintln!("SKIPPED: z3 is not installed (apt-get install -y z3)");
            None
        }
    }
}

/// Runs Debian's z3 on the SMT-LIB export; its model must be a correct program.
#[test]
fn z3_solves_the_smtlib_export_correctly() {
    let (g, ex) = compile(CIRCUIT, &[]);
    let text = weft_sat::export::smtlib(&g, &ex, 1_000_000, false).unwrap();
    assert!(text.starts_with("; weft sketch"));
    let Some((answer, dir)) = run_z3(&text, "swap") else {
        return;
    };
    let path = dir.join("swap.smt2");
    let a = weft_sat::export::parse_values(&g, &answer).unwrap_or_else(|| panic!("{answer}"));
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    weft_solve::verify(&p, "z3", &a).unwrap();
    // And one gate is unsat for z3 too.
    let (g1, ex1) = compile(CIRCUIT, &[("G", 1)]);
    std::fs::write(
        &path,
        weft_sat::export::smtlib(&g1, &ex1, 1_000_000, false).unwrap(),
    )
    .unwrap();
    let out = std::process::Command::new("z3")
        .arg(&path)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("unsat"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn redundancy_pins_in2_of_unary_gates_and_keeps_answers() {
    let (g, ex) = compile(XOR, &[]);
    let mut cnf = weft_sat::cnf::Cnf::default();
    let mut enc = weft_sat::encode::Encoder::new(&g, None, 1_000_000, &mut cnf).unwrap();
    enc.encode_static(
        &mut cnf,
        weft_sat::encode::Holes::Free(Default::default(), false),
    )
    .unwrap();
    // Two clauses per gate: Not → in2 = 0, Nop → in2 = 0.
    assert_eq!(enc.break_redundancy(&mut cnf), 6);
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    let config = SatConfig {
        minimize: true,
        redundancy: true,
        ..SatConfig::default()
    };
    let o = Sat::new(config).solve(&p, &mut NoopObserver).unwrap();
    assert!(
        matches!(
            o,
            Outcome::Found {
                cost: 1,
                optimal: true,
                ..
            }
        ),
        "{o:?}"
    );
    let (g1, ex1) = compile(CIRCUIT, &[("G", 1)]);
    let p1 = Problem {
        graph: &g1,
        examples: &ex1,
    };
    let config = SatConfig {
        redundancy: true,
        ..SatConfig::default()
    };
    let o = Sat::new(config).solve(&p1, &mut NoopObserver).unwrap();
    assert!(matches!(o, Outcome::NoSolution { .. }), "{o:?}");
}

/// z3 minimises the cost the SMT-LIB export defines: its model is a correct program whose
/// exact cost is the optimum weft proves.
#[test]
fn z3_minimizes_the_exported_cost_to_the_proved_optimum() {
    let (g, ex) = compile(XOR, &[]);
    let text = weft_sat::export::smtlib(&g, &ex, 1_000_000, true).unwrap();
    assert!(text.contains("(define-fun weft_cost () Int"));
    assert!(text.contains("(minimize weft_cost)"));
    // Without the flag the cost is defined but not an objective.
    let plain = weft_sat::export::smtlib(&g, &ex, 1_000_000, false).unwrap();
    assert!(plain.contains("(define-fun weft_cost () Int") && !plain.contains("(minimize"));
    let Some((answer, dir)) = run_z3(&text, "xor") else {
        return;
    };
    let a = weft_sat::export::parse_values(&g, &answer).unwrap_or_else(|| panic!("{answer}"));
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    weft_solve::verify(&p, "z3", &a).unwrap();
    let z3_cost = weft_ir::Evaluator::new(&g)
        .unwrap()
        .evaluate(&g, &a, &ex)
        .unwrap()
        .cost;
    let o = Sat::new(SatConfig {
        minimize: true,
        ..SatConfig::default()
    })
    .solve(&p, &mut NoopObserver)
    .unwrap();
    let Outcome::Found {
        cost,
        optimal: true,
        ..
    } = o
    else {
        panic!("{o:?}")
    };
    assert_eq!(z3_cost, cost);
    assert!(answer.contains(&format!("(weft_cost {cost})")), "{answer}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn holes_free_alone_but_not_together_are_not_both_listed_as_free() {
    // At h0 = h2 = false each hole alone does not matter, but both together do (true, true
    // fails the second example), so at most one may print as `_`; the listing's patterns
    // must not share an assignment.
    let (g, ex) = compile(
        "hole h0: bool; hole h2: bool;
         sketch s(x: bool) -> bool { x || (h0 && h2) }
         examples { (true) => true; (false) => false; }",
        &[],
    );
    let free = weft_ir::jointly_irrelevant_holes(&g, &Assignment(vec![0, 0]));
    assert_eq!(free.len(), 1, "{free:?}");
    let mut listed = Vec::new();
    let e = Sat::default()
        .enumerate(
            &Problem {
                graph: &g,
                examples: &ex,
            },
            &mut NoopObserver,
            None,
            &mut |a, _, free| listed.push((a.clone(), free.to_vec())),
        )
        .unwrap();
    assert!(e.complete);
    // Three passing assignments: one pattern with a free hole covering two, one fixed.
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(
        listed.iter().map(|(_, f)| f.len()).sum::<usize>(),
        1,
        "{listed:?}"
    );
}

/// A sketch without `cost` statements still defines `weft_cost` (as 0), so that a script that
/// adds `(minimize weft_cost)` works on every export; z3 minimises it to 0.
#[test]
fn smtlib_export_defines_a_zero_cost_without_cost_statements() {
    let (g, ex) = compile(CIRCUIT, &[]);
    assert!(g.costs.is_empty());
    let plain = weft_sat::export::smtlib(&g, &ex, 1_000_000, false).unwrap();
    assert!(plain.contains("(define-fun weft_cost () Int 0)"), "{plain}");
    assert!(!plain.contains("(minimize"));
    let text = weft_sat::export::smtlib(&g, &ex, 1_000_000, true).unwrap();
    let define = text.find("(define-fun weft_cost () Int 0)").unwrap();
    let minimize = text.find("(minimize weft_cost)").unwrap();
    assert!(define < minimize && minimize < text.find("(check-sat)").unwrap());
    let Some((answer, dir)) = run_z3(&text, "nocost") else {
        return;
    };
    let a = weft_sat::export::parse_values(&g, &answer).unwrap_or_else(|| panic!("{answer}"));
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    weft_solve::verify(&p, "z3", &a).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// TerpreT's 2-bit adder sketch (5 wires, 8 gates): sum = 2·(w0 + w2) + w1 + w3 on wires
/// 0..3, wire 4 starting at zero.
fn two_bit_adder() -> String {
    let mut text = String::from(
        "enum Gate { And, Or, Xor, Not, Nop }
hole gate: [Gate; 8];
hole in1: [0..5; 8];
hole in2: [0..5; 8];
hole out: [0..5; 8];
fn apply(g: Gate, a: bool, b: bool) -> bool {
    match g { And => a && b, Or => a || b, Xor => a ^ b, Not => !a, Nop => a }
}
sketch adder(w: [bool; 5]) -> (s: [bool; 3]) {
    let wires = w;
    for g in 0..8 { wires[out[g]] = apply(gate[g], wires[in1[g]], wires[in2[g]]); }
    s = wires[0..3];
}
examples {
",
    );
    let b = |x: u32| if x == 1 { "true" } else { "false" };
    for e in 0..16u32 {
        let w: Vec<u32> = (0..4).map(|i| (e >> (3 - i)) & 1).collect();
        let sum = 2 * (w[0] + w[2]) + w[1] + w[3];
        text += &format!(
            "    ([{}, {}, {}, {}, false]) => ([{}, {}, {}]);\n",
            b(w[0]),
            b(w[1]),
            b(w[2]),
            b(w[3]),
            b(sum >> 2 & 1),
            b(sum >> 1 & 1),
            b(sum & 1)
        );
    }
    text + "}\n"
}

/// Runs the adder's gates directly (gate, in1, in2, out: the holes in declaration order).
fn adds(holes: &[u32]) -> bool {
    (0..16u32).all(|e| {
        let mut w: Vec<bool> = (0..4).map(|i| (e >> (3 - i)) & 1 == 1).collect();
        w.push(false);
        for g in 0..8 {
            let (a, b) = (w[holes[8 + g] as usize], w[holes[16 + g] as usize]);
            w[holes[24 + g] as usize] = match holes[g] {
                0 => a && b,
                1 => a || b,
                2 => a ^ b,
                3 => !a,
                _ => a,
            };
        }
        let x: Vec<u32> = (0..4).map(|i| (e >> (3 - i)) & 1).collect();
        let sum = 2 * (x[0] + x[2]) + x[1] + x[3];
        (0..3).all(|k| w[k] == (sum >> (2 - k) & 1 == 1))
    })
}

/// The race: CaDiCaL takes seconds on the 2-bit adder, the local search beside it usually
/// less. Whoever wins, the program adds.
#[test]
fn the_sat_portfolio_finds_the_two_bit_adder() {
    let (g, ex) = compile(&two_bit_adder(), &[]);
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    let config = SatConfig {
        deadline: Some(std::time::Duration::from_secs(120)),
        ..SatConfig::default()
    };
    let o = Sat::new(config).run(&p, &mut NoopObserver).unwrap();
    let Outcome::Found { assignment, .. } = &o else {
        panic!("expected an adder, got {o:?}");
    };
    assert!(adds(&assignment.0), "{assignment:?}");
}

/// Below the race's first phase CaDiCaL's answer is the answer: the same with and without
/// the local search, and not marked as the local search's.
#[test]
fn small_problems_get_cadicals_answer_deterministically() {
    let (g, ex) = compile(CIRCUIT, &[]);
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    let with = Sat::default().run(&p, &mut NoopObserver).unwrap();
    let without = Sat::new(SatConfig {
        local_search: false,
        ..SatConfig::default()
    })
    .run(&p, &mut NoopObserver)
    .unwrap();
    assert_eq!(with.assignment(), without.assignment());
    assert!(with.assignment().is_some(), "{with:?}");
    assert_eq!(with.stats().found_by, None);
    // A proof of impossibility stays CaDiCaL's.
    let (g, ex) = compile(CIRCUIT, &[("G", 1)]);
    let p = Problem {
        graph: &g,
        examples: &ex,
    };
    let o = Sat::default().run(&p, &mut NoopObserver).unwrap();
    assert!(matches!(o, Outcome::NoSolution { .. }), "{o:?}");
}
