//! Parsing valid programs: the documented example, precedence, statements, examples.

use weft_syntax::ast::*;
use weft_syntax::printer::{print_expr, print_module};
use weft_syntax::{parse, FileId};

use crate::support::{parse_ok, CIRCUIT};

/// The expression of `param p = <src>;`.
fn expr(src: &str) -> Expr {
    match parse_ok(&format!("param p = {src};")).items.remove(0) {
        Item::Param(p) => p.value,
        other => panic!("{other:?}"),
    }
}

/// The body of `sketch s() { <src> }`.
fn body(src: &str) -> Block {
    match parse_ok(&format!("sketch s() {{ {src} }}")).items.remove(0) {
        Item::Sketch(s) => s.body,
        other => panic!("{other:?}"),
    }
}

fn errors(src: &str) -> Vec<String> {
    parse(FileId(0), src)
        .1
        .into_iter()
        .map(|d| d.message)
        .collect()
}

#[test]
fn circuit_from_the_language_reference() {
    let m = parse_ok(CIRCUIT);
    let kinds: Vec<&str> = m
        .items
        .iter()
        .map(|i| match i {
            Item::Param(_) => "param",
            Item::Enum(_) => "enum",
            Item::Hole(_) => "hole",
            Item::Fn(_) => "fn",
            Item::Sketch(_) => "sketch",
            Item::Examples(_) => "examples",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "param", "param", "param", "enum", "hole", "hole", "hole", "hole", "fn", "sketch",
            "examples"
        ]
    );
    let Item::Sketch(s) = &m.items[9] else {
        panic!()
    };
    assert!(matches!(&s.outputs, Outputs::Named(bs) if bs[0].name.name == "final_wires"));
    assert_eq!(s.body.stmts.len(), 3);
    assert!(s.body.tail.is_none());
    let Item::Fn(f) = &m.items[8] else { panic!() };
    assert!(
        matches!(&f.body.tail.as_deref().map(|e| &e.kind), Some(ExprKind::Match(_, arms)) if arms.len() == 5)
    );
}

#[test]
fn every_wft_block_in_the_docs_parses() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/language.md");
    let doc = std::fs::read_to_string(path).expect("docs/language.md");
    let blocks: Vec<&str> = doc
        .split("```wft\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap_or_default())
        .collect();
    assert!(!blocks.is_empty());
    for block in blocks {
        parse_ok(block);
    }
}

#[test]
fn precedence() {
    assert_eq!(print_expr(&expr("a + b * c")), "(a + (b * c))");
    assert_eq!(
        print_expr(&expr("!a && b || c ^ d")),
        "((!a && b) || (c ^ d))"
    );
    assert_eq!(
        print_expr(&expr("a || b ^ c && d == e < f + g * -h[i]")),
        "(a || (b ^ (c && (d == (e < (f + (g * -h[i])))))))"
    );
    // A left-associative chain of one binding power prints as one pair of parentheses.
    assert_eq!(print_expr(&expr("a - b - c")), "(a - b - c)");
    assert_eq!(print_expr(&expr("(a - b) % 5 / 2")), "((a - b) % 5 / 2)");
    assert_eq!(print_expr(&expr("a - (b - c)")), "(a - (b - c))");
    assert_eq!(print_expr(&expr("-x[0..2][1]")), "-x[0..2][1]");
    assert_eq!(
        print_expr(&expr("f(a, [1, 2], [true; n])")),
        "f(a, [1, 2], [true; n])"
    );
}

#[test]
fn negative_literals_are_unary_in_expressions() {
    let e = expr("-1");
    assert!(matches!(&e.kind, ExprKind::Unary(UnOp::Neg, inner) if inner.kind == ExprKind::Int(1)));
}

#[test]
fn qualified_variants() {
    let e = expr("Gate::And");
    let ExprKind::Qualified(ty, v) = &e.kind else {
        panic!("{e:?}")
    };
    assert_eq!((ty.name.as_str(), v.name.as_str()), ("Gate", "And"));
}

#[test]
fn else_if_chains_nest_in_the_else_branch() {
    let e = expr("if a { 1 } else if b { 2 } else { 3 }");
    let ExprKind::If(_, _, Some(otherwise)) = &e.kind else {
        panic!()
    };
    let ExprKind::If(cond, _, Some(last)) = &otherwise.kind else {
        panic!()
    };
    assert_eq!(cond.kind, ExprKind::Name("b".into()));
    assert!(matches!(&last.kind, ExprKind::Block(b) if b.tail.is_some()));
}

#[test]
fn match_arms_with_alternatives_and_optional_commas() {
    let e = expr("match x { A | Gate::B => 1, -1 | 0 => { 2 } _ => 3 }");
    let ExprKind::Match(_, arms) = &e.kind else {
        panic!()
    };
    assert_eq!(arms.len(), 3);
    let kinds: Vec<_> = arms[0].patterns.iter().map(|p| p.kind.clone()).collect();
    assert!(
        matches!(&kinds[..], [PatternKind::Variant(None, a), PatternKind::Variant(Some(g), b)]
        if a.name == "A" && g.name == "Gate" && b.name == "B")
    );
    let kinds: Vec<_> = arms[1].patterns.iter().map(|p| p.kind.clone()).collect();
    assert_eq!(kinds, [PatternKind::Int(-1), PatternKind::Int(0)]);
    assert_eq!(arms[2].patterns[0].kind, PatternKind::Wildcard);
}

#[test]
fn assignment_targets() {
    let b = body("x = 1; w[i] = 2; m[i][j + 1] = 3;");
    let shapes: Vec<(String, usize)> = b
        .stmts
        .iter()
        .map(|s| match &s.kind {
            StmtKind::Assign {
                target, indices, ..
            } => (target.name.clone(), indices.len()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        shapes,
        [
            ("x".to_string(), 0),
            ("w".to_string(), 1),
            ("m".to_string(), 2)
        ]
    );
    assert_eq!(
        errors("sketch s() { a + b = 3; f(x) = 1; w[0..2] = y; }"),
        ["invalid assignment target"; 3]
    );
}

#[test]
fn block_like_statements_and_tails() {
    let b = body(
        "if c { x = 1; } match y { _ => {} } { z = 2; } for i in 0..n { } observe c; cost 1; t",
    );
    assert_eq!(b.stmts.len(), 6);
    assert!(matches!(b.tail.as_deref().map(|e| &e.kind), Some(ExprKind::Name(n)) if n == "t"));
    let b = body("if c { 1 } else { 2 }");
    assert!(b.stmts.is_empty() && b.tail.is_some());
    let b = body("if c { 1 } else { 2 };");
    assert!(b.stmts.len() == 1 && b.tail.is_none());
}

#[test]
fn no_block_in_conditions() {
    // `{` after the condition starts the body, not a block expression.
    let b = body("for i in 0..n { if i == n { } match i { _ => 0 } }");
    let StmtKind::For { hi, body, .. } = &b.stmts[0].kind else {
        panic!()
    };
    assert_eq!(hi.kind, ExprKind::Name("n".into()));
    assert_eq!(body.stmts.len() + usize::from(body.tail.is_some()), 2);
}

#[test]
fn types() {
    let m = parse_ok("hole a: bool; hole b: 0..n + 1; hole c: Gate; hole d: [[0..2; 3]; n * 2]; hole e: -1..(a < b);");
    let tys: Vec<String> = m
        .items
        .iter()
        .map(|i| match i {
            Item::Hole(h) => weft_syntax::printer::print_type(&h.ty),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        tys,
        [
            "bool",
            "0..(n + 1)",
            "Gate",
            "[[0..2; 3]; (n * 2)]",
            "-1..(a < b)"
        ]
    );
}

#[test]
fn sketch_outputs() {
    let m = parse_ok("sketch a() {} sketch b(x: bool) -> bool { x } sketch c(x: bool, y: bool) -> (o: bool, p: bool) {}");
    let outs: Vec<&Outputs> = m
        .items
        .iter()
        .map(|i| match i {
            Item::Sketch(s) => &s.outputs,
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(
        matches!(outs[..], [Outputs::None, Outputs::Single(_), Outputs::Named(ref bs)] if bs.len() == 2)
    );
}

#[test]
fn example_rows() {
    let m = parse_ok(
        "examples { (1, -2) => [true, _]; (Gate::And) => Or; () => [[0], []]; 5 => (false, 7); }\nexamples \"a \\\"b\\\".jsonl\";",
    );
    let Item::Examples(ExamplesDecl {
        source: ExampleSource::Inline(rows),
        ..
    }) = &m.items[0]
    else {
        panic!()
    };
    let kinds = |vs: &[ValueLit]| vs.iter().map(|v| v.kind.clone()).collect::<Vec<_>>();
    use ValueLitKind::*;
    assert_eq!(kinds(&rows[0].inputs), [Int(1), Int(-2)]);
    assert!(
        matches!(&kinds(&rows[0].outputs)[..], [Array(vs)] if vs.len() == 2 && vs[1].kind == DontCare)
    );
    assert_eq!(
        kinds(&rows[1].inputs),
        [Variant(Some("Gate".into()), "And".into())]
    );
    assert_eq!(kinds(&rows[1].outputs), [Variant(None, "Or".into())]);
    assert!(rows[2].inputs.is_empty());
    assert_eq!(kinds(&rows[3].outputs), [Bool(false), Int(7)]);
    let Item::Examples(ExamplesDecl {
        source: ExampleSource::File(path, _),
        ..
    }) = &m.items[1]
    else {
        panic!()
    };
    assert_eq!(path, "a \"b\".jsonl");
}

#[test]
fn printed_circuit_reparses_to_the_same_tree() {
    let m = parse_ok(CIRCUIT);
    let printed = print_module(&m);
    let again = parse_ok(&printed);
    assert_eq!(crate::support::erase(again), crate::support::erase(m));
}

#[test]
fn several_errors_in_one_run() {
    let errs = errors("hole a: ;\nhole b bool;\nfn f() -> bool { let x = ; x }\nsketch s() { observe (1 + ; cost 2 }");
    assert_eq!(
        errs,
        [
            "expected a type, found `;`",
            "expected `:` after the hole name, found keyword `bool`",
            "expected an expression, found `;`",
            "expected an expression, found `;`",
            "expected `;` after `cost` statement, found `}`",
        ]
    );
}

#[test]
fn unclosed_block_at_end_of_file() {
    assert_eq!(
        errors("fn f() -> bool { if x { 1 } else { 2 }"),
        ["expected `}`, found end of file"]
    );
    assert_eq!(
        errors("hole h: bool"),
        ["expected `;` after hole declaration, found end of file"]
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for (open, close) in [
        ("(", ")"),
        ("[", "]"),
        ("{", "}"),
        ("-", ""),
        ("!", ""),
        ("if c {", "}"),
    ] {
        let n = 100_000;
        let src = format!(
            "sketch s() {{ let x = {}1{}; }}",
            open.repeat(n),
            close.repeat(n)
        );
        let errs = errors(&src);
        assert!(
            errs.contains(&"nesting too deep".to_string()),
            "{open}: {errs:?}"
        );
        assert!(errs.len() <= 3, "{open}: {errs:?}");
    }
    // Right operands nest: `1 + (1 + (1 + …))`.
    let right_nested = format!(
        "param p = {}1{};",
        "1 + (".repeat(100_000),
        ")".repeat(100_000)
    );
    assert!(errors(&right_nested).contains(&"nesting too deep".to_string()));
    let long_chain = format!("param p = {} {{ 0 }};", "if c { 1 } else ".repeat(100_000));
    assert_eq!(errors(&long_chain), ["nesting too deep"]);
}

/// A left-associative chain of binary operators is read in a loop: it is not nesting, however
/// long (256 `+` were "nesting too deep"); it parses to a left-nested tree that can be
/// dropped and printed without recursing once per operator. Parentheses around and inside it
/// still count.
#[test]
fn long_operator_chains_are_not_nesting() {
    for n in [256, 1000, 100_000] {
        let src = format!("param p = {}1;", "1 + ".repeat(n));
        assert_eq!(errors(&src), Vec::<String>::new(), "{n}");
    }
    let mixed = format!(
        "param p = {}1;",
        "a * b + c - d < e == f && g ^ h || ".repeat(10_000)
    );
    assert_eq!(errors(&mixed), Vec::<String>::new());
    // Parentheses still nest: 100 levels, each a chain of 1 000 after the inner group, are
    // fine; 300 levels are too deep.
    let nested = |levels: usize| {
        let chain = " + 1".repeat(1000);
        format!(
            "param p = {}1{};",
            "(".repeat(levels),
            format!("{chain})").repeat(levels)
        )
    };
    assert_eq!(errors(&nested(100)), Vec::<String>::new());
    assert_eq!(errors(&nested(300)), ["nesting too deep"]);
    // The printer writes a chain as one level of parentheses, and it reads back the same.
    let (module, diags) = weft_syntax::parse(
        weft_syntax::FileId(0),
        &format!("param p = {}x;", "x - ".repeat(1000)),
    );
    assert!(diags.is_empty());
    let printed = weft_syntax::printer::print_module(&module);
    assert!(printed.starts_with("param p = (x - x - x"), "{printed}");
    let (again, diags) = weft_syntax::parse(weft_syntax::FileId(0), &printed);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(weft_syntax::printer::print_module(&again), printed);
}

#[test]
fn moderate_nesting_is_fine() {
    let n = 200;
    parse_ok(&format!("param p = {}1{};", "(".repeat(n), ")".repeat(n)));
    parse_ok(&format!("param p = {}1;", "1 + ".repeat(n)));
}
