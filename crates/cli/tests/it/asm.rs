//! `weft asm …` and `weft bench anc`.

use crate::{stderr, stdout, tmp_file, weft};

fn tmp(name: &str, text: &str) -> String {
    tmp_file("weft-asm-it", name, text)
}

const MAP: &str = "map_loop:\n  read 1 2\n  inc 2 2\n  write 1 2\n  inc 1 1\n  jump 3 ↪ map_loop\n";

#[test]
fn asm_run_prints_the_final_memory() {
    let f = tmp("map.s", MAP);
    let o = weft(&["asm", "run", &f, "--memory", "1,2,3,4", "--steps", "20"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("memory:    [2, 3, 4, 5, 0, 0, 0, 0]"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn asm_bad_program_is_exit_2_with_line_and_column() {
    let f = tmp("bad.s", "l:\n inc 1 9\n jump 2 -> nowhere\n");
    let o = weft(&["asm", "run", &f]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("bad.s:2:8: register 9 is out of range"), "{e}");
    assert!(e.contains("bad.s:3:12: no label `nowhere`"), "{e}");
}

#[test]
fn asm_compile_then_decompile_gives_the_program_back() {
    let f = tmp("map2.s", MAP);
    let w = tmp("w.json", "");
    let o = weft(&[
        "asm", "compile", &f, "--noise", "0.3", "--seed", "4", "-o", &w,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = weft(&["asm", "decompile", &w]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("# p(op)"), "{text}");
    let back = tmp("back.s", &text);
    let a = weft(&["asm", "fmt", &back]);
    let b = weft(&["asm", "fmt", &f]);
    assert_eq!(
        stdout(&a).replace("map_loop", "l1"),
        stdout(&b).replace("map_loop", "l1")
    );
    let bad = tmp(
        "bad.json",
        "{\"registers\": 4, \"lines\": 2, \"logits\": []}",
    );
    let o = weft(&["asm", "decompile", &bad]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad weights"), "{}", stderr(&o));
}

#[test]
fn asm_tune_recovers_a_reference_program() {
    let o = weft(&[
        "asm", "tune", "--task", "swap", "--runs", "2", "--steps", "5",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("2/2 runs recovered"), "{}", stdout(&o));
    let o = weft(&["asm", "tune", "--task", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    let o = weft(&["asm", "tune", "--task", "reduce", "--cells", "3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("needs at least 5 memory cells"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bench_anc_prints_a_table_and_json() {
    let o = weft(&[
        "bench",
        "anc",
        "--runs",
        "2",
        "--steps",
        "5",
        "--anc-tasks",
        "inc,reduce",
        "--anc-rows",
        "synthesis,both",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("| Synthesis | 100% | 100% |"),
        "{}",
        stdout(&o)
    );
    let o = weft(&[
        "bench",
        "anc",
        "--runs",
        "2",
        "--steps",
        "5",
        "--anc-tasks",
        "inc",
        "--anc-rows",
        "both",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["rows"][0]["cells"][0]["recovered"], 2);
    let o = weft(&["bench", "anc", "--anc-rows", "nonsense"]);
    assert_eq!(o.status.code(), Some(2));
}

/// `bench anc` checks the budget of every cell that tunes before it runs any: an extreme
/// invocation is refused at once (exit code 2) naming the cell, its figures and the flags to
/// lower, where it used to start tuning for half a year. Rows that do not tune are not checked.
#[test]
fn bench_anc_refuses_a_cell_beyond_the_budget_before_running_any() {
    let extreme = [
        "bench",
        "anc",
        "--runs",
        "10000",
        "--steps",
        "1000000",
        "--anc-rows",
        "synthesis,near-miss",
        "--anc-tasks",
        "parity",
    ];
    let o = weft(&extreme);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.starts_with("error: bench anc: cell `Both (near misses only)` × `parity`: it needs"),
        "{e}"
    );
    // The longest candidate, padding included: 8 lines × (13 + 3·4 + 8 + 1) logits.
    assert!(
        e.contains("(10000 runs × 272 logits × 4 buffers of f32)"),
        "{e}"
    );
    assert!(
        e.contains(
            "(10000 runs × 8 examples × 3 candidates × 1000000 Adam steps × 28 machine steps"
        ),
        "{e}"
    );
    assert!(e.contains("more than the 1e12 units allowed"), "{e}");
    assert!(
        e.contains("use fewer runs (--runs), Adam steps (--steps) or candidates (--anc-candidates), or pass --no-work-cap"),
        "{e}"
    );
    // Refused before the Synthesis cell ran (its progress line would come first).
    assert!(!e.contains("Synthesis"), "{e}");
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    // The same flags on a row that does not tune: nothing to check, and it runs.
    let o = weft(&[&extreme[..7], &["synthesis", "--anc-tasks", "parity"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // An unreachable step budget is refused, as by `asm tune`, even with `--no-work-cap`.
    let o = weft(&["bench", "anc", "--steps", "100000000", "--no-work-cap"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--steps must be in 0..=1000000, got 100000000"),
        "{}",
        stderr(&o)
    );
    // A tiny tuning cell still runs.
    let o = weft(&[
        "bench",
        "anc",
        "--runs",
        "1",
        "--steps",
        "1",
        "--anc-rows",
        "optimization",
        "--anc-tasks",
        "inc",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("| Optimization |"), "{}", stdout(&o));
}

#[test]
fn asm_run_checks_the_machine_before_allocating_its_memory() {
    // `--cells` is checked against the base before the memory is allocated: a billion cells
    // used to allocate (and zero) 8 GB before `run` rejected the machine.
    let f = tmp("cells.s", "inc 1 1\n");
    let o = weft(&[
        "asm",
        "run",
        &f,
        "--base",
        "1000000000",
        "--cells",
        "1000000000",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("base must be in 2..=64"),
        "{}",
        stderr(&o)
    );
    // `--registers 0` is a bad machine, not a program whose registers are all out of range.
    let o = weft(&["asm", "run", &f, "--registers", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("registers must be in 1..=16, got 0"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn asm_fmt_and_compile_check_the_register_count() {
    // `compile --registers 18446744073709551615` used to panic (index out of bounds: the
    // logits' width overflowed); `fmt` accepted any count.
    let f = tmp("regs.s", "inc 1 1\n");
    for cmd in ["fmt", "compile"] {
        for r in ["0", "17", "18446744073709551615"] {
            let o = weft(&["asm", cmd, &f, "--registers", r]);
            assert_eq!(o.status.code(), Some(2), "{cmd} {r}: {}", stderr(&o));
            assert!(
                stderr(&o).contains(&format!("registers must be in 1..=16, got {r}")),
                "{cmd} {r}: {}",
                stderr(&o)
            );
        }
    }
}

#[test]
fn asm_skips_a_byte_order_mark() {
    // A BOM used to be read as part of the first instruction: "unknown instruction `\u{feff}inc`".
    let f = tmp("bom.s", "\u{feff}inc 1 1\n");
    let o = weft(&["asm", "fmt", &f]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "inc 1 1");
}

#[test]
fn asm_compile_refuses_a_program_too_long_for_a_weights_file() {
    // The logits are quadratic in the lines: 100 000 lines used to abort allocating 40 GB.
    let f = tmp("long.s", &"inc 1 1\n".repeat(100_000));
    let o = weft(&["asm", "compile", &f, "-o", "/dev/null"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the program has 100000 lines; at most 4096 compile"),
        "{}",
        stderr(&o)
    );
    let f = tmp("long4096.s", &"inc 1 1\n".repeat(4096));
    let o = weft(&["asm", "compile", &f, "-o", "/dev/null"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn asm_weights_beyond_f32_are_bad_input() {
    // 1e39 is a finite JSON number but an infinite f32: `decompile` said "the weights contain
    // a non-finite value" without the file, and `tune --weights` tuned infinite logits.
    let f = tmp("one.s", "inc 1 1\n");
    let w = tmp("w-one.json", "");
    let o = weft(&["asm", "compile", &f, "-o", &w]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&w).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["logits"][0]["op"][0] = serde_json::json!(1e39);
    let big = tmp("w-big.json", &v.to_string());
    let o = weft(&["asm", "decompile", &big]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let want = "w-big.json: bad weights: line 1: `op`[0] = 1e39 is out of range for a 32-bit float";
    assert!(stderr(&o).contains(want), "{}", stderr(&o));
    let o = weft(&[
        "asm",
        "tune",
        "--task",
        "inc",
        "--weights",
        &big,
        "--runs",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains(want), "{}", stderr(&o));
}

#[test]
fn asm_a_huge_register_number_is_out_of_range() {
    // Used to say "unexpected `99999999999999999999`: `inc` takes 2 registers".
    let f = tmp("bigreg.s", "inc 99999999999999999999 r1\n");
    let o = weft(&["asm", "fmt", &f]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).trim(),
        format!(
            "error: {f}:1:5: register 99999999999999999999 is out of range: the machine has registers 1..=4"
        )
    );
}

#[test]
fn asm_tune_bounds_the_adam_steps() {
    // `--steps 18446744073709551615` on a task no run solves used to run without end.
    let o = weft(&[
        "asm",
        "tune",
        "--task",
        "parity",
        "--random",
        "3",
        "--runs",
        "1",
        "--steps",
        "18446744073709551615",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--steps must be in 0..=1000000, got 18446744073709551615"),
        "{}",
        stderr(&o)
    );
}

/// `asm tune` estimates its memory and work before allocating: beyond the work cap it is
/// refused unless `--no-work-cap`, beyond three quarters of the machine's memory always, with
/// both figures (exit code 2). These ran for a day, or failed to allocate 660 GB.
#[test]
fn asm_tune_refuses_work_beyond_the_cap_and_memory_beyond_the_machine() {
    let o = weft(&[
        "asm", "tune", "--task", "map-inc", "--runs", "10000", "--random", "256",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("about 10.9 GiB of memory (10000 runs × 72192 logits"),
        "{e}"
    );
    assert!(e.contains("2.8e13 units of work (10000 runs × 8 examples × 200 Adam steps × 24 machine steps × 72736 a step"), "{e}");
    assert!(e.contains("more than the 1e12 units allowed"), "{e}");
    assert!(e.contains("--no-work-cap"), "{e}");
    // Over the cap as estimated, but every run is verified before its first step.
    let exact = [
        "asm", "tune", "--task", "map-inc", "--runs", "10000", "--noise", "0", "--steps", "1000000",
    ];
    let o = weft(&exact);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = weft(&[&exact[..], &["--no-work-cap"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("10000/10000 runs recovered"),
        "{}",
        stdout(&o)
    );
    // 2000 lines on 16 registers: 4 124 000 logits a run, 660 GB for 10 000 runs.
    let line = format!(
        "{{\"op\": [{z13}], \"a\": [{z16}], \"b\": [{z16}], \"c\": [{z16}], \"target\": [{t}]}}",
        z13 = ["0"; 13].join(","),
        z16 = ["0"; 16].join(","),
        t = vec!["0"; 2001].join(",")
    );
    let w = tmp(
        "wide_weights.json",
        &format!(
            "{{\"registers\": 16, \"lines\": 2000, \"logits\": [{}]}}",
            vec![line; 2000].join(",\n")
        ),
    );
    let o = weft(&[
        "asm",
        "tune",
        "--task",
        "map-inc",
        "--registers",
        "16",
        "--weights",
        &w,
        "--runs",
        "10000",
        "--no-work-cap",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("GiB of memory (10000 runs × 4124000 logits"),
        "{e}"
    );
    assert!(e.contains("more memory than the"), "{e}");
    assert!(e.contains("three quarters of this machine's memory"), "{e}");
}
