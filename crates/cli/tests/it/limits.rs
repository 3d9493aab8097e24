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
