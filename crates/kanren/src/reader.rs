//! The reader: Scheme-like miniKanren source to a [`Program`] and its `run` forms.
//!
//! Two stages. The s-expression parser is iterative (a stack of open lists), so no nesting
//! depth of the input reaches the Rust stack there; the compiler recurses on the nesting of
//! *goals and templates* only, and refuses programs nested more than [`MAX_DEPTH`] deep with
//! an error instead of overflowing. Relations are declared before any body is compiled, so
//! definitions may refer to relations defined later (mutual recursion), and a call of an
//! unknown relation is reported with its line and column.

use crate::constraint::Type;
use crate::error::{Error, Pos};
use crate::goal::{Goal, GoalId, Op, Program, RelId, Tpl};
use crate::term::Term;
use std::collections::{HashMap, HashSet};

/// The deepest nesting of goals or templates the compiler accepts.
pub const MAX_DEPTH: usize = 1000;

/// An s-expression with its position.
#[derive(Clone, Debug)]
pub struct Sexp {
    pub kind: SexpKind,
    pub pos: Pos,
}

#[derive(Clone, Debug)]
pub enum SexpKind {
    Sym(String),
    Int(i64),
    Str(String),
    Bool(bool),
    /// Elements and an optional dotted tail.
    List(Vec<Sexp>, Option<Box<Sexp>>),
}

impl Sexp {
    fn sym(&self) -> Option<&str> {
        match &self.kind {
            SexpKind::Sym(s) => Some(s),
            _ => None,
        }
    }
    fn list(&self) -> Option<&[Sexp]> {
        match &self.kind {
            SexpKind::List(xs, None) => Some(xs),
            _ => None,
        }
    }
    fn head(&self) -> Option<&str> {
        self.list().and_then(|xs| xs.first()).and_then(|x| x.sym())
    }
}

fn err(pos: Pos, msg: impl Into<String>) -> Error {
    Error::Syntax {
        line: pos.line,
        col: pos.col,
        msg: msg.into(),
    }
}

/// Parses every s-expression in `src`; all the errors, or the data.
pub fn parse_sexps(src: &str) -> Result<Vec<Sexp>, Error> {
    let (forms, errors) = parse_sexps_recover(src);
    match Error::from_list(errors) {
        None => Ok(forms),
        Some(e) => Err(e),
    }
}

/// Parses every s-expression in `src`, recovering from errors: a stray or mismatched
/// bracket, an unreadable token or a misplaced `.` is reported and skipped, so one pass
/// reports them all. Returns the data read and the errors, in source order. (An
/// unterminated string or block comment, or nesting past [`MAX_DEPTH`], ends the pass.)
pub fn parse_sexps_recover(src: &str) -> (Vec<Sexp>, Vec<Error>) {
    let mut errors: Vec<Error> = Vec::new();
    struct Open {
        pos: Pos,
        items: Vec<Sexp>,
        tail: Option<Box<Sexp>>,
        dot: bool,
        close: char,
        /// Prefix wrappers (quote etc.) waiting for this list.
        prefix: Vec<(&'static str, Pos)>,
    }
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    let (mut line, mut col) = (1usize, 1usize);
    let mut top: Vec<Sexp> = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut prefix: Vec<(&'static str, Pos)> = Vec::new();
    let adv = |i: &mut usize, line: &mut usize, col: &mut usize, c: char| {
        *i += 1;
        if c == '\n' {
            *line += 1;
            *col = 1;
        } else {
            *col += 1;
        }
    };
    // Places a finished datum, applying pending prefixes.
    fn place(
        mut d: Sexp,
        mut pre: Vec<(&'static str, Pos)>,
        stack: &mut [Open],
        top: &mut Vec<Sexp>,
        errors: &mut Vec<Error>,
    ) {
        while let Some((name, pos)) = pre.pop() {
            d = Sexp {
                kind: SexpKind::List(
                    vec![
                        Sexp {
                            kind: SexpKind::Sym(name.to_string()),
                            pos,
                        },
                        d,
                    ],
                    None,
                ),
                pos,
            };
        }
        match stack.last_mut() {
            None => top.push(d),
            Some(o) => {
                if o.dot {
                    if o.tail.is_some() {
                        errors.push(err(d.pos, "more than one datum after `.`"));
                        return;
                    }
                    o.tail = Some(Box::new(d));
                } else {
                    o.items.push(d);
                }
            }
        }
    }
    while i < chars.len() {
        let c = chars[i];
        let pos = Pos { line, col };
        match c {
            c if c.is_whitespace() => adv(&mut i, &mut line, &mut col, c),
            ';' => {
                while i < chars.len() && chars[i] != '\n' {
                    {
                        let ch = chars[i];
                        adv(&mut i, &mut line, &mut col, ch);
                    }
                }
            }
            '#' if chars.get(i + 1) == Some(&'|') => {
                adv(&mut i, &mut line, &mut col, '#');
                adv(&mut i, &mut line, &mut col, '|');
                loop {
                    if i >= chars.len() {
                        errors.push(err(pos, "unterminated block comment"));
                        return (top, errors);
                    }
                    if chars[i] == '|' && chars.get(i + 1) == Some(&'#') {
                        adv(&mut i, &mut line, &mut col, '|');
                        adv(&mut i, &mut line, &mut col, '#');
                        break;
                    }
                    {
                        let ch = chars[i];
                        adv(&mut i, &mut line, &mut col, ch);
                    }
                }
            }
            '(' | '[' => {
                if stack.len() >= MAX_DEPTH {
                    errors.push(err(pos, format!("lists nested more than {MAX_DEPTH} deep")));
                    return (top, errors);
                }
                adv(&mut i, &mut line, &mut col, c);
                stack.push(Open {
                    pos,
                    items: Vec::new(),
                    tail: None,
                    dot: false,
                    close: if c == '(' { ')' } else { ']' },
                    prefix: std::mem::take(&mut prefix),
                });
            }
            ')' | ']' => {
                adv(&mut i, &mut line, &mut col, c);
                if let Some((_, qpos)) = prefix.last() {
                    errors.push(err(*qpos, "a quote with nothing after it"));
                    prefix.clear();
                }
                let Some(o) = stack.pop() else {
                    errors.push(err(pos, format!("unexpected `{c}`")));
                    continue;
                };
                if o.close != c {
                    // Reported, then taken as the right bracket.
                    errors.push(err(
                        pos,
                        format!(
                            "`{c}` closes a list opened with the other bracket at {}:{}",
                            o.pos.line, o.pos.col
                        ),
                    ));
                }
                if o.dot && o.tail.is_none() {
                    errors.push(err(pos, "nothing after `.`"));
                    continue;
                }
                if o.dot && o.items.is_empty() {
                    errors.push(err(o.pos, "nothing before `.`"));
                    continue;
                }
                let d = Sexp {
                    kind: SexpKind::List(o.items, o.tail),
                    pos: o.pos,
                };
                place(d, o.prefix, &mut stack, &mut top, &mut errors);
            }
            '\'' | '`' => {
                adv(&mut i, &mut line, &mut col, c);
                if prefix.len() >= MAX_DEPTH {
                    errors.push(err(pos, "quotes nested too deeply"));
                    return (top, errors);
                }
                prefix.push((if c == '\'' { "quote" } else { "quasiquote" }, pos));
            }
            ',' => {
                adv(&mut i, &mut line, &mut col, c);
                if chars.get(i) == Some(&'@') {
                    errors.push(err(pos, "`,@` (unquote-splicing) is not supported"));
                    adv(&mut i, &mut line, &mut col, '@');
                }
                if prefix.len() >= MAX_DEPTH {
                    errors.push(err(pos, "quotes nested too deeply"));
                    return (top, errors);
                }
                prefix.push(("unquote", pos));
            }
            '"' => {
                adv(&mut i, &mut line, &mut col, c);
                let mut s = String::new();
                loop {
                    let Some(&ch) = chars.get(i) else {
                        errors.push(err(pos, "unterminated string"));
                        return (top, errors);
                    };
                    let at = Pos { line, col };
                    adv(&mut i, &mut line, &mut col, ch);
                    match ch {
                        '"' => break,
                        '\\' => {
                            let Some(&e) = chars.get(i) else {
                                errors.push(err(pos, "unterminated string"));
                                return (top, errors);
                            };
                            adv(&mut i, &mut line, &mut col, e);
                            s.push(match e {
                                'n' => '\n',
                                't' => '\t',
                                '\\' | '"' => e,
                                other => {
                                    // `\x41;` or `\u1234` used to read as `x41;`, `u1234`.
                                    let known = r#"`\n`, `\t`, `\\`, `\"`"#;
                                    let msg =
                                        format!("unknown string escape `\\{other}` ({known})");
                                    errors.push(err(at, msg));
                                    other
                                }
                            });
                        }
                        ch => s.push(ch),
                    }
                }
                let d = Sexp {
                    kind: SexpKind::Str(s),
                    pos,
                };
                place(
                    d,
                    std::mem::take(&mut prefix),
                    &mut stack,
                    &mut top,
                    &mut errors,
                );
            }
            _ => {
                let start = i;
                while i < chars.len() {
                    let ch = chars[i];
                    if ch.is_whitespace() || "()[]'`,\";".contains(ch) {
                        break;
                    }
                    adv(&mut i, &mut line, &mut col, ch);
                }
                let tok: String = chars[start..i].iter().collect();
                if tok == "." {
                    match stack.last_mut() {
                        Some(o) if !o.dot && prefix.is_empty() => o.dot = true,
                        _ => errors.push(err(pos, "unexpected `.`")),
                    }
                    continue;
                }
                let Some(kind) = atom(&tok) else {
                    errors.push(err(pos, format!("cannot read `{tok}`")));
                    prefix.clear();
                    continue;
                };
                let d = Sexp { kind, pos };
                place(
                    d,
                    std::mem::take(&mut prefix),
                    &mut stack,
                    &mut top,
                    &mut errors,
                );
            }
        }
    }
    if let Some((_, pos)) = prefix.last() {
        errors.push(err(*pos, "a quote with nothing after it"));
    }
    // The outermost unclosed list is the one to report.
    if let Some(o) = stack.first() {
        errors.push(err(o.pos, "unclosed `(`"));
    }
    sort_by_position(&mut errors);
    (top, errors)
}

/// Whether `src` is the beginning of more input rather than an error: its only problems
/// are ones that more text could fix (an unclosed list, string or block comment, a quote
/// at the very end). A REPL keeps reading while this holds.
pub fn needs_more(src: &str) -> bool {
    let (_, errors) = parse_sexps_recover(src);
    !errors.is_empty()
        && errors.iter().all(|e| {
            matches!(e, Error::Syntax { msg, .. } if [
                "unclosed `(`",
                "unterminated string",
                "unterminated block comment",
                "a quote with nothing after it",
            ].contains(&msg.as_str()))
        })
}

/// Errors in source order (stable: errors at one position keep their order).
fn sort_by_position(errors: &mut [Error]) {
    errors.sort_by_key(|e| match e {
        Error::Syntax { line, col, .. } => (*line, *col),
        _ => (0, 0),
    });
}

fn atom(tok: &str) -> Option<SexpKind> {
    match tok {
        "#t" | "#true" => return Some(SexpKind::Bool(true)),
        "#f" | "#false" => return Some(SexpKind::Bool(false)),
        _ => {}
    }
    if tok.starts_with('#') {
        return None;
    }
    let digits = tok.strip_prefix(['-', '+']).unwrap_or(tok);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return tok.parse::<i64>().ok().map(SexpKind::Int);
    }
    Some(SexpKind::Sym(tok.to_string()))
}

/// A datum as a term (quote).
pub fn datum(d: &Sexp, depth: usize) -> Result<Term, Error> {
    if depth > MAX_DEPTH {
        return Err(err(d.pos, "nested too deeply"));
    }
    Ok(match &d.kind {
        SexpKind::Sym(s) => Term::sym(s),
        SexpKind::Int(n) => Term::Int(*n),
        SexpKind::Str(s) => Term::str(s),
        SexpKind::Bool(b) => Term::Bool(*b),
        SexpKind::List(xs, tail) => {
            let mut t = match tail {
                Some(t) => datum(t, depth + 1)?,
                None => Term::Nil,
            };
            for x in xs.iter().rev() {
                t = Term::cons(datum(x, depth + 1)?, t);
            }
            t
        }
    })
}

/// A `run` form: how many answers, and the goal that produces them.
#[derive(Clone, Debug)]
pub struct RunForm {
    /// `None` for `run*`.
    pub n: Option<u64>,
    pub goal: GoalId,
    /// The query's initial environment (the names of its variables).
    pub frame: Vec<Term>,
    pub pos: Pos,
}

/// Lexical scope during compilation: names to slots of the current frame.
///
/// A map from each name to its innermost slot, with an undo log to leave a `fresh` in
/// linear time: a list searched from the end (the first version) made a body that uses
/// 60 000 variables take 12 s to compile.
struct Scope {
    names: HashMap<String, u16>,
    /// Each binding in order, with what its name meant before (for [`Scope::restore`]).
    undo: Vec<(String, Option<u16>)>,
    frame: Vec<Term>,
}

impl Scope {
    fn new() -> Scope {
        Scope {
            names: HashMap::new(),
            undo: Vec::new(),
            frame: Vec::new(),
        }
    }
    fn lookup(&self, name: &str) -> Option<u16> {
        self.names.get(name).copied()
    }
    fn bind(&mut self, name: &str, pos: Pos) -> Result<u16, Error> {
        let slot = u16::try_from(self.frame.len())
            .map_err(|_| err(pos, "too many variables in one relation"))?;
        self.frame.push(Term::sym(name));
        let before = self.names.insert(name.to_string(), slot);
        self.undo.push((name.to_string(), before));
        Ok(slot)
    }
    /// A point to [`Scope::restore`] to: the names bound so far.
    fn mark(&self) -> usize {
        self.undo.len()
    }
    /// Forgets the names bound since `mark` (their slots stay in the frame).
    fn restore(&mut self, mark: usize) {
        while self.undo.len() > mark {
            let Some((name, before)) = self.undo.pop() else {
                break;
            };
            match before {
                Some(slot) => self.names.insert(name, slot),
                None => self.names.remove(&name),
            };
        }
    }
}

/// Refuses a name bound twice in one list (`(fresh (x x) ...)`, `(run 1 (q q) ...)`, a
/// relation's parameters), as Scheme's `let` and `lambda` do: the second would silently hide
/// the first. Fed the list's names in order; the error is at the second occurrence. A set,
/// not a search of the names before each one: that was quadratic (100 000 names took 8 s).
#[derive(Default)]
struct Distinct<'a> {
    seen: HashSet<&'a str>,
}

impl<'a> Distinct<'a> {
    fn check(&mut self, v: &Sexp, name: &'a str) -> Result<(), Error> {
        if !self.seen.insert(name) {
            return Err(err(v.pos, format!("`{name}` is bound twice in this list")));
        }
        Ok(())
    }
}

/// A relation definition found in the first pass: id, parameters, body, `defrel`?, position.
type Def<'a> = (RelId, Vec<&'a Sexp>, Vec<&'a Sexp>, bool, Pos);

/// Compiles top-level forms into `prog`; returns the `run` forms in order. Each form is
/// compiled even when an earlier one failed, and every error is reported (as
/// [`Error::Many`] when there are several).
pub fn compile(prog: &mut Program, forms: &[Sexp]) -> Result<Vec<RunForm>, Error> {
    let mut errors: Vec<Error> = Vec::new();
    // Declare every relation first.
    let mut defs: Vec<Def<'_>> = Vec::new();
    let mut runs_src: Vec<&Sexp> = Vec::new();
    let mut arities: HashMap<String, usize> = HashMap::new();
    for f in forms {
        match f.head() {
            Some("defrel") | Some("define") => match declare(prog, &mut arities, f) {
                Ok(d) => defs.push(d),
                Err(e) => errors.push(e),
            },
            Some("run") | Some("run*") => runs_src.push(f),
            _ => errors.push(err(
                f.pos,
                "expected `defrel`, `define`, `run` or `run*` at top level",
            )),
        }
    }
    for (id, params, body, _is_defrel, _) in &defs {
        if let Err(e) = define(prog, *id, params, body) {
            errors.extend(e.list().iter().cloned());
        }
    }
    let mut runs = Vec::new();
    for f in runs_src {
        match compile_run(prog, f) {
            Ok(r) => runs.push(r),
            Err(e) => errors.extend(e.list().iter().cloned()),
        }
    }
    sort_by_position(&mut errors);
    match Error::from_list(errors) {
        None => Ok(runs),
        Some(e) => Err(e),
    }
}

/// The first pass over a `defrel`/`define` form: checks its shape and declares the relation.
fn declare<'a>(
    prog: &mut Program,
    arities: &mut HashMap<String, usize>,
    f: &'a Sexp,
) -> Result<Def<'a>, Error> {
    let xs = f.list().unwrap_or(&[]);
    let is_defrel = f.head() == Some("defrel");
    let (name, params, body): (&Sexp, Vec<&Sexp>, Vec<&Sexp>) = match xs.get(1).map(|x| &x.kind) {
        Some(SexpKind::List(h, None)) if !h.is_empty() => {
            (&h[0], h[1..].iter().collect(), xs[2..].iter().collect())
        }
        Some(SexpKind::Sym(_)) if !is_defrel => {
            // (define name (lambda (params) body ...))
            let lam = xs.get(2).filter(|l| l.head() == Some("lambda"));
            let Some(lam) = lam else {
                return Err(err(f.pos, "`define` of a relation needs `(define (name arg ...) goal)` or `(define name (lambda (arg ...) goal))`"));
            };
            let ls = lam.list().unwrap_or(&[]);
            let Some(ps) = ls.get(1).and_then(|p| p.list()) else {
                return Err(err(lam.pos, "`lambda` needs a parameter list"));
            };
            (&xs[1], ps.iter().collect(), ls[2..].iter().collect())
        }
        _ => return Err(err(f.pos, "expected `(defrel (name arg ...) goal ...)`")),
    };
    let Some(n) = name.sym() else {
        return Err(err(name.pos, "a relation name must be a symbol"));
    };
    if body.is_empty() {
        return Err(err(f.pos, format!("relation `{n}` has no goals")));
    }
    if !is_defrel && body.len() > 1 {
        return Err(err(
            body[1].pos,
            "a `define`d relation has one goal; use `defrel` or `fresh ()` for several",
        ));
    }
    if let Some(&a) = arities.get(n) {
        if a != params.len() {
            return Err(err(
                name.pos,
                format!("relation `{n}` defined again with a different arity"),
            ));
        }
    }
    arities.insert(n.to_string(), params.len());
    let id = prog.declare(n, params.len());
    Ok((id, params, body, is_defrel, f.pos))
}

/// The second pass: compiles a declared relation's body.
fn define(prog: &mut Program, id: RelId, params: &[&Sexp], body: &[&Sexp]) -> Result<(), Error> {
    let mut scope = Scope::new();
    let mut distinct = Distinct::default();
    for p in params {
        let Some(n) = p.sym() else {
            return Err(err(p.pos, "a parameter must be a symbol"));
        };
        distinct.check(p, n)?;
        scope.bind(n, p.pos)?;
    }
    let goal = if body.len() == 1 {
        goal(prog, &mut scope, body[0], 0)?
    } else {
        let gs = goals(prog, &mut scope, body, 0)?;
        let c = prog.add(Goal::Conj(gs));
        prog.add(Goal::Fresh {
            slots: Vec::new(),
            body: c,
        })
    };
    prog.define(id, params.len(), scope.frame, goal);
    Ok(())
}

/// Compiles one `(run n (q ...) goal ...)` or `(run* (q ...) goal ...)` form.
pub fn compile_run(prog: &mut Program, f: &Sexp) -> Result<RunForm, Error> {
    let xs = f.list().unwrap_or(&[]);
    let star = f.head() == Some("run*");
    let (n, rest) = if star {
        (None, xs.get(1..).unwrap_or(&[]))
    } else {
        match xs.get(1).map(|x| &x.kind) {
            Some(SexpKind::Int(n)) if *n >= 0 => (Some(*n as u64), xs.get(2..).unwrap_or(&[])),
            Some(SexpKind::Bool(false)) => (None, xs.get(2..).unwrap_or(&[])),
            _ => {
                return Err(err(
                    f.pos,
                    "expected `(run N (q ...) goal ...)` with N a non-negative integer",
                ))
            }
        }
    };
    let Some((qs, body)) = rest.split_first() else {
        return Err(err(f.pos, "`run` needs query variables"));
    };
    if body.is_empty() {
        return Err(err(f.pos, "`run` needs at least one goal"));
    }
    let qnames: Vec<&Sexp> = match &qs.kind {
        SexpKind::Sym(_) => vec![qs],
        SexpKind::List(v, None) if !v.is_empty() => v.iter().collect(),
        _ => return Err(err(qs.pos, "expected query variables `(q ...)`")),
    };
    let mut scope = Scope::new();
    let body: Vec<&Sexp> = body.iter().collect();
    let goal = if qnames.len() == 1 {
        let Some(n) = qnames[0].sym() else {
            return Err(err(qnames[0].pos, "a query variable must be a symbol"));
        };
        let q = scope.bind(n, qnames[0].pos)?;
        let mut gs = goals(prog, &mut scope, &body, 0)?;
        gs.push(prog.add(Goal::Reify));
        let c = prog.add(Goal::Conj(gs));
        prog.add(Goal::Fresh {
            slots: vec![q],
            body: c,
        })
    } else {
        let x = scope.bind(" q", f.pos)?;
        let mut slots = Vec::new();
        let mut distinct = Distinct::default();
        for q in &qnames {
            let Some(n) = q.sym() else {
                return Err(err(q.pos, "a query variable must be a symbol"));
            };
            distinct.check(q, n)?;
            slots.push(scope.bind(n, q.pos)?);
        }
        let mut gs = goals(prog, &mut scope, &body, 0)?;
        let mut ops: Vec<Op> = slots.iter().map(|s| Op::Slot(*s)).collect();
        ops.push(Op::Const(Term::Nil));
        ops.extend(slots.iter().map(|_| Op::Cons));
        gs.push(prog.add(Goal::Eq(Tpl::Build(ops.into()), Tpl::Slot(x))));
        let inner_c = prog.add(Goal::Conj(gs));
        let inner = prog.add(Goal::Fresh {
            slots,
            body: inner_c,
        });
        let reify = prog.add(Goal::Reify);
        let c = prog.add(Goal::Conj(vec![inner, reify]));
        prog.add(Goal::Fresh {
            slots: vec![x],
            body: c,
        })
    };
    Ok(RunForm {
        n,
        goal,
        frame: scope.frame,
        pos: f.pos,
    })
}

fn goals(
    prog: &mut Program,
    scope: &mut Scope,
    gs: &[&Sexp],
    depth: usize,
) -> Result<Vec<GoalId>, Error> {
    // Every goal is compiled, so that errors in several of them are all reported.
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for g in gs {
        match goal(prog, scope, g, depth) {
            Ok(id) => out.push(id),
            Err(e) => errors.extend(e.list().iter().cloned()),
        }
    }
    match Error::from_list(errors) {
        None => Ok(out),
        Some(e) => Err(e),
    }
}

fn goal(prog: &mut Program, scope: &mut Scope, g: &Sexp, depth: usize) -> Result<GoalId, Error> {
    if depth > MAX_DEPTH {
        return Err(err(g.pos, "goals nested too deeply"));
    }
    if let Some(s) = g.sym() {
        return match s {
            "succeed" => Ok(prog.add(Goal::Succeed)),
            "fail" => Ok(prog.add(Goal::Fail)),
            _ => Err(err(g.pos, format!("expected a goal, found `{s}`"))),
        };
    }
    let Some(xs) = g.list() else {
        return Err(err(g.pos, "expected a goal"));
    };
    let Some(head) = xs.first().and_then(|h| h.sym()) else {
        return Err(err(g.pos, "expected a goal `(name arg ...)`"));
    };
    let args = &xs[1..];
    let want = |n: usize| -> Result<(), Error> {
        if args.len() == n {
            Ok(())
        } else {
            Err(err(
                g.pos,
                format!(
                    "`{head}` takes {n} argument{}",
                    if n == 1 { "" } else { "s" }
                ),
            ))
        }
    };
    let goal = match head {
        "==" | "=/=" | "absento" => {
            want(2)?;
            let a = term(scope, &args[0], depth + 1)?;
            let b = term(scope, &args[1], depth + 1)?;
            match head {
                "==" => Goal::Eq(a, b),
                "=/=" => Goal::Neq(a, b),
                _ => Goal::Absento(a, b),
            }
        }
        "symbolo" | "numbero" | "stringo" => {
            want(1)?;
            let ty = match head {
                "symbolo" => Type::Sym,
                "numbero" => Type::Num,
                _ => Type::Str,
            };
            Goal::Type(ty, term(scope, &args[0], depth + 1)?)
        }
        "fresh" => {
            let Some(vars) = args.first().and_then(|v| v.list()) else {
                return Err(err(g.pos, "expected `(fresh (x ...) goal ...)`"));
            };
            if args.len() < 2 {
                return Err(err(g.pos, "`fresh` needs at least one goal"));
            }
            let saved = scope.mark();
            let mut slots = Vec::new();
            let mut distinct = Distinct::default();
            for v in vars {
                let Some(n) = v.sym() else {
                    return Err(err(v.pos, "a fresh variable must be a symbol"));
                };
                distinct.check(v, n)?;
                slots.push(scope.bind(n, v.pos)?);
            }
            let body: Vec<&Sexp> = args[1..].iter().collect();
            let gs = goals(prog, scope, &body, depth + 1);
            scope.restore(saved);
            let body = prog.add(Goal::Conj(gs?));
            Goal::Fresh { slots, body }
        }
        "conde" => {
            if args.is_empty() {
                return Err(err(g.pos, "`conde` needs at least one clause"));
            }
            // Every clause is compiled, so that errors in several are all reported.
            let mut cs = Vec::new();
            let mut errors = Vec::new();
            for c in args {
                let Some(cl) = c.list().filter(|l| !l.is_empty()) else {
                    errors.push(err(c.pos, "a `conde` clause is a non-empty list of goals"));
                    continue;
                };
                let body: Vec<&Sexp> = cl.iter().collect();
                match goals(prog, scope, &body, depth + 1) {
                    Ok(gs) => cs.push(prog.add(Goal::Conj(gs))),
                    Err(e) => errors.extend(e.list().iter().cloned()),
                }
            }
            if let Some(e) = Error::from_list(errors) {
                return Err(e);
            }
            Goal::Conde(cs)
        }
        name => {
            let Some(rel) = prog.lookup(name) else {
                return Err(err(xs[0].pos, format!("unknown relation `{name}`")));
            };
            let arity = prog.rel(rel).map(|r| r.arity).unwrap_or(0);
            if arity != args.len() {
                return Err(err(
                    g.pos,
                    format!(
                        "relation `{name}` takes {arity} arguments, given {}",
                        args.len()
                    ),
                ));
            }
            let args = args
                .iter()
                .map(|a| term(scope, a, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            Goal::Call { rel, args }
        }
    };
    Ok(prog.add(goal))
}

fn term(scope: &Scope, t: &Sexp, depth: usize) -> Result<Tpl, Error> {
    if depth > MAX_DEPTH {
        return Err(err(t.pos, "terms nested too deeply"));
    }
    match &t.kind {
        SexpKind::Sym(s) => match scope.lookup(s) {
            Some(slot) => Ok(Tpl::Slot(slot)),
            None => Err(err(t.pos, format!("unbound variable `{s}`"))),
        },
        SexpKind::Int(_) | SexpKind::Str(_) | SexpKind::Bool(_) => Ok(Tpl::Const(datum(t, depth)?)),
        SexpKind::List(xs, None) => {
            let head = xs.first().and_then(|h| h.sym());
            let args = xs.get(1..).unwrap_or(&[]);
            match head {
                Some("quote") if args.len() == 1 => Ok(Tpl::Const(datum(&args[0], depth + 1)?)),
                Some("quasiquote") if args.len() == 1 => {
                    let mut ops = Vec::new();
                    quasi(scope, &args[0], &mut ops, depth + 1)?;
                    Ok(finish(ops))
                }
                Some("list") => {
                    let mut ops = Vec::new();
                    for a in args {
                        push_tpl(&mut ops, term(scope, a, depth + 1)?);
                    }
                    ops.push(Op::Const(Term::Nil));
                    ops.extend(args.iter().map(|_| Op::Cons));
                    Ok(finish(ops))
                }
                Some("cons") if args.len() == 2 => Ok(Tpl::cons(
                    term(scope, &args[0], depth + 1)?,
                    term(scope, &args[1], depth + 1)?,
                )),
                _ => Err(err(t.pos, "expected a term: a variable, a literal, `'datum`, a quasiquote, `(list ...)` or `(cons a d)`")),
            }
        }
        SexpKind::List(_, Some(_)) => Err(err(t.pos, "a dotted list is not a term; quote it")),
    }
}

fn push_tpl(ops: &mut Vec<Op>, t: Tpl) {
    match t {
        Tpl::Const(t) => ops.push(Op::Const(t)),
        Tpl::Slot(s) => ops.push(Op::Slot(s)),
        Tpl::Build(o) => ops.extend(o.iter().cloned()),
    }
}

fn finish(ops: Vec<Op>) -> Tpl {
    if ops.len() == 1 {
        match &ops[0] {
            Op::Const(t) => return Tpl::Const(t.clone()),
            Op::Slot(s) => return Tpl::Slot(*s),
            Op::Cons => {}
        }
    }
    if ops.iter().all(|o| !matches!(o, Op::Slot(_))) {
        return Tpl::Const(Tpl::Build(ops.into()).build(&[]));
    }
    Tpl::Build(ops.into())
}

fn quasi(scope: &Scope, d: &Sexp, ops: &mut Vec<Op>, depth: usize) -> Result<(), Error> {
    if depth > MAX_DEPTH {
        return Err(err(d.pos, "quasiquote nested too deeply"));
    }
    match &d.kind {
        SexpKind::List(xs, tail) => {
            if tail.is_none() && xs.len() == 2 && xs[0].sym() == Some("unquote") {
                push_tpl(ops, term(scope, &xs[1], depth + 1)?);
                return Ok(());
            }
            if xs.first().and_then(|x| x.sym()) == Some("quasiquote") {
                return Err(err(d.pos, "nested quasiquote is not supported"));
            }
            for x in xs {
                quasi(scope, x, ops, depth + 1)?;
            }
            match tail {
                Some(t) => quasi(scope, t, ops, depth + 1)?,
                None => ops.push(Op::Const(Term::Nil)),
            }
            ops.extend(xs.iter().map(|_| Op::Cons));
            Ok(())
        }
        _ => {
            ops.push(Op::Const(datum(d, depth)?));
            Ok(())
        }
    }
}
