//! The gradient solvers through the binary: solve, bad hyperparameters, the bench suites.

use crate::{stderr, stdout, weft};

const PARITY: &str = "benchmarks/terpret/parity_chain.wft";

#[test]
fn gradsearch_ra_solves_the_parity_chain_and_reports_the_rate() {
    let o = weft(&[
        "solve",
        PARITY,
        "--set",
        "K=16",
        "--solver",
        "gradsearch-ra",
        "--restarts",
        "10",
        "--steps",
        "2000",
        "--seed",
        "7",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("x = [false"), "{out}");
    assert!(out.contains("10/10 restarts succeeded (100%)"), "{out}");
}

#[test]
fn bad_gradient_hyperparameters_exit_2_with_the_flag_named() {
    for (flag, value) in [("--beta", "1.5"), ("--gamma", "-0.5"), ("--restarts", "0")] {
        let solver = if flag == "--gamma" {
            "bop"
        } else {
            "gradsearch-ra"
        };
        let arg = format!("{flag}={value}");
        let o = weft(&["solve", PARITY, "--solver", solver, &arg]);
        assert_eq!(o.status.code(), Some(2), "{flag}: {}", stderr(&o));
        assert!(stderr(&o).contains(flag), "{flag}: {}", stderr(&o));
    }
}

#[test]
fn a_failed_gradient_run_gives_up_with_exit_3() {
    let o = weft(&[
        "solve",
        PARITY,
        "--set",
        "K=64",
        "--solver",
        "fmgd",
        "--restarts",
        "3",
        "--steps",
        "20",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("0/3 restarts succeeded"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bench_parity_chain_prints_json_and_svg() {
    let svg = std::env::temp_dir().join(format!("weft-grad-test-{}.svg", std::process::id()));
    let o = weft(&[
        "bench",
        "parity-chain",
        "--ks",
        "4,8",
        "--runs",
        "5",
        "--methods",
        "gradsearch-ra,bop",
        "--json",
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(v["methods"].as_array().map(|a| a.len()), Some(2));
    assert_eq!(v["methods"][0]["cells"][0]["solved"], 5);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.contains("polyline"));
    let _ = std::fs::remove_file(svg);
}

#[test]
fn bench_refuses_flags_it_would_ignore_or_misuse() {
    let small = ["--ks", "4", "--runs", "2", "--methods", "gradsearch-ra"];
    let cases: [(&[&str], &str); 6] = [
        (
            &["parity-chain", "--peer", "--peer-steps", "0"],
            "--peer-steps",
        ),
        (
            &["parity-chain", "--peer", "--peer-reps", "0"],
            "--peer-reps",
        ),
        (&["parity-chain", "--restarts", "5"], "--restarts"),
        (
            &["circuits", "--only", "nand", "--restarts", "5"],
            "--restarts",
        ),
        (&["parity-chain", "--beta", "2"], "--beta"),
        (
            &[
                "circuits",
                "--only",
                "nand",
                "--solvers",
                "gradsearch-ra",
                "--beta",
                "2",
            ],
            "--beta",
        ),
    ];
    for (args, flag) in cases {
        let mut a = vec!["bench"];
        a.extend(args);
        if args[0] == "parity-chain" {
            a.extend(small);
        } else {
            a.extend(["--runs", "2", "--steps", "10"]);
        }
        let o = weft(&a);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{a:?}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        assert!(stderr(&o).contains(flag), "{a:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{a:?}: {}", stdout(&o));
    }
    // The terpret suite runs every solver with its defaults.
    let a = [
        "bench", "terpret", "--only", "nand", "--repeat", "1", "--solver", "fmgd", "--steps", "10",
    ];
    let o = weft(&a);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("--steps"), "{}", stderr(&o));
}

#[test]
fn an_out_of_range_float_is_reported_as_typed() {
    for (flag, value) in [
        ("--lr", "1e300"),
        ("--tau", "-1e39"),
        ("--beta", "1e-60"),
        ("--lr", "inf"),
    ] {
        let arg = format!("{flag}={value}");
        let o = weft(&["solve", PARITY, "--solver", "gradsearch-ra", &arg]);
        assert_eq!(o.status.code(), Some(2), "{arg}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains(value), "{arg}: {e}");
        assert!(e.contains(flag), "{arg}: {e}");
        assert!(
            !e.contains("got inf") && !e.contains("got -inf"),
            "{arg}: {e}"
        );
        assert!(!e.contains("got 0"), "{arg}: {e}");
    }
}

#[test]
fn a_negative_cost_weight_is_refused() {
    let o = weft(&[
        "solve",
        "examples/xor_min_gates.wft",
        "--solver",
        "fmgd",
        "--cost-weight",
        "-1",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--cost-weight"), "{}", stderr(&o));
}

#[test]
fn hyperparameters_a_solver_does_not_read_are_refused() {
    let cases: [(&str, &[&str], &str); 6] = [
        (
            "fmgd",
            &["--beta", "0.5"],
            "--beta does not apply to --solver fmgd",
        ),
        (
            "bop",
            &["--lr", "0.1"],
            "--lr does not apply to --solver bop",
        ),
        (
            "sat",
            &["--restarts", "5"],
            "--restarts is a flag of the gradient solvers",
        ),
        ("enumerate", &["--seed", "5"], "--seed needs --solver sat"),
        ("sat", &["--limit", "5"], "--limit needs --solver enumerate"),
        ("bop", &["--limit", "5"], "--limit needs --solver enumerate"),
    ];
    for (solver, flags, want) in cases {
        let mut a = vec![
            "solve",
            "benchmarks/terpret/parity_chain.wft",
            "--set",
            "K=4",
            "--solver",
            solver,
        ];
        a.extend(flags);
        let o = weft(&a);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{solver} {flags:?}: {}",
            stderr(&o)
        );
        assert!(
            stderr(&o).contains(want),
            "{solver} {flags:?}: {}",
            stderr(&o)
        );
    }
    // A flag the method reads is accepted.
    let o = weft(&[
        "solve",
        "benchmarks/terpret/parity_chain.wft",
        "--set",
        "K=4",
        "--solver",
        "gradsearch-ra",
        "--beta",
        "0.5",
        "--restarts",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn bench_anc_refuses_gradient_flags_it_does_not_read() {
    let o = weft(&["bench", "anc", "--beta", "0.5"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--beta is not a flag of `weft bench anc`"),
        "{}",
        stderr(&o)
    );
}
