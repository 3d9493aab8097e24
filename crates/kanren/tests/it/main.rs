//! Integration tests: the corpus (answers checked against faster-miniKanren), policies,
//! choice points, errors, budgets and deep inputs.

use weft_kanren::{
    show, BestFirst, DepthFirst, Error, Interleave, Limits, Module, Policy, Random, Stop, Term,
};

const APPENDO: &str = include_str!("../../programs/appendo.mk");
const ARITH: &str = include_str!("../../programs/arith.mk");
const QUINES: &str = include_str!("../../programs/quines.mk");

/// A corpus file with each `;; include: NAME.mk` line replaced by `programs/NAME.mk`, so that
/// the relations are written once (the `.out` files were made from the expanded text).
fn with_includes(src: &str) -> String {
    let programs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("programs");
    src.lines()
        .map(|line| match line.strip_prefix(";; include: ") {
            Some(name) => std::fs::read_to_string(programs.join(name.trim()))
                .unwrap_or_else(|e| panic!("{name}: {e}")),
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `tests/corpus/NAME.mk` prints exactly `NAME.out`, one line per `run` form. The
/// `.out` files were produced by faster-miniKanren on Chez Scheme 9.5.8 from the same files.
#[test]
fn corpus_matches_faster_minikanren() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut n = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.extension().and_then(|e| e.to_str()) != Some("mk") {
            continue;
        }
        let src = with_includes(&std::fs::read_to_string(&p).unwrap());
        let want = std::fs::read_to_string(p.with_extension("out")).unwrap();
        let m = Module::parse(&src).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let want: Vec<&str> = want.lines().collect();
        assert_eq!(m.runs().len(), want.len(), "{}", p.display());
        for (i, w) in want.iter().enumerate() {
            let got = show(&m.run(i).unwrap());
            assert_eq!(&got, w, "{} run #{i}", p.display());
            n += 1;
        }
    }
    assert!(n >= 60, "only {n} runs in the corpus");
}

fn answers(src: &str, policy: &mut dyn Policy) -> Vec<String> {
    let m = Module::parse(src).unwrap();
    m.run_with(0, policy, Limits::default())
        .unwrap()
        .iter()
        .map(|t| t.to_string())
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Policies reorder answers; they never add or lose one.
#[test]
fn policies_change_order_not_answers() {
    let cases = [
        format!("{APPENDO}\n(run* (x y) (appendo x y '(1 2 3 4 5 6)))"),
        format!("{ARITH}\n(run* (p q) (*o p q '(0 0 1 1)))"),
        format!("{ARITH}\n(run* (x y) (pluso x y '(1 0 1 1)))"),
        format!("{QUINES}\n(run* (q) (meaningo '((lambda (x) (list x x)) (quote a)) '() q))"),
    ];
    for src in &cases {
        let base = answers(src, &mut Interleave);
        assert!(!base.is_empty());
        let dfs = answers(src, &mut DepthFirst);
        assert_eq!(sorted(dfs), sorted(base.clone()), "dfs: {src}");
        for seed in 0..3 {
            let r = answers(src, &mut Random::new(seed));
            assert_eq!(sorted(r), sorted(base.clone()), "random {seed}");
        }
        let mut shallow = BestFirst::new(|s: &str| -(s.len() as f64));
        assert_eq!(sorted(answers(src, &mut shallow)), sorted(base.clone()));
    }
}

#[test]
fn depth_first_is_prolog_order() {
    let src = format!("{APPENDO}\n(run* (x y) (appendo x y '(1 2 3)))");
    let a = answers(&src, &mut DepthFirst);
    assert_eq!(
        a,
        ["(() (1 2 3))", "((1) (2 3))", "((1 2) (3))", "((1 2 3) ())"]
    );
}

#[test]
fn frontier_lists_choice_points_as_sexps() {
    let src = format!("{APPENDO}\n(run* (x y) (appendo x y '(1 2)))");
    let m = Module::parse(&src).unwrap();
    let mut s = m.search(0, Limits::default()).unwrap();
    struct Look(Vec<String>);
    impl Policy for Look {
        fn choose(&mut self, f: &weft_kanren::Frontier<'_>) -> usize {
            for i in 0..f.len() {
                self.0.push(f.describe(i));
            }
            f.len() - 1
        }
    }
    let mut look = Look(Vec::new());
    let mut n = 0;
    while s.next_with(&mut look).unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 3);
    assert!(look.0.iter().all(|d| d.starts_with("(choice (depth ")));
    assert!(
        look.0
            .iter()
            .any(|d| d.contains("(appendo d #(var 2) res)")),
        "{:#?}",
        look.0
    );
    assert!(look.0.iter().any(|d| d.contains("(conde")), "{:#?}", look.0);
    assert!(look.0[0].contains("(fresh ( q)"), "{}", look.0[0]);
}

#[test]
fn errors_have_line_and_column() {
    let cases = [
        ("(run* (q) (== q 1)", "1:1: unclosed `(`"),
        ("(run* (q)\n  (foo q))", "2:4: unknown relation `foo`"),
        ("(run* (q) (== q x))", "1:17: unbound variable `x`"),
        (
            "(defrel (f x) (== x 1))\n(run* (q) (f q q))",
            "2:11: relation `f` takes 1 arguments, given 2",
        ),
        (")", "1:1: unexpected `)`"),
        ("(run* (q) (== q \"abc))", "1:17: unterminated string"),
        (
            "(run -1 (q) (== q 1))",
            "1:1: expected `(run N (q ...) goal ...)` with N a non-negative integer",
        ),
        ("(run* (q) (== q '(1 . )))", "1:23: nothing after `.`"),
        (
            "(frob)",
            "1:1: expected `defrel`, `define`, `run` or `run*` at top level",
        ),
        (
            "(run 1 (q q) (== q 1))",
            "1:11: `q` is bound twice in this list",
        ),
        (
            "(run* (q) (fresh (a b a) (== a q)))",
            "1:23: `a` is bound twice in this list",
        ),
        (
            "(defrel (f x x) (== x 1))",
            "1:14: `x` is bound twice in this list",
        ),
        (
            "(run* (q) (== q \"a\\x41;\"))",
            "1:19: unknown string escape `\\x` (`\\n`, `\\t`, `\\\\`, `\\\"`)",
        ),
    ];
    for (src, want) in cases {
        match Module::parse(src) {
            Err(e @ Error::Syntax { .. }) => assert_eq!(e.to_string(), want, "{src}"),
            other => panic!("{src}: expected a syntax error, got {other:?}"),
        }
    }
}

#[test]
fn step_and_variable_budgets_stop_cleanly() {
    let src = "(defrel (loopo x) (fresh (y) (loopo y)))\n(run 1 (q) (loopo q))";
    let m = Module::parse(src).unwrap();
    let r = m.run_with(
        0,
        &mut Interleave,
        Limits {
            max_steps: Some(10_000),
            ..Limits::default()
        },
    );
    assert_eq!(r.unwrap_err(), Error::Stopped(Stop::Steps(10_000)));
    let r = m.run_with(
        0,
        &mut Interleave,
        Limits {
            max_vars: Some(1_000),
            ..Limits::default()
        },
    );
    assert_eq!(r.unwrap_err(), Error::Stopped(Stop::Vars(1_000)));
    let r = m.run_with(
        0,
        &mut Random::new(1),
        Limits {
            max_steps: Some(5_000),
            ..Limits::default()
        },
    );
    assert!(matches!(r, Err(Error::Stopped(Stop::Steps(_)))));
    // A relation that calls itself without ever suspending is stopped, not a stack overflow.
    let src = "(define (f x) (f x))\n(run 1 (q) (f q))";
    let m = Module::parse(src).unwrap();
    let r = m.run_with(
        0,
        &mut Interleave,
        Limits {
            max_steps: Some(100_000),
            ..Limits::default()
        },
    );
    assert_eq!(r.unwrap_err(), Error::Stopped(Stop::Steps(100_000)));
}

/// A relation that never ends ran for ever without a step budget: a time budget stops it,
/// and so does an observer that asks (the CLI's Ctrl-C); the step count stops at the limit.
#[test]
fn time_budget_and_observer_stop_a_search_that_never_ends() {
    use std::cell::Cell;
    use std::rc::Rc;
    use std::time::Duration;
    use weft_kanren::Observer;
    let m = Module::parse("(defrel (f x) (f x))\n(run 1 (q) (f q))").unwrap();
    let t = Duration::from_millis(50);
    for policy in [&mut Interleave as &mut dyn Policy, &mut DepthFirst] {
        let r = m.run_with(
            0,
            policy,
            Limits {
                max_time: Some(t),
                ..Limits::default()
            },
        );
        assert_eq!(r.unwrap_err(), Error::Stopped(Stop::Time(t)));
    }
    /// Asks to stop once it has seen `after` steps; records what it saw.
    struct StopAfter {
        after: u64,
        seen: Rc<Cell<u64>>,
    }
    impl Observer for StopAfter {
        fn progress(&mut self, steps: u64) {
            self.seen.set(steps);
        }
        fn cancelled(&mut self) -> bool {
            self.seen.get() >= self.after
        }
    }
    let seen = Rc::new(Cell::new(0));
    let mut s = m
        .search(0, Limits::default())
        .unwrap()
        .with_observer(Box::new(StopAfter {
            after: 5_000,
            seen: Rc::clone(&seen),
        }));
    assert_eq!(s.next_with(&mut Interleave), Err(Stop::Cancelled));
    // Polled every 2^10 steps.
    assert_eq!((seen.get(), s.steps()), (5 * 1024, 5 * 1024));
    assert_eq!(s.next_with(&mut Interleave), Ok(None));
    let mut s = m
        .search(
            0,
            Limits {
                max_steps: Some(500),
                ..Limits::default()
            },
        )
        .unwrap();
    assert_eq!(s.next_with(&mut Interleave), Err(Stop::Steps(500)));
    assert_eq!(s.steps(), 500);
    // A time budget too long for the clock is none, not a panic.
    let m = Module::parse("(run* (q) (== q 1))").unwrap();
    let r = m.run_with(
        0,
        &mut Interleave,
        Limits {
            max_time: Some(Duration::MAX),
            ..Limits::default()
        },
    );
    assert_eq!(show(&r.unwrap()), "(1)");
}

/// The check that a list binds no name twice, and the lookup of names, were quadratic: a
/// `fresh` of 65 000 variables used once each took 20 s to compile. The same error, at the
/// second occurrence, now in linear time (the watchdog fails the test rather than letting
/// it crawl; this takes milliseconds).
#[test]
fn many_names_compile_in_linear_time() {
    let n = 65_000;
    let names: Vec<String> = (0..n).map(|i| format!("x{i}")).collect();
    let names = names.join(" ");
    let ok = format!("(run 1 (q) (fresh ({names}) (== q (list {names})) (== x0 1)))");
    let dup = format!("(run 1 (q) (fresh ({names} x7) (== q 1)))");
    let col = "(run 1 (q) (fresh (".len() + names.len() + 2;
    let (done, wait) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let first = Module::parse(&ok).map(|m| m.run(0).map(|a| show(&a)));
        let second = Module::parse(&dup).map(|_| ());
        let _ = done.send((first, second));
    });
    let (first, second) = wait
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("65 000 names compile within 10 s");
    let first = first.unwrap().unwrap();
    assert!(first.starts_with("((1 _.0 _.1 "), "{}", &first[..40]);
    assert_eq!(
        second.unwrap_err().to_string(),
        format!("1:{col}: `x7` is bound twice in this list")
    );
}

#[test]
fn inner_names_hide_outer_ones_until_their_fresh_ends() {
    let cases = [
        "(run 1 (q) (fresh (x) (== x 1) (fresh (x) (== x 2) (== q x))))",
        "(run 1 (q) (fresh (x) (== x 1) (fresh (x) (== x 2)) (== q x)))",
        "(run 1 (q) (fresh (x y) (fresh (y x) (== x 2)) (== q `(,x ,y))))",
    ];
    let got: Vec<String> = cases
        .iter()
        .map(|src| Module::eval_str(src).unwrap())
        .collect();
    assert_eq!(got, ["(2)", "(1)", "((_.0 _.1))"]);
    let e = Module::parse("(run 1 (q) (fresh (x) (== x 1)) (== q x))").unwrap_err();
    assert_eq!(e.to_string(), "1:39: unbound variable `x`");
}

#[test]
fn deep_terms_and_searches_do_not_overflow() {
    let n = 20_000;
    let list: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    let src = format!(
        "{APPENDO}\n(run 1 (q) (appendo '({}) '(end) q))",
        list.join(" ")
    );
    let m = Module::parse(&src).unwrap();
    let a = m.run(0).unwrap();
    assert!(a[0].to_string().ends_with(" end)"));
    // A deeply nested datum in the source.
    let deep = format!(
        "(run 1 (q) (== q '{}x{}))",
        "(".repeat(900),
        ")".repeat(900)
    );
    let m = Module::parse(&deep).unwrap();
    assert_eq!(m.run(0).unwrap().len(), 1);
    let too_deep = format!(
        "(run 1 (q) (== q '{}x{}))",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    assert!(matches!(
        Module::parse(&too_deep),
        Err(Error::Syntax { .. })
    ));
    let quotes = format!("(run 1 (q) (== q {}x))", "'".repeat(100_000));
    assert!(matches!(Module::parse(&quotes), Err(Error::Syntax { .. })));
    let nested = format!(
        "(run 1 (q) {}(== q 1){})",
        "(fresh () ".repeat(5_000),
        ")".repeat(5_000)
    );
    assert!(matches!(Module::parse(&nested), Err(Error::Syntax { .. })));
}

#[test]
fn rust_api_builds_relations() {
    use weft_kanren::goal::{Goal, Program, Tpl};
    // (defrel (nato n) (conde ((== n z)) ((fresh (m) (== n (s . m)) (nato m)))))
    let mut p = Program::new();
    let nato = p.declare("nato", 1);
    let z = p.add(Goal::Eq(Tpl::Slot(0), Tpl::Const(Term::sym("z"))));
    let succ = p.add(Goal::Eq(
        Tpl::Slot(0),
        Tpl::cons(Tpl::Const(Term::sym("s")), Tpl::Slot(1)),
    ));
    let rec = p.add(Goal::Call {
        rel: nato,
        args: vec![Tpl::Slot(1)],
    });
    let c2 = p.add(Goal::Conj(vec![succ, rec]));
    let fresh = p.add(Goal::Fresh {
        slots: vec![1],
        body: c2,
    });
    let c1 = p.add(Goal::Conj(vec![z]));
    let c2 = p.add(Goal::Conj(vec![fresh]));
    let body = p.add(Goal::Conde(vec![c1, c2]));
    p.define(nato, 1, vec![Term::sym("n"), Term::sym("m")], body);
    let mut m = Module::from_program(p);
    let i = m.add_run("(run 3 (q) (nato q))").unwrap();
    assert_eq!(show(&m.run(i).unwrap()), "(z (s . z) (s s . z))");
}

/// The reader and the compiler report every error they find, in source order, each with its
/// line and column, rather than stopping at the first.
#[test]
fn several_errors_are_reported_at_once() {
    let cases = [
        (
            "(run* (q) (== q #z))\n)\n(run* (q) (== q 1]\n(run* (q) (== q '(1 . )))",
            vec![
                "1:17: cannot read `#z`",
                "2:1: unexpected `)`",
                // `]` is taken for `)`, so the `run` of line 3 is never closed.
                "3:1: unclosed `(`",
                "3:18: `]` closes a list opened with the other bracket at 3:11",
                "4:23: nothing after `.`",
            ],
        ),
        (
            "(defrel (f x) (foo x) (== x y))\n(frob)\n(run* (q)\n  (conde ((bar q)) ((f q q))))",
            vec![
                "1:16: unknown relation `foo`",
                "1:29: unbound variable `y`",
                "2:1: expected `defrel`, `define`, `run` or `run*` at top level",
                "4:12: unknown relation `bar`",
                "4:21: relation `f` takes 1 arguments, given 2",
            ],
        ),
    ];
    for (src, want) in cases {
        let e = Module::parse(src).expect_err(src);
        assert!(matches!(e, Error::Many(_)), "{src}: {e:?}");
        let got: Vec<String> = e.list().iter().map(|e| e.to_string()).collect();
        assert_eq!(got, want, "{src}");
        assert_eq!(e.to_string(), want.join("\n"));
    }
}

/// What a REPL needs: input that more text could complete is told apart from an error, and
/// a module grows form by form (relations redefined, runs appended), unchanged by bad input.
#[test]
fn a_module_grows_form_by_form() {
    use weft_kanren::reader::needs_more;
    for src in [
        "(run* (q)",
        "(run* (q) (== q \"ab",
        "#| comment",
        "(run 1 (q) (== q '",
    ] {
        assert!(needs_more(src), "{src}");
    }
    for src in [
        "",
        "(run* (q) (== q 1))",
        ")",
        "(run* (q) (== q #z)",
        "(a . )",
    ] {
        assert!(!needs_more(src), "{src}");
    }
    let mut m = Module::empty();
    assert_eq!(m.extend(APPENDO).unwrap(), 0..0);
    let r = m.extend("(run* (q) (appendo q '(3) '(1 2 3)))").unwrap();
    assert_eq!(r, 0..1);
    assert_eq!(show(&m.run(0).unwrap()), "((1 2))");
    // Bad input changes nothing.
    assert!(m.extend("(defrel (appendo l) (foo l))").is_err());
    assert!(m.extend("(run* (q) (== q 1)) )").is_err());
    assert_eq!(m.runs().len(), 1);
    // A redefinition replaces the relation for the runs that follow.
    m.extend("(defrel (appendo l s out) (== out 'replaced))")
        .unwrap();
    let r = m
        .extend("(run* (q) (appendo 1 2 q)) (run 1 (q) (== q 7))")
        .unwrap();
    assert_eq!(r, 1..3);
    assert_eq!(show(&m.run(1).unwrap()), "(replaced)");
    assert_eq!(show(&m.run(2).unwrap()), "(7)");
}
