//! Property tests: print∘parse is the identity on syntax trees (spans aside), and no input
//! makes `parse` or `render` panic.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use weft_syntax::ast::*;
use weft_syntax::printer::print_module;
use weft_syntax::render::{location, render};
use weft_syntax::{parse, SourceMap, Span};

use crate::support::{erase, CIRCUIT};

const KEYWORDS: &[&str] = &[
    "param", "enum", "hole", "fn", "sketch", "examples", "let", "for", "in", "if", "else", "match",
    "observe", "cost", "true", "false", "bool",
];

/// 512 cases (seconds); `PROPTEST_CASES=N` for a longer run.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(512);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---- generators of syntax trees (all spans `Span::default()`) ------------------------------

fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z][a-zA-Z0-9_]{0,3}".prop_filter("keywords are not names", |s| {
        !KEYWORDS.contains(&s.as_str())
    })
}

fn ident() -> impl Strategy<Value = Ident> {
    name().prop_map(|name| Ident {
        name,
        span: Span::default(),
    })
}

fn ex(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}

fn bx(e: Expr) -> Box<Expr> {
    Box::new(e)
}

fn unop() -> impl Strategy<Value = UnOp> {
    prop_oneof![Just(UnOp::Not), Just(UnOp::Neg)]
}

fn binop() -> impl Strategy<Value = BinOp> {
    use BinOp::*;
    proptest::sample::select(vec![
        Mul, Div, Rem, Add, Sub, Lt, Le, Gt, Ge, Eq, Ne, And, Xor, Or,
    ])
}

fn pattern() -> impl Strategy<Value = Pattern> {
    let kind = prop_oneof![
        Just(PatternKind::Wildcard),
        (i64::MIN + 1..=i64::MAX).prop_map(PatternKind::Int),
        (-3i64..3).prop_map(PatternKind::Int),
        any::<bool>().prop_map(PatternKind::Bool),
        (option::of(ident()), ident()).prop_map(|(e, v)| PatternKind::Variant(e, v)),
    ];
    kind.prop_map(|kind| Pattern {
        kind,
        span: Span::default(),
    })
}

fn expr() -> BoxedStrategy<Expr> {
    let leaf = prop_oneof![
        (0..=i64::MAX).prop_map(ExprKind::Int),
        (0i64..10).prop_map(ExprKind::Int),
        any::<bool>().prop_map(ExprKind::Bool),
        name().prop_map(ExprKind::Name),
        (ident(), ident()).prop_map(|(e, v)| ExprKind::Qualified(e, v)),
    ]
    .prop_map(ex);
    leaf.prop_recursive(4, 32, 3, |inner| {
        let blk = block(inner.clone());
        let otherwise = prop_oneof![
            Just(None),
            blk.clone().prop_map(|b| Some(ex(ExprKind::Block(b)))),
            (inner.clone(), blk.clone()).prop_map(|(c, b)| Some(ex(ExprKind::If(bx(c), b, None)))),
        ];
        let arm = (vec(pattern(), 1..3), inner.clone()).prop_map(|(patterns, body)| MatchArm {
            patterns,
            body,
            span: Span::default(),
        });
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, i)| ExprKind::Index(bx(a), bx(i))),
            (inner.clone(), inner.clone(), inner.clone()).prop_map(|(a, l, h)| ExprKind::Slice(
                bx(a),
                bx(l),
                bx(h)
            )),
            vec(inner.clone(), 0..3).prop_map(ExprKind::Array),
            (inner.clone(), inner.clone()).prop_map(|(e, n)| ExprKind::Repeat(bx(e), bx(n))),
            (ident(), vec(inner.clone(), 0..3)).prop_map(|(f, args)| ExprKind::Call(f, args)),
            (unop(), inner.clone()).prop_map(|(op, e)| ExprKind::Unary(op, bx(e))),
            (binop(), inner.clone(), inner.clone()).prop_map(|(op, a, b)| ExprKind::Binary(
                op,
                bx(a),
                bx(b)
            )),
            (inner.clone(), blk.clone(), otherwise).prop_map(|(c, b, o)| ExprKind::If(
                bx(c),
                b,
                o.map(Box::new)
            )),
            (inner.clone(), vec(arm, 0..3)).prop_map(|(s, arms)| ExprKind::Match(bx(s), arms)),
            blk.prop_map(ExprKind::Block),
        ]
        .prop_map(ex)
    })
    .boxed()
}

fn ty(e: BoxedStrategy<Expr>) -> BoxedStrategy<TypeExpr> {
    let t = |kind| TypeExpr {
        kind,
        span: Span::default(),
    };
    let scalar = prop_oneof![
        Just(TypeExprKind::Bool),
        ident().prop_map(TypeExprKind::Named),
        (e.clone(), e.clone()).prop_map(|(lo, hi)| TypeExprKind::Range(bx(lo), bx(hi))),
    ]
    .prop_map(t);
    scalar
        .prop_recursive(2, 4, 1, move |elem| {
            (elem, e.clone())
                .prop_map(move |(elem, n)| t(TypeExprKind::Array(Box::new(elem), bx(n))))
        })
        .boxed()
}

fn simple_stmt(e: BoxedStrategy<Expr>) -> BoxedStrategy<StmtKind> {
    prop_oneof![
        (ident(), option::of(ty(e.clone())), e.clone())
            .prop_map(|(name, ty, value)| StmtKind::Let { name, ty, value }),
        (ident(), vec(e.clone(), 0..3), e.clone()).prop_map(|(target, indices, value)| {
            StmtKind::Assign {
                target,
                indices,
                value,
            }
        }),
        e.clone().prop_map(StmtKind::Observe),
        e.clone().prop_map(StmtKind::Cost),
        e.prop_map(StmtKind::Expr),
    ]
    .boxed()
}

fn stmt(kind: StmtKind) -> Stmt {
    Stmt {
        kind,
        span: Span::default(),
    }
}

fn blk(stmts: Vec<StmtKind>, tail: Option<Expr>) -> Block {
    Block {
        stmts: stmts.into_iter().map(stmt).collect(),
        tail: tail.map(Box::new),
        span: Span::default(),
    }
}

fn block(e: BoxedStrategy<Expr>) -> BoxedStrategy<Block> {
    let for_loop = (
        ident(),
        e.clone(),
        e.clone(),
        vec(simple_stmt(e.clone()), 0..2),
    )
        .prop_map(|(var, lo, hi, body)| StmtKind::For {
            var,
            lo,
            hi,
            body: blk(body, None),
        });
    let any_stmt = prop_oneof![4 => simple_stmt(e.clone()), 1 => for_loop];
    (vec(any_stmt, 0..3), option::of(e))
        .prop_map(|(stmts, tail)| blk(stmts, tail))
        .boxed()
}

fn value() -> impl Strategy<Value = ValueLit> {
    let v = |kind| ValueLit {
        kind,
        span: Span::default(),
    };
    let leaf = prop_oneof![
        (i64::MIN + 1..=i64::MAX).prop_map(ValueLitKind::Int),
        (-3i64..3).prop_map(ValueLitKind::Int),
        any::<bool>().prop_map(ValueLitKind::Bool),
        (option::of(name()), name()).prop_map(|(e, n)| ValueLitKind::Variant(e, n)),
        Just(ValueLitKind::DontCare),
    ]
    .prop_map(v);
    leaf.prop_recursive(3, 12, 3, move |inner| {
        vec(inner, 0..3).prop_map(move |vs| v(ValueLitKind::Array(vs)))
    })
}

fn bindings(e: BoxedStrategy<Expr>) -> impl Strategy<Value = Vec<Binding>> {
    vec(
        (ident(), ty(e)).prop_map(|(name, ty)| Binding { name, ty }),
        0..3,
    )
}

fn item() -> impl Strategy<Value = Item> {
    let e = expr();
    let span = Span::default();
    let outputs = prop_oneof![
        Just(Outputs::None),
        ty(e.clone()).prop_map(Outputs::Single),
        bindings(e.clone()).prop_map(Outputs::Named),
    ];
    let row =
        (vec(value(), 0..3), vec(value(), 0..3)).prop_map(move |(inputs, outputs)| ExampleRow {
            inputs,
            outputs,
            span,
        });
    let source = prop_oneof![
        vec(row, 0..3).prop_map(ExampleSource::Inline),
        any::<String>().prop_map(move |s| ExampleSource::File(s, span)),
    ];
    prop_oneof![
        (ident(), e.clone()).prop_map(move |(name, value)| Item::Param(ParamDecl {
            name,
            value,
            span
        })),
        (ident(), vec(ident(), 0..4)).prop_map(move |(name, variants)| Item::Enum(EnumDecl {
            name,
            variants,
            span
        })),
        (ident(), ty(e.clone())).prop_map(move |(name, ty)| Item::Hole(HoleDecl {
            name,
            ty,
            span
        })),
        (
            ident(),
            bindings(e.clone()),
            ty(e.clone()),
            block(e.clone())
        )
            .prop_map(move |(name, params, ret, body)| Item::Fn(FnDecl {
                name,
                params,
                ret,
                body,
                span
            })),
        (ident(), bindings(e.clone()), outputs, block(e)).prop_map(
            move |(name, inputs, outputs, body)| Item::Sketch(SketchDecl {
                name,
                inputs,
                outputs,
                body,
                span
            })
        ),
        source.prop_map(move |source| Item::Examples(ExamplesDecl { source, span })),
    ]
}

fn module() -> impl Strategy<Value = Module> {
    vec(item(), 0..4).prop_map(|items| Module { items })
}

// ---- inputs for the no-panic test -----------------------------------------------------------

const ALPHABET: &[&str] = &[
    "fn",
    "sketch",
    "hole",
    "param",
    "enum",
    "examples",
    "let",
    "for",
    "in",
    "if",
    "else",
    "match",
    "observe",
    "cost",
    "bool",
    "true",
    "false",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ";",
    ":",
    "::",
    ",",
    "..",
    "->",
    "=>",
    "=",
    "==",
    "+",
    "-",
    "*",
    "%",
    "!",
    "&&",
    "||",
    "^",
    "|",
    "<",
    ">=",
    "x",
    "y",
    "Gate",
    "0",
    "1",
    "_",
    "\"f\"",
    "\"",
    "/*",
    "*/",
    "//",
    "@",
    "&",
    ".",
    "é",
    "\0",
    "\n",
    "99999999999999999999",
];

fn token_soup() -> impl Strategy<Value = String> {
    let sep = proptest::sample::select(vec!["", " ", "\n"]);
    vec((proptest::sample::select(ALPHABET.to_vec()), sep), 0..80)
        .prop_map(|toks| toks.into_iter().flat_map(|(t, s)| [t, s]).collect())
}

#[derive(Clone, Debug)]
enum Edit {
    Delete(usize, usize),
    Duplicate(usize, usize),
    Swap(usize, usize, usize),
    Insert(usize, &'static str),
}

fn edit() -> impl Strategy<Value = Edit> {
    let n = CIRCUIT.len();
    prop_oneof![
        (0..n, 1..24usize).prop_map(|(at, len)| Edit::Delete(at, len)),
        (0..n, 1..24usize).prop_map(|(at, len)| Edit::Duplicate(at, len)),
        (0..n, 0..n, 1..24usize).prop_map(|(a, b, len)| Edit::Swap(a, b, len)),
        (0..n, proptest::sample::select(ALPHABET.to_vec())).prop_map(|(at, t)| Edit::Insert(at, t)),
    ]
}

/// Applies byte-level edits (which may split characters: the result is read lossily).
fn mutate(edits: &[Edit]) -> String {
    let mut b = CIRCUIT.as_bytes().to_vec();
    for e in edits {
        let n = b.len();
        let clamp = |at: usize, len: usize| (at.min(n), (at + len).min(n));
        match *e {
            Edit::Delete(at, len) => {
                let (s, t) = clamp(at, len);
                b.drain(s..t);
            }
            Edit::Duplicate(at, len) => {
                let (s, t) = clamp(at, len);
                let chunk = b[s..t].to_vec();
                b.splice(t..t, chunk);
            }
            Edit::Swap(x, y, len) => {
                let (x, y) = (x.min(y), x.max(y));
                let (xs, xt) = clamp(x, len);
                let (ys, yt) = clamp(y.max(xt), len);
                let first = b[xs..xt].to_vec();
                let second = b[ys..yt].to_vec();
                b.splice(ys..yt, first);
                b.splice(xs..xt, second);
            }
            Edit::Insert(at, tok) => {
                let at = at.min(n);
                b.splice(at..at, tok.bytes());
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

/// Parses and renders `text`; a clean parse must print and re-parse to the same tree.
fn check(text: &str) -> Result<(), TestCaseError> {
    let mut map = SourceMap::new();
    let file = map.add("fuzz.wft", text);
    let (module, diags) = parse(file, text);
    for d in &diags {
        let span = d.span.expect("parse diagnostics have a span");
        prop_assert!(
            span.start <= span.end && span.end as usize <= text.len(),
            "{d:?}"
        );
        location(&map, span);
    }
    let plain = render(&map, &diags, false);
    render(&map, &diags, true);
    prop_assert_eq!(plain.matches("error").count() >= diags.len(), true);
    if diags.is_empty() {
        let printed = print_module(&module);
        let (again, diags) = parse(file, &printed);
        prop_assert!(
            diags.is_empty(),
            "printed module does not parse:\n{printed}\n{diags:?}"
        );
        prop_assert_eq!(print_module(&again), printed);
        prop_assert_eq!(erase(again), erase(module));
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn print_then_parse_is_identity(m in module()) {
        let printed = print_module(&m);
        let (parsed, diags) = parse(Default::default(), &printed);
        prop_assert!(diags.is_empty(), "{printed}\n{diags:#?}");
        prop_assert_eq!(erase(parsed), m, "{}", printed);
    }

    #[test]
    fn no_panic_on_arbitrary_text(text in any::<String>()) {
        check(&text)?;
    }

    #[test]
    fn no_panic_on_token_soup(text in token_soup()) {
        check(&text)?;
    }

    #[test]
    fn no_panic_on_mutated_circuit(edits in vec(edit(), 1..5)) {
        check(&mutate(&edits))?;
    }
}
