//! Shared helpers: fixtures and span erasure.

use weft_syntax::ast::*;
use weft_syntax::{parse, FileId, Span};

pub const CIRCUIT: &str = include_str!("../valid/circuit.wft");

/// Parses `text`, asserting that there are no diagnostics.
pub fn parse_ok(text: &str) -> Module {
    let (module, diags) = parse(FileId(0), text);
    assert!(
        diags.is_empty(),
        "unexpected diagnostics for {text:?}: {diags:#?}"
    );
    module
}

/// The module with every span replaced by `Span::default()`, to compare trees by structure.
pub fn erase(mut m: Module) -> Module {
    m.items.iter_mut().for_each(item);
    m
}

fn z(s: &mut Span) {
    *s = Span::default();
}

fn id(i: &mut Ident) {
    z(&mut i.span);
}

fn item(it: &mut Item) {
    match it {
        Item::Param(p) => {
            id(&mut p.name);
            expr(&mut p.value);
            z(&mut p.span);
        }
        Item::Enum(e) => {
            id(&mut e.name);
            e.variants.iter_mut().for_each(id);
            z(&mut e.span);
        }
        Item::Hole(h) => {
            id(&mut h.name);
            ty(&mut h.ty);
            z(&mut h.span);
        }
        Item::Fn(f) => {
            id(&mut f.name);
            f.params.iter_mut().for_each(binding);
            ty(&mut f.ret);
            block(&mut f.body);
            z(&mut f.span);
        }
        Item::Sketch(s) => {
            id(&mut s.name);
            s.inputs.iter_mut().for_each(binding);
            match &mut s.outputs {
                Outputs::None => {}
                Outputs::Single(t) => ty(t),
                Outputs::Named(bs) => bs.iter_mut().for_each(binding),
            }
            block(&mut s.body);
            z(&mut s.span);
        }
        Item::Examples(x) => {
            match &mut x.source {
                ExampleSource::Inline(rows) => {
                    for row in rows {
                        row.inputs.iter_mut().for_each(value);
                        row.outputs.iter_mut().for_each(value);
                        z(&mut row.span);
                    }
                }
                ExampleSource::File(_, s) => z(s),
            }
            z(&mut x.span);
        }
    }
}

fn binding(b: &mut Binding) {
    id(&mut b.name);
    ty(&mut b.ty);
}

fn value(v: &mut ValueLit) {
    if let ValueLitKind::Array(vs) = &mut v.kind {
        vs.iter_mut().for_each(value);
    }
    z(&mut v.span);
}

fn ty(t: &mut TypeExpr) {
    match &mut t.kind {
        TypeExprKind::Bool => {}
        TypeExprKind::Range(lo, hi) => {
            expr(lo);
            expr(hi);
        }
        TypeExprKind::Named(n) => id(n),
        TypeExprKind::Array(elem, len) => {
            ty(elem);
            expr(len);
        }
    }
    z(&mut t.span);
}

fn block(b: &mut Block) {
    b.stmts.iter_mut().for_each(stmt);
    if let Some(t) = &mut b.tail {
        expr(t);
    }
    z(&mut b.span);
}

fn stmt(s: &mut Stmt) {
    match &mut s.kind {
        StmtKind::Let { name, ty: t, value } => {
            id(name);
            if let Some(t) = t {
                ty(t);
            }
            expr(value);
        }
        StmtKind::Assign {
            target,
            indices,
            value,
        } => {
            id(target);
            indices.iter_mut().for_each(expr);
            expr(value);
        }
        StmtKind::For { var, lo, hi, body } => {
            id(var);
            expr(lo);
            expr(hi);
            block(body);
        }
        StmtKind::Observe(e) | StmtKind::Cost(e) | StmtKind::Expr(e) => expr(e),
    }
    z(&mut s.span);
}

fn pattern(p: &mut Pattern) {
    if let PatternKind::Variant(ty, v) = &mut p.kind {
        if let Some(ty) = ty {
            id(ty);
        }
        id(v);
    }
    z(&mut p.span);
}

pub fn expr(e: &mut Expr) {
    match &mut e.kind {
        ExprKind::Int(_) | ExprKind::Bool(_) | ExprKind::Name(_) | ExprKind::Error => {}
        ExprKind::Qualified(a, b) => {
            id(a);
            id(b);
        }
        ExprKind::Index(a, b) | ExprKind::Repeat(a, b) | ExprKind::Binary(_, a, b) => {
            expr(a);
            expr(b);
        }
        ExprKind::Slice(a, b, c) => {
            expr(a);
            expr(b);
            expr(c);
        }
        ExprKind::Array(es) => es.iter_mut().for_each(expr),
        ExprKind::Call(f, args) => {
            id(f);
            args.iter_mut().for_each(expr);
        }
        ExprKind::Unary(_, a) => expr(a),
        ExprKind::If(c, then, otherwise) => {
            expr(c);
            block(then);
            if let Some(o) = otherwise {
                expr(o);
            }
        }
        ExprKind::Match(s, arms) => {
            expr(s);
            for arm in arms {
                arm.patterns.iter_mut().for_each(pattern);
                expr(&mut arm.body);
                z(&mut arm.span);
            }
        }
        ExprKind::Block(b) => block(b),
    }
    z(&mut e.span);
}
