//! The reference solver on the swap circuit: it finds a correct program, and it proves that
//! one gate is not enough.

use crate::{root, stderr, stdout, tmp_file, weft};

const SWAP: [&str; 5] = [
    "benchmarks/terpret/circuit.wft",
    "--data",
    "benchmarks/terpret/data/circuit_swap_data.json",
    "--hypers",
    "benchmarks/terpret/data/circuit_swap_hypers.json",
];

#[test]
fn enumerate_finds_a_swap_circuit_that_run_confirms() {
    let dir = std::env::temp_dir().join(format!("weft-solve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("swap.json");
    let mut a = vec!["solve"];
    a.extend(SWAP);
    a.extend(["--solver", "enumerate", "--out", out.to_str().unwrap()]);
    let o = weft(&a);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("final_wires[0]"), "{}", stdout(&o));
    // The hole file it wrote reads back and passes every example.
    let mut r = vec!["run"];
    r.extend(SWAP);
    r.extend(["--holes", out.to_str().unwrap(), "--json"]);
    let o = weft(&r);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["passed"], 4);
}

#[test]
fn enumerate_proves_swap_with_one_gate_impossible() {
    let mut a = vec!["solve"];
    a.extend(SWAP);
    a.extend(["--set", "numGates=1", "--solver", "enumerate"]);
    let o = weft(&a);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("no solution: proved by exhaustive search"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn enumerate_refuses_a_search_above_its_limit() {
    let mut a = vec!["solve"];
    a.extend(SWAP);
    a.extend(["--limit", "1000", "--solver", "enumerate"]);
    let o = weft(&a);
    assert_eq!(o.status.code(), Some(3), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("limit"), "{}", stderr(&o));
}

#[test]
fn parity_chain_has_only_the_all_false_solution() {
    let o = weft(&[
        "solve",
        "benchmarks/terpret/parity_chain.wft",
        "--set",
        "K=6",
        "--json",
    ]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v["holes"]["x"],
        serde_json::json!([false, false, false, false, false])
    );
    let _ = root();
}

#[test]
fn demo_solves_its_tasks() {
    let o = weft(&["demo"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let s = stdout(&o);
    assert_eq!(
        s.matches("verified by the exact evaluator").count(),
        5,
        "{s}"
    );
}

#[test]
fn minimize_finds_the_cheapest_program_and_says_it_is_optimal() {
    let o = weft(&[
        "solve",
        "examples/xor_min_gates.wft",
        "--minimize",
        "--solver",
        "enumerate",
    ]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let s = stdout(&o);
    assert!(s.contains("cost 1, proved optimal"), "{s}");
    assert!(s.contains("xor(a, b)"), "{s}");
}

/// An `observe` or `cost` inside any branch of a runtime `if` or `match` holds exactly when
/// that branch is taken (each branch's guard is the enclosing path and its own condition; a
/// bug once ANDed it with the previous branch's guard, so later branches' checks vanished).
#[test]
fn observations_and_costs_in_every_branch_are_enforced() {
    let file = |name: &str, text: &str| tmp_file("weft-branches", name, text);
    // The then-branch is taken by the only example: g and !g cannot both hold.
    let then = file(
        "then.wft",
        "hole g: bool;\nsketch s(x: bool) {\n    if x { observe g; }\n    observe !g;\n}\nexamples { true => (); }\n",
    );
    // The second arm of a match, and an `else if`.
    let arm = file(
        "arm.wft",
        "enum E { A, B, C }\nhole g: bool;\nsketch s(e: E) {\n    match e { A => { }, B => { observe g; }, C => { } }\n    observe !g;\n}\nexamples { B => (); }\n",
    );
    let elif = file(
        "elif.wft",
        "hole h: 0..10;\nsketch s(x: 0..3) -> 0..10 {\n    if x == 0 { } else if x == 1 { observe h != 3; } else { }\n    h\n}\nexamples { 1 => 3; }\n",
    );
    for f in [&then, &arm, &elif] {
        for solver in ["sat", "enumerate"] {
            let o = weft(&["solve", f, "--solver", solver]);
            assert_eq!(o.status.code(), Some(1), "{f} {solver}: {}", stdout(&o));
        }
    }
    // Without the contradiction the then-branch's observation decides the hole.
    let forced = file(
        "forced.wft",
        "hole g: bool;\nsketch s(x: bool) {\n    if x { observe g; }\n}\nexamples { true => (); }\n",
    );
    let o = weft(&["solve", &forced, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("\"g\": true"), "{}", stdout(&o));
    // Costs in a then-branch and an else-branch each count when taken: 5 + 1.
    let costs = file(
        "costs.wft",
        "hole h: bool;\nsketch s(x: bool) -> bool {\n    if x { cost 5; } else { cost 1; }\n    h\n}\nexamples { false => true; true => true; }\n",
    );
    let o = weft(&["solve", &costs, "--minimize"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("cost 6"), "{}", stdout(&o));
}

#[test]
fn a_failed_out_write_keeps_the_answer_on_stdout() {
    let bad = "/nonexistent-weft-dir/holes.json";
    let runs: [&[&str]; 3] = [
        &["--solver", "enumerate"],
        &["--solver", "sat"],
        &["--solver", "sat", "--set", "numGates=1", "--max-fit"],
    ];
    for extra in runs {
        let mut a = vec!["solve"];
        a.extend(SWAP);
        a.extend(extra);
        a.extend(["--out", bad]);
        let o = weft(&a);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        assert!(stdout(&o).contains("holes:"), "{extra:?}: {}", stdout(&o));
        assert!(
            stderr(&o).contains(&format!("error: cannot write `{bad}`")),
            "{extra:?}: {}",
            stderr(&o)
        );
    }
    let o = weft(&[
        "solve",
        "benchmarks/terpret/parity_chain.wft",
        "--set",
        "K=4",
        "--solver",
        "gradsearch-ra",
        "--restarts",
        "4",
        "--steps",
        "200",
        "--out",
        bad,
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stdout(&o).contains("holes:"), "{}", stdout(&o));
    assert!(stderr(&o).contains("error: cannot write"), "{}", stderr(&o));
}
