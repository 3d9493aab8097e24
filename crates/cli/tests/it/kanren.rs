//! `weft kanren` as a REPL: forms piped into standard input are evaluated as they complete,
//! a bad form is reported with its line and column, and the loop goes on.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::{root, stderr, stdout, tmp_file, weft};

/// Runs `weft kanren` with `input` on standard input; returns (stdout, stderr, exit code).
fn repl(input: &str) -> (String, String, Option<i32>) {
    repl_with(&[], input)
}

/// [`repl`] with more arguments.
fn repl_with(args: &[&str], input: &str) -> (String, String, Option<i32>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .arg("kanren")
        .args(args)
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

/// A relation that never ends.
const LOOP: &str = "(defrel (f x) (f x))\n";

/// `(run 1 (q) (f q))` over a relation that never ends ran for ever unless `--steps` was
/// given: `--timeout` stops it, prints the answers found so far and exits 3, as `--steps`
/// does; the REPL goes on to the next form.
#[test]
fn timeout_stops_a_run_that_never_ends() {
    let f = tmp_file(
        "weft-kanren-it",
        "loop.mk",
        &format!("{LOOP}(run 2 (q) (conde ((== q 1)) ((f q))))\n(run 1 (q) (== q 2))\n"),
    );
    let o = weft(&["kanren", &f, "--timeout", "0.3"]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{e}");
    assert_eq!(stdout(&o), "(1)\n");
    assert!(
        e.contains("loop.mk:2:1: stopped: the time limit (0.3 s) was reached after ")
            && e.contains(" s; the answers printed (1) are those found so far"),
        "{e}"
    );
    let o = weft(&["kanren", &f, "--steps", "1000"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the step limit (1000) was reached after 1000 steps and "),
        "{}",
        stderr(&o)
    );
    let input = format!("{LOOP}(run 1 (q) (f q))\n(run 1 (q) (== q 1))\n");
    let (out, err, code) = repl_with(&["--timeout", "0.2"], &input);
    assert_eq!((out.as_str(), code), ("()\n(1)\n", Some(3)), "{err}");
    assert!(
        err.contains("<stdin>:2:1: stopped: the time limit"),
        "{err}"
    );
    // As `weft solve --timeout`: a positive number of seconds; a huge one is no limit.
    for t in ["0", "-1", "nan", "inf"] {
        let o = weft(&["kanren", &f, "--timeout", t]);
        assert_eq!(o.status.code(), Some(2), "--timeout {t}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("error: --timeout must be a positive number of seconds"),
            "{}",
            stderr(&o)
        );
    }
    let g = tmp_file("weft-kanren-it", "one.mk", "(run* (q) (== q 1))\n");
    let o = weft(&["kanren", &g, "--timeout", "1e19"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "(1)\n");
}

/// Ctrl-C stops a run cleanly, as it does `weft solve`: the answers found so far, a line
/// saying so, exit 3 (it used to be ignored: the handler only sets a flag, which the search
/// never read). In the REPL it stops the run, not the loop.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_run_cleanly() {
    use std::io::Read;
    let f = tmp_file(
        "weft-kanren-it",
        "ctrl-c.mk",
        &format!("{LOOP}(run 1 (q) (f q))\n"),
    );
    for repl in [false, true] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_weft"));
        cmd.arg("kanren").current_dir(root());
        if repl {
            cmd.args(["--repl", &f]);
        } else {
            cmd.arg(&f);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the weft binary runs");
        let pid = child.id().to_string();
        let mut stdin = child.stdin.take().expect("piped stdin");
        let mut out = child.stdout.take().expect("piped stdout");
        let mut err = child.stderr.take().expect("piped stderr");
        // A watchdog kills it after a minute, so that a regression fails, not hangs.
        let watchdog = std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    return Some(status);
                }
                if std::time::Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    return None;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        });
        // The run's "(" is written once the handler is installed and the search started.
        let mut first = [0u8; 1];
        let k = out.read(&mut first).expect("stdout reads");
        assert_eq!(&first[..k], b"(", "repl: {repl}");
        let kill = Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill runs");
        assert!(kill.success());
        if repl {
            stdin
                .write_all(b"(run 1 (q) (== q 1))\n")
                .expect("stdin takes the input");
        }
        drop(stdin);
        let mut rest = String::new();
        out.read_to_string(&mut rest).expect("stdout reads");
        let mut e = String::new();
        err.read_to_string(&mut e).expect("stderr reads");
        let status = watchdog.join().expect("the watchdog ends");
        let want = if repl { ")\n(1)\n" } else { ")\n" };
        assert_eq!(rest, want, "repl: {repl}; stderr: {e}");
        assert_eq!(status.and_then(|s| s.code()), Some(3), "repl: {repl}; {e}");
        assert!(
            e.contains("ctrl-c.mk:2:1: stopped by Ctrl-C after ")
                && e.contains("; the answers printed (0) are those found so far"),
            "{e}"
        );
    }
}
