//! `weft kanren` as a REPL: forms piped into standard input are evaluated as they complete,
//! a bad form is reported with its line and column, and the loop goes on.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::{root, stderr, stdout, tmp_file, weft};

/// Runs `weft kanren` with `input` on standard input; returns (stdout, stderr, exit code).
fn repl(input: &str) -> (String, String, Option<i32>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .arg("kanren")
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the weft binary runs");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(input.as_bytes())
        .expect("stdin takes the input");
    let o = child.wait_with_output().expect("weft kanren finishes");
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        o.status.code(),
    )
}

const APPENDO: &str = "(defrel (appendo l s out)
  (conde ((== l '()) (== s out))
         ((fresh (a d res)
            (== l (cons a d))
            (== out (cons a res))
            (appendo d s res)))))
";

#[test]
fn repl_answers_each_run_as_it_completes() {
    let input = format!(
        "{APPENDO}(run* (q) (appendo q '(3) '(1 2 3)))\n(run 2 (x y)\n  (appendo x y '(1)))\n"
    );
    let (out, err, code) = repl(&input);
    assert_eq!(out, "((1 2))\n((() (1)) ((1) ()))\n", "stderr: {err}");
    assert_eq!(err, "");
    assert_eq!(code, Some(0));
}

#[test]
fn repl_reports_a_bad_form_and_goes_on() {
    // Line 8 (counted in the whole input), column 12: the `==` with one argument.
    let input = format!(
        "{APPENDO}(run* (q) (appendo q '(3) '(1 2 3)))\n(run 1 (q) (== q))\n(run* (q) (appendo '(1) '(2) q))\n"
    );
    let (out, err, code) = repl(&input);
    assert_eq!(out, "((1 2))\n((1 2))\n", "stderr: {err}");
    assert!(err.contains("<stdin>:8:12:"), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "stderr: {err}");
    assert_eq!(code, Some(2));
}

#[test]
fn run_star_prints_answers_as_it_finds_them() {
    // Infinitely many answers: the search never ends, but the first answers appear on
    // standard output while it runs. They are read here until they do; then the process is
    // killed (and a watchdog kills it after a minute, so that a regression fails, not hangs).
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .arg("kanren")
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the weft binary runs");
    let src = format!("{APPENDO}\n(run* (q) (fresh (x y) (appendo x y q)))\n");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(src.as_bytes())
        .expect("stdin takes the input");
    let mut out = child.stdout.take().expect("piped stdout");
    let (done, wait) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        let _ = wait.recv_timeout(std::time::Duration::from_secs(60));
        let _ = child.kill();
        let _ = child.wait();
    });
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    let want = "(_.0 (_.0 . _.1) (_.0 _.1 . _.2)";
    while !String::from_utf8_lossy(&seen).contains(want) {
        let k = out.read(&mut buf).expect("stdout reads");
        assert!(
            k > 0,
            "no streamed answers: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..k]);
    }
    done.send(()).expect("the watchdog waits");
    watchdog.join().expect("the watchdog ends");
}

#[test]
fn a_byte_order_mark_is_skipped() {
    // A BOM used to be read as part of the first symbol: "expected `defrel`, ... at top level".
    let src = "\u{feff}(run 1 (q) (== q 1))\n(run 1 (q) (== q 'x))\n";
    let f = tmp_file("weft-kanren-it", "bom.mk", src);
    let o = weft(&["kanren", &f]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "(1)\n(x)\n");
    let o = weft(&["kanren", "--repl", &f]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "(1)\n(x)\n");
    let (out, err, code) = repl(src);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "(1)\n(x)\n");
}

#[test]
fn an_unknown_string_escape_is_an_error() {
    // `\x41;` used to read as `x41;` (the backslash dropped without a word).
    let f = tmp_file(
        "weft-kanren-it",
        "escape.mk",
        "(run 1 (q) (== q \"a\\\"b\\\\c\"))\n(run 1 (q) (== q \"\\x41;\"))\n",
    );
    let o = weft(&["kanren", &f]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("escape.mk:2:19: unknown string escape `\\x`"),
        "{}",
        stderr(&o)
    );
    let f = tmp_file(
        "weft-kanren-it",
        "escape-ok.mk",
        "(run 1 (q) (== q \"a\\\"b\\\\c\"))\n",
    );
    let o = weft(&["kanren", &f]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "(\"a\\\"b\\\\c\")\n");
}

#[test]
fn an_unreadable_standard_input_is_named() {
    // Standard input a directory: used to print only "error: Is a directory (os error 21)".
    let o = Command::new(env!("CARGO_BIN_EXE_weft"))
        .arg("kanren")
        .current_dir(root())
        .stdin(std::fs::File::open("/").expect("/ opens"))
        .output()
        .expect("the weft binary runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("error: cannot read standard input: Is a directory"),
        "{}",
        stderr(&o)
    );
}
