//! Bad input of every kind: a clear message with a location, and exit code 2.

use crate::{stderr, tmp_file, weft};

fn tmp(name: &str, text: &str) -> String {
    tmp_file("weft-err", name, text)
}

#[test]
fn a_type_error_names_file_line_and_column() {
    let f = tmp(
        "range.wft",
        "hole h: 0..4;\nsketch s(a: 0..4) -> 0..4 {\n    a + h\n}\n",
    );
    let o = weft(&["check", &f]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("range.wft:3:5"), "{e}");
    assert!(e.contains("may not fit"), "{e}");
}

#[test]
fn a_missing_file_is_an_error_not_a_panic() {
    let o = weft(&["check", "does/not/exist.wft"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read sketch"), "{}", stderr(&o));
}

#[test]
fn a_bad_set_flag_is_rejected() {
    for bad in ["numGates", "numGates=x", "=3", "nope=3"] {
        let o = weft(&["check", "benchmarks/terpret/circuit.wft", "--set", bad]);
        assert_eq!(o.status.code(), Some(2), "--set {bad}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
}

#[test]
fn bad_data_points_at_the_value() {
    let d = tmp("bad.jsonl", "{\"initial_wires\": [0, 1, 0], \"final_wires\": [1, 0]}\n{\"initial_wires\": [0, 7, 0], \"final_wires\": [1, 0]}\n");
    let o = weft(&["check", "benchmarks/terpret/circuit.wft", "--data", &d]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("bad.jsonl:2:"), "{e}");
    assert!(e.contains("initial_wires[1]"), "{e}");
}

#[test]
fn broken_json_names_line_and_column() {
    let d = tmp(
        "broken.json",
        "[\n  {\"initial_wires\": [0, 1, 0],\n   \"final_wires\": [1, 0]\n",
    );
    let o = weft(&["check", "benchmarks/terpret/circuit.wft", "--data", &d]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("broken.json:"), "{}", stderr(&o));
}

#[test]
fn a_bad_hole_file_is_rejected() {
    let h = tmp("holes.json", "{\"holes\": {\"gate\": [\"Xro\", \"Xor\", \"Xor\"], \"in1\": [0,1,0], \"in2\": [1,0,1], \"out\": [0,1,0]}}");
    let o = weft(&["run", "benchmarks/terpret/circuit.wft", "--holes", &h]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("Xro"), "{}", stderr(&o));
}

#[test]
fn negative_numbers_reach_the_range_checks() {
    // `--gamma -1` (with a space) is the value -1, not an unknown flag, and a negative or zero
    // timeout is refused with its flag named, never a panic.
    let p = "benchmarks/terpret/parity_chain.wft";
    let cases: [&[&str]; 6] = [
        &["solve", p, "--solver", "bop", "--gamma", "-1"],
        &["asm", "tune", "--task", "inc", "--lr", "-1"],
        &["bench", "anc", "--runs", "2", "--anc-noise", "-1"],
        &["solve", p, "--solver", "sat", "--timeout", "-1"],
        &[
            "bench",
            "terpret",
            "--solver",
            "sat",
            "--only",
            "nand",
            "--timeout",
            "-5",
        ],
        &["bench", "terpret", "--only", "nand", "--timeout", "0"],
    ];
    for args in cases {
        let o = weft(args);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert!(!e.contains("panicked"), "{args:?}: {e}");
        let flag = args[args.len() - 2];
        assert!(e.contains(flag), "{args:?}: {e}");
    }
}

#[test]
fn count_zero_is_refused_and_empty_data_warned_about() {
    let nand = [
        "solve",
        "benchmarks/terpret/circuit.wft",
        "--hypers",
        "benchmarks/terpret/data/circuit_nand_hypers.json",
        "--solver",
        "sat",
    ];
    let mut args = nand.to_vec();
    args.extend([
        "--data",
        "benchmarks/terpret/data/circuit_nand_data.json",
        "--count",
        "0",
    ]);
    let o = weft(&args);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--count"), "{}", stderr(&o));
    // An empty list of batches: any program fits, and the user is told so.
    let d = tmp("empty.json", "[]");
    let mut args = nand.to_vec();
    args.extend(["--data", &d]);
    let o = weft(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("holds no example"), "{}", stderr(&o));
}

#[test]
fn a_huge_timeout_is_no_deadline_not_a_panic() {
    let nand = [
        "benchmarks/terpret/circuit.wft",
        "--data",
        "benchmarks/terpret/data/circuit_nand_data.json",
        "--hypers",
        "benchmarks/terpret/data/circuit_nand_hypers.json",
    ];
    let runs: [&[&str]; 4] = [
        &["--solver", "sat", "--timeout", "1e19"],
        &["--solver", "sat", "--timeout", "1e300"],
        &["--solver", "enumerate", "--timeout", "1e19"],
        &["--solver", "gradsearch-plus", "--timeout", "1e19"],
    ];
    for extra in runs {
        let mut a = vec!["solve"];
        a.extend(nand);
        a.extend(extra);
        let o = weft(&a);
        assert_eq!(o.status.code(), Some(0), "{extra:?}: {}", stderr(&o));
        assert!(crate::stdout(&o).contains("holes:"), "{extra:?}");
    }
    let benches: [&[&str]; 3] = [
        &[
            "bench",
            "terpret",
            "--only",
            "nand",
            "--repeat",
            "1",
            "--timeout",
            "1e19",
        ],
        &[
            "bench",
            "terpret",
            "--solver",
            "sat",
            "--only",
            "nand",
            "--repeat",
            "1",
            "--timeout",
            "1e19",
        ],
        &[
            "bench",
            "circuits",
            "--only",
            "nand",
            "--runs",
            "2",
            "--steps",
            "10",
            "--solvers",
            "fmgd",
            "--cap",
            "1e19",
        ],
    ];
    for args in benches {
        let o = weft(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(crate::stdout(&o).contains("nand"), "{args:?}");
    }
}

/// Runs `weft` with standard output or standard error (or both) on `/dev/full`.
fn weft_full(args: &[&str], out: bool, err: bool) -> std::process::Output {
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_weft"));
    c.args(args).current_dir(crate::root()).env("NO_COLOR", "1");
    if out {
        c.stdout(full());
    }
    if err {
        c.stderr(full());
    }
    c.output().expect("the weft binary runs")
}

#[test]
fn a_full_stdout_or_stderr_is_not_a_panic() {
    let solve = ["solve", "examples/xor_min_gates.wft", "--solver", "sat"];
    let o = weft_full(&solve, true, false);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.starts_with("error: cannot write to standard output"),
        "{e}"
    );
    assert!(!e.contains("panicked"), "{e}");
    // Diagnostics that cannot be written are dropped; the exit code still tells.
    let bad: [&[&str]; 3] = [
        &["check", "does/not/exist.wft"],
        &["solve", "examples/xor_min_gates.wft", "--count", "0"],
        &["solve", "examples/xor_min_gates.wft", "--timeout", "-1"],
    ];
    for args in bad {
        let o = weft_full(args, false, true);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let o = weft_full(args, true, true);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn a_closed_stdout_ends_quietly() {
    // The reader goes away before weft writes its (long) answer.
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_weft"))
        .args([
            "ir",
            "benchmarks/terpret/parity_chain.wft",
            "--set",
            "K=2000",
        ])
        .current_dir(crate::root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the weft binary runs");
    drop(c.stdout.take());
    let o = c.wait_with_output().expect("weft ends");
    let e = stderr(&o);
    assert!(!e.contains("panicked"), "{e}");
    assert!(e.is_empty(), "{e}");
    assert_ne!(o.status.code(), Some(101), "{e}");
}

#[test]
fn a_set_value_beyond_64_bits_says_so() {
    for v in ["99999999999999999999", "-99999999999999999999"] {
        let arg = format!("numGates={v}");
        let o = weft(&["check", "benchmarks/terpret/circuit.wft", "--set", &arg]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains("out of range for a 64-bit integer"), "{e}");
        assert!(e.contains(v), "{e}");
    }
}

#[test]
fn a_hole_file_with_a_repeated_key_is_refused_and_a_byte_order_mark_skipped() {
    let rest = "\"in1\": [0,1,0], \"in2\": [1,0,1], \"out\": [0,1,0]";
    let twice = tmp(
        "twice_holes.json",
        &format!(
            "{{\"holes\": {{\"gate\": [\"Xor\", \"Xor\", \"Xor\"],\n {rest}, \"in1\": [1,1,1]}}}}"
        ),
    );
    let o = weft(&["run", "benchmarks/terpret/circuit.wft", "--holes", &twice]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("twice_holes.json: line 2, column 50"), "{e}");
    assert!(e.contains("\"in1\" appears twice"), "{e}");
    let bom = tmp(
        "bom_holes.json",
        &format!("\u{feff}{{\"holes\": {{\"gate\": [\"Xor\", \"Xor\", \"Xor\"], {rest}}}}}"),
    );
    let o = weft(&["run", "benchmarks/terpret/circuit.wft", "--holes", &bom]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// A hole file written for another sketch whose holes have the same names, or with other
/// params, is refused with both values and the key's line and column (it used to be read
/// silently); without `sketch` and `params` (hand-written) it is read.
#[test]
fn a_hole_file_for_another_sketch_or_other_params_is_refused() {
    let circuit = "benchmarks/terpret/circuit.wft";
    let holes = tmp("swap_holes.json", "");
    let o = weft(&[
        "solve",
        circuit,
        "--data",
        "benchmarks/terpret/data/circuit_swap_data.json",
        "--hypers",
        "benchmarks/terpret/data/circuit_swap_hypers.json",
        "--out",
        &holes,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        weft(&["run", circuit, "--holes", &holes]).status.code(),
        Some(0)
    );
    // The same sketch under another name.
    let text = std::fs::read_to_string(crate::root().join(circuit)).unwrap();
    let other = tmp(
        "other.wft",
        &text.replace("sketch circuit(", "sketch other("),
    );
    let o = weft(&["run", &other, "--holes", &holes]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains(&format!("{holes}: line 30, column 3: the hole file was written for sketch \"circuit\", this is sketch \"other\"")),
        "{e}"
    );
    // Another value of a param that leaves the holes' shapes as they were.
    let o = weft(&["run", circuit, "--set", "numOutputs=1", "--holes", &holes]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains(&format!("{holes}: line 27, column 5: the hole file was written with params.numOutputs = 2, but here numOutputs = 1")),
        "{e}"
    );
    // Without the keys, the file is read by either.
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&holes).unwrap()).unwrap();
    let top = v.as_object_mut().unwrap();
    top.remove("sketch");
    top.remove("params");
    let bare = tmp("bare_holes.json", &v.to_string());
    assert_eq!(
        weft(&["run", &other, "--holes", &bare]).status.code(),
        Some(0)
    );
    let o = weft(&["run", circuit, "--set", "numOutputs=1", "--holes", &bare]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
