//! The reference solver on the swap circuit: it finds a correct program, and it proves that
//! one gate is not enough.

use crate::{root, stderr, stdout, weft};

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
