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
