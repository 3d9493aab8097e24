//! The SAT solver end to end: every TerpreT task it solves quickly is confirmed by `run`;
//! proofs of impossibility and optimality; best fit; many programs; the generalisation
//! check; export.

use crate::{stderr, stdout, weft};

/// (task, sketch, data stem) of the TerpreT tasks that take well under a second.
const TASKS: &[(&str, &str)] = &[
    ("circuit.wft", "circuit_nand"),
    ("circuit.wft", "circuit_swap"),
    ("circuit.wft", "circuit_shift"),
    ("circuit.wft", "circuit_adder"),
    ("turing.wft", "turing_invert"),
    ("turing.wft", "turing_prepend"),
    ("turing.wft", "turing_decrement"),
    ("basic_block.wft", "basic_block_access"),
];

fn task(sketch: &str, stem: &str) -> Vec<String> {
    vec![
        format!("benchmarks/terpret/{sketch}"),
        "--data".into(),
        format!("benchmarks/terpret/data/{stem}_data.json"),
        "--hypers".into(),
        format!("benchmarks/terpret/data/{stem}_hypers.json"),
    ]
}

fn run(args: &[String]) -> std::process::Output {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    weft(&a)
}

#[test]
fn sat_solves_terpret_tasks_and_run_confirms_each() {
    let dir = std::env::temp_dir().join(format!("weft-sat-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (sketch, stem) in TASKS {
        let out = dir.join(format!("{stem}.json"));
        let mut a = vec!["solve".to_string()];
        a.extend(task(sketch, stem));
        a.extend(["--solver", "sat", "--out", out.to_str().unwrap()].map(String::from));
        let o = run(&a);
        assert!(o.status.success(), "{stem}: {}{}", stdout(&o), stderr(&o));
        assert!(
            stdout(&o).contains("found by sat"),
            "{stem}: {}",
            stdout(&o)
        );
        let mut r = vec!["run".to_string()];
        r.extend(task(sketch, stem));
        r.extend(["--holes", out.to_str().unwrap(), "--json"].map(String::from));
        let o = run(&r);
        assert!(o.status.success(), "{stem}: {}{}", stdout(&o), stderr(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(v["passed"], v["total"], "{stem}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sat_proves_swap_with_one_gate_impossible() {
    let mut a = vec!["solve".to_string()];
    a.extend(task("circuit.wft", "circuit_swap"));
    a.extend(["--solver", "sat", "--set", "numGates=1"].map(String::from));
    let o = run(&a);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("no solution: proved by the solver"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn sat_minimize_proves_the_least_gate_count() {
    let o = weft(&[
        "solve",
        "examples/xor_min_gates.wft",
        "--solver",
        "sat",
        "--minimize",
    ]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("cost 1, proved optimal"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn max_fit_reports_a_proved_best_fit() {
    // One gate cannot swap; the best it can do is proved.
    let mut a = vec!["solve".to_string()];
    a.extend(task("circuit.wft", "circuit_swap"));
    a.extend(["--solver", "sat", "--set", "numGates=1", "--max-fit"].map(String::from));
    let o = run(&a);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("fits 2 of 4 examples (proved: no program fits more)"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn count_lists_distinct_programs_and_count_models_counts_them() {
    let mut a = vec!["solve".to_string()];
    a.extend(task("circuit.wft", "circuit_nand"));
    a.extend(["--solver", "sat", "--count", "3"].map(String::from));
    let o = run(&a);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(
        stdout(&o).matches("== program").count(),
        3,
        "{}",
        stdout(&o)
    );
    let mut a = vec!["solve".to_string()];
    a.extend(task("circuit.wft", "circuit_nand"));
    a.extend(["--solver", "sat", "--count-models"].map(String::from));
    let o = run(&a);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("(all of them: proved by the solver)"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn check_all_inputs_proves_swap_and_refutes_a_wrong_reference() {
    let mut a = vec!["solve".to_string()];
    a.extend(task("circuit.wft", "circuit_swap"));
    a.extend(
        [
            "--solver",
            "sat",
            "--check-all-inputs",
            "--reference",
            "crates/cli/tests/data/swap_reference.wft",
        ]
        .map(String::from),
    );
    let o = run(&a);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("agrees with"), "{}", stdout(&o));
    let o = weft(&[
        "solve",
        "examples/xor_min_gates.wft",
        "--solver",
        "sat",
        "--check-all-inputs",
        "--reference",
        "crates/cli/tests/data/and_reference.wft",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("COUNTEREXAMPLE"), "{}", stdout(&o));
}

#[test]
fn export_writes_dimacs_and_smtlib() {
    let mut a = vec!["export".to_string()];
    a.extend(task("circuit.wft", "circuit_swap"));
    a.extend(["--format", "dimacs"].map(String::from));
    let o = run(&a);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("\np cnf "), "{}", stdout(&o));
    let mut a = vec!["export".to_string()];
    a.extend(task("circuit.wft", "circuit_swap"));
    a.extend(["--format", "smtlib"].map(String::from));
    let o = run(&a);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("(set-logic QF_LIA)") && stdout(&o).contains("(check-sat)"));
}

#[test]
fn sat_only_flags_are_refused_for_other_solvers() {
    let o = weft(&[
        "solve",
        "examples/xor_min_gates.wft",
        "--max-fit",
        "--solver",
        "enumerate",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("--max-fit needs --solver sat"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn sat_only_flags_are_refused_for_the_gradient_solvers() {
    // Each of these would otherwise be ignored by fmgd; `--minimize` too (fmgd does not
    // optimise the cost).
    let flags: [&[&str]; 10] = [
        &["--max-fit"],
        &["--all"],
        &["--count", "3"],
        &["--count-models"],
        &["--check-all-inputs"],
        &["--minimize"],
        // Flags with a default value are refused too when they are given.
        &["--max-clauses", "100"],
        &["--hole-encoding", "log"],
        &["--lazy-above", "0"],
        &["--cadical", "plain"],
    ];
    for flag in flags {
        let mut a = vec![
            "solve",
            "benchmarks/terpret/parity_chain.wft",
            "--set",
            "K=4",
            "--solver",
            "fmgd",
            "--restarts",
            "2",
            "--steps",
            "5",
        ];
        a.extend(flag);
        let o = weft(&a);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{flag:?}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        assert!(stderr(&o).contains(flag[0]), "{flag:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{flag:?}: {}", stdout(&o));
    }
}

#[test]
fn minimize_and_out_are_refused_with_a_list_of_programs() {
    let out = std::env::temp_dir().join(format!("weft-sat-list-{}.json", std::process::id()));
    let out = out.to_str().unwrap();
    let cases: [&[&str]; 4] = [
        &["--count", "2", "--minimize"],
        &["--all", "--minimize"],
        &["--count", "2", "--out", out],
        &["--count-models", "--out", out],
    ];
    for extra in cases {
        let mut a = vec!["solve".to_string()];
        a.extend(task("circuit.wft", "circuit_nand"));
        a.extend(["--solver", "sat"].map(String::from));
        a.extend(extra.iter().map(|s| s.to_string()));
        let o = run(&a);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{extra:?}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        let flag = if extra.contains(&"--minimize") {
            "--minimize"
        } else {
            "--out"
        };
        assert!(stderr(&o).contains(flag), "{extra:?}: {}", stderr(&o));
        assert!(!std::path::Path::new(out).exists(), "{extra:?}");
    }
}

#[test]
fn json_output_is_one_json_document() {
    // --max-fit: the hole file, with the fit in it.
    let mut a = vec!["solve".to_string()];
    a.extend(task("circuit.wft", "circuit_swap"));
    a.extend(
        [
            "--solver",
            "sat",
            "--set",
            "numGates=1",
            "--max-fit",
            "--json",
        ]
        .map(String::from),
    );
    let o = run(&a);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON value");
    assert!(v["holes"].is_object(), "{v}");
    assert_eq!(v["fit"]["fitted"], 2, "{v}");
    assert_eq!(v["fit"]["total"], 4, "{v}");
    assert_eq!(v["fit"]["optimal"], true, "{v}");
    // --count: every program and the count in one object.
    let mut a = vec!["solve".to_string()];
    a.extend(task("circuit.wft", "circuit_nand"));
    a.extend(["--solver", "sat", "--count", "3", "--json"].map(String::from));
    let o = run(&a);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON value");
    assert_eq!(v["count"], 3, "{v}");
    assert_eq!(v["programs"].as_array().map(Vec::len), Some(3), "{v}");
    assert!(v["programs"][0]["holes"].is_object(), "{v}");
    // --count-models: the count alone.
    let mut a = vec!["solve".to_string()];
    a.extend(task("circuit.wft", "circuit_nand"));
    a.extend(["--solver", "sat", "--count-models", "--json"].map(String::from));
    let o = run(&a);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON value");
    assert!(v["count"].as_u64().is_some_and(|n| n > 0), "{v}");
    assert_eq!(v["complete"], true, "{v}");
    // --check-all-inputs: the hole file; the verdict on stderr.
    let mut a = vec!["solve".to_string()];
    a.extend(task("circuit.wft", "circuit_swap"));
    a.extend(
        [
            "--solver",
            "sat",
            "--check-all-inputs",
            "--reference",
            "crates/cli/tests/data/swap_reference.wft",
            "--json",
        ]
        .map(String::from),
    );
    let o = run(&a);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON value");
    assert!(v["holes"].is_object(), "{v}");
    assert!(stderr(&o).contains("agrees with"), "{}", stderr(&o));
}

/// `--solver local` finds a program that `run` confirms, is reproducible from its seed, and
/// refuses what it cannot do; `--no-local-search` belongs to `--solver sat`.
#[test]
fn local_search_solves_and_its_flags_are_checked() {
    let dir = std::env::temp_dir().join(format!("weft-local-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("swap.json");
    let solve = |seed: &str, out: &std::path::Path| {
        let mut a = vec!["solve".to_string()];
        a.extend(task("circuit.wft", "circuit_swap"));
        a.extend(
            [
                "--solver",
                "local",
                "--seed",
                seed,
                "--out",
                out.to_str().unwrap(),
            ]
            .map(String::from),
        );
        run(&a)
    };
    let o = solve("3", &out);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("found by local"), "{}", stdout(&o));
    let mut r = vec!["run".to_string()];
    r.extend(task("circuit.wft", "circuit_swap"));
    r.extend(["--holes", out.to_str().unwrap(), "--json"].map(String::from));
    let o = run(&r);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["passed"], v["total"]);
    let again = dir.join("again.json");
    assert!(solve("3", &again).status.success());
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        std::fs::read_to_string(&again).unwrap(),
        "the same seed gives the same program"
    );
    let _ = std::fs::remove_dir_all(&dir);

    for (flags, want) in [
        (
            &["--solver", "local", "--minimize"][..],
            "local search does not minimise",
        ),
        (
            &["--solver", "enumerate", "--no-local-search"][..],
            "--no-local-search needs --solver sat",
        ),
        (
            &["--solver", "local", "--no-local-search"][..],
            "--no-local-search needs --solver sat",
        ),
    ] {
        let mut a = vec!["solve".to_string()];
        a.extend(task("circuit.wft", "circuit_swap"));
        a.extend(flags.iter().map(|s| s.to_string()));
        let o = run(&a);
        assert_eq!(o.status.code(), Some(2), "{flags:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{flags:?}: {}", stderr(&o));
    }
    // CaDiCaL alone still solves and says so.
    let mut a = vec!["solve".to_string()];
    a.extend(task("circuit.wft", "circuit_swap"));
    a.push("--no-local-search".into());
    let o = run(&a);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("found by sat in"), "{}", stdout(&o));
}
