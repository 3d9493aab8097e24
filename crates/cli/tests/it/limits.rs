//! Sketches at and beyond the limits: huge search spaces, costs, counts and answers that must
//! be reported honestly (sizes, lower bounds, exit codes), never as `inf`, panics or
//! internal errors.

use crate::{stderr, stdout, tmp_file, weft};

fn tmp(name: &str, text: &str) -> String {
    tmp_file("weft-limits", name, text)
}

/// A search space beyond `f64` is shown as a power of two computed in log space, not `2^inf`.
#[test]
fn check_shows_a_huge_search_space_as_a_finite_power_of_two() {
    let f = tmp(
        "huge_space.wft",
        "hole h: [0..65536; 2000];\nsketch s() -> bool { true }\n",
    );
    let o = weft(&["check", &f]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("(search space 2^32000.0)"), "{out}");
    assert!(!out.contains("inf"), "{out}");
}

/// 2^29 programs (every odd-parity assignment of 30 bits): no listing finishes in 0.3 s.
const MANY: &str = "hole h: [bool; 30];
sketch s() {
    let p = false;
    for i in 0..30 { p = p ^ h[i]; }
    observe p;
}
";

/// `--count-models` stopped by `--timeout` gave up (exit 3) and says its count is a lower
/// bound, in text and in JSON; `--count N` that reaches N is complete as asked (exit 0).
#[test]
fn a_count_stopped_by_the_deadline_is_a_lower_bound_and_exits_3() {
    let f = tmp("many.wft", MANY);
    let args = [
        "solve",
        &f,
        "--solver",
        "sat",
        "--count-models",
        "--timeout",
        "0.3",
    ];
    let o = weft(&args);
    assert_eq!(o.status.code(), Some(3), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).starts_with("at least "), "{}", stdout(&o));
    assert!(stdout(&o).contains("a lower bound"), "{}", stdout(&o));
    assert!(stderr(&o).contains("gave up"), "{}", stderr(&o));
    let o = weft(&[&args[..], &["--json"]].concat());
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["complete"], false, "{v}");
    assert_eq!(v["lower_bound"], true, "{v}");
    let o = weft(&["solve", &f, "--solver", "sat", "--count", "2", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (v["count"].as_u64(), &v["lower_bound"]),
        (Some(2), &serde_json::json!(false))
    );
}

/// With `--json`, standard output is one JSON value also when there is no program: a proof
/// of no solution (exit 1) or a gradient solver giving up (exit 3); the readable line goes to
/// standard error.
#[test]
fn json_output_is_one_value_without_a_solution() {
    let f = tmp(
        "none.wft",
        "hole h: bool;\nsketch s() { observe h && !h; }\n",
    );
    for solver in ["sat", "enumerate"] {
        let o = weft(&["solve", &f, "--solver", solver, "--json"]);
        assert_eq!(o.status.code(), Some(1), "{solver}: {}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o))
            .unwrap_or_else(|e| panic!("{solver}: {e}: {}", stdout(&o)));
        assert_eq!(v["status"], "no solution", "{v}");
        assert_eq!(v["proved"], true, "{v}");
        assert!(stderr(&o).contains("no solution: proved"), "{}", stderr(&o));
    }
    let o = weft(&["solve", &f, "--solver", "fmgd", "--steps", "5", "--json"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (&v["status"], &v["proved"]),
        (&"gave up".into(), &false.into())
    );
}

/// Costs whose total can leave `i64` are refused up front (exit 2, located at the largest
/// cost), by every command: `--minimize` reported it as refused weights or as an unsound
/// answer, and the exact evaluator saturated the sum (`cost 9223372036854775807`).
#[test]
fn a_total_cost_beyond_64_bits_is_refused_up_front() {
    let f = tmp(
        "bigcost.wft",
        "hole h: [0..2; 3];\nsketch s() {\n    for i in 0..3 { cost 4611686018427387000 + h[i]; }\n}\n",
    );
    for args in [
        &["check", &f][..],
        &["solve", &f, "--solver", "sat", "--minimize"],
        &["solve", &f, "--solver", "enumerate", "--minimize"],
    ] {
        let o = weft(args);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{args:?}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        let err = stderr(&o);
        assert!(err.contains("the total cost can range over"), "{err}");
        assert!(err.contains("13835058055282161000"), "{err}");
        assert!(err.contains("bigcost.wft:3:"), "{err}");
        assert!(
            !stdout(&o).contains("cost 9223372036854775807"),
            "{}",
            stdout(&o)
        );
    }
}

/// An endless input (`/dev/zero` as a sketch, miniKanren file, program, hole file, hypers
/// file or standard input) is refused at its kind's limit with its name and exit code 2; it
/// used to be read until memory ran out.
#[cfg(unix)]
#[test]
fn an_endless_input_is_refused_at_its_limit() {
    let circuit = "benchmarks/terpret/circuit.wft";
    let cases: [(&[&str], &str); 5] = [
        (&["solve", "/dev/zero"], "sketch"),
        (&["kanren", "/dev/zero"], "miniKanren input"),
        (&["asm", "fmt", "/dev/zero"], "program"),
        (&["run", circuit, "--holes", "/dev/zero"], "hole file"),
        (&["check", circuit, "--hypers", "/dev/zero"], "hypers file"),
    ];
    let want = |kind: &str| {
        format!("/dev/zero: larger than 256 MiB; weft reads at most 256 MiB of a {kind}")
    };
    for (args, kind) in cases {
        let o = weft(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(&want(kind)), "{args:?}: {}", stderr(&o));
    }
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_weft"))
        .arg("kanren")
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .output()
        .expect("the weft binary runs");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains(
            "<stdin>: larger than 256 MiB; weft reads at most 256 MiB of a miniKanren input"
        ),
        "{e}"
    );
}

/// A regular file beyond its kind's limit (a sparse file: nothing is written to disk) is
/// refused from its size, before it is read: data files from `--data` and from a sketch's
/// `examples "file";`, and weights files, may take 1 GiB.
#[test]
fn a_file_beyond_its_limit_is_refused_before_it_is_read() {
    let dir = std::path::PathBuf::from(tmp(
        "big.wft",
        "sketch s(x: bool) -> bool { x }\nexamples \"big.json\";\n",
    ))
    .parent()
    .unwrap()
    .to_path_buf();
    let big = dir.join("big.json");
    std::fs::File::create(&big)
        .unwrap()
        .set_len((1 << 30) + 1)
        .unwrap();
    let (sketch, big) = (dir.join("big.wft"), big.to_str().unwrap().to_string());
    let want =
        |kind: &str| format!("{big}: larger than 1 GiB; weft reads at most 1 GiB of a {kind}");
    let o = weft(&["check", "benchmarks/terpret/circuit.wft", "--data", &big]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains(&want("data file")), "{}", stderr(&o));
    let o = weft(&["check", sketch.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains(&want("data file")), "{}", stderr(&o));
    assert!(stderr(&o).contains("named here"), "{}", stderr(&o));
    let o = weft(&["asm", "decompile", &big]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains(&want("weights file")), "{}", stderr(&o));
    let _ = std::fs::remove_file(&big);
}
