//! Prints a syntax tree back as weft source that parses to the same tree (spans aside).
//!
//! Binary expressions are fully parenthesised, so precedence never has to be reconstructed,
//! except that a left-associative chain of one binding power is one pair of parentheses
//! (`(a + b - c)`), so that printing a long chain does not nest it.
//! The law `parse(print(m)) == m` (modulo spans) is checked by a property test.

use crate::ast::*;

/// The module as weft source, one item per paragraph.
pub fn print_module(m: &Module) -> String {
    let mut p = Printer::default();
    for (i, item) in m.items.iter().enumerate() {
        if i > 0 {
            p.out.push('\n');
        }
        p.item(item);
        p.out.push('\n');
    }
    p.out
}

/// One expression as weft source.
pub fn print_expr(e: &Expr) -> String {
    let mut p = Printer::default();
    p.expr(e, false);
    p.out
}

/// One type as weft source.
pub fn print_type(t: &TypeExpr) -> String {
    let mut p = Printer::default();
    p.ty(t);
    p.out
}

#[derive(Default)]
struct Printer {
    out: String,
    indent: usize,
}

fn is_block_like(e: &Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::If(..) | ExprKind::Match(..) | ExprKind::Block(_)
    )
}

/// Expressions that may stand before `[..]` or after a unary operator without parentheses.
fn is_atom(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Int(v) => *v >= 0,
        ExprKind::Bool(_)
        | ExprKind::Name(_)
        | ExprKind::Qualified(..)
        | ExprKind::Index(..)
        | ExprKind::Slice(..)
        | ExprKind::Array(_)
        | ExprKind::Repeat(..)
        | ExprKind::Call(..)
        | ExprKind::Error => true,
        ExprKind::Unary(..)
        | ExprKind::Binary(..)
        | ExprKind::If(..)
        | ExprKind::Match(..)
        | ExprKind::Block(_) => false,
    }
}

impl Printer {
    fn push(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// A binary expression in parentheses, its left operands of the same binding power
    /// printed without their own (`(a + b - c)`: left-associative, so it parses back to the same
    /// tree), walked in a loop, so that a chain of any length prints as one level of nesting.
    fn chain(&mut self, e: &Expr) {
        let ExprKind::Binary(op, ..) = &e.kind else {
            return self.expr(e, false);
        };
        let bp = op.binding_power();
        let mut rights = Vec::new();
        let mut cur = e;
        while let ExprKind::Binary(op, lhs, rhs) = &cur.kind {
            if op.binding_power() != bp {
                break;
            }
            rights.push((*op, &**rhs));
            cur = lhs;
        }
        self.push("(");
        self.expr(cur, false);
        for (op, rhs) in rights.into_iter().rev() {
            self.push(&format!(" {} ", op.symbol()));
            self.expr(rhs, false);
        }
        self.push(")");
    }

    fn newline(&mut self) {
        self.out.push('\n');
        for _ in 0..self.indent {
            self.out.push_str("    ");
        }
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Param(p) => {
                self.push(&format!("param {} = ", p.name.name));
                self.expr(&p.value, false);
                self.push(";");
            }
            Item::Enum(e) => {
                self.push(&format!("enum {} {{", e.name.name));
                let names: Vec<&str> = e.variants.iter().map(|v| v.name.as_str()).collect();
                if !names.is_empty() {
                    self.push(&format!(" {} ", names.join(", ")));
                }
                self.push("}");
            }
            Item::Hole(h) => {
                self.push(&format!("hole {}: ", h.name.name));
                self.ty(&h.ty);
                self.push(";");
            }
            Item::Fn(f) => {
                self.push(&format!("fn {}", f.name.name));
                self.bindings(&f.params);
                self.push(" -> ");
                self.ty(&f.ret);
                self.push(" ");
                self.block(&f.body);
            }
            Item::Sketch(s) => {
                self.push(&format!("sketch {}", s.name.name));
                self.bindings(&s.inputs);
                match &s.outputs {
                    Outputs::None => {}
                    Outputs::Single(t) => {
                        self.push(" -> ");
                        self.ty(t);
                    }
                    Outputs::Named(bs) => {
                        self.push(" -> ");
                        self.bindings(bs);
                    }
                }
                self.push(" ");
                self.block(&s.body);
            }
            Item::Examples(x) => match &x.source {
                ExampleSource::File(path, _) => {
                    self.push(&format!("examples {};", quote(path)));
                }
                ExampleSource::Inline(rows) => {
                    self.push("examples {");
                    self.indent += 1;
                    for row in rows {
                        self.newline();
                        self.example_side(&row.inputs);
                        self.push(" => ");
                        self.example_side(&row.outputs);
                        self.push(";");
                    }
                    self.indent -= 1;
                    if !rows.is_empty() {
                        self.newline();
                    }
                    self.push("}");
                }
            },
        }
    }

    fn bindings(&mut self, bs: &[Binding]) {
        self.push("(");
        for (i, b) in bs.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push(&format!("{}: ", b.name.name));
            self.ty(&b.ty);
        }
        self.push(")");
    }

    fn example_side(&mut self, values: &[ValueLit]) {
        if let [one] = values {
            self.value(one);
            return;
        }
        self.push("(");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.value(v);
        }
        self.push(")");
    }

    fn value(&mut self, v: &ValueLit) {
        match &v.kind {
            ValueLitKind::Int(n) => self.push(&n.to_string()),
            ValueLitKind::Bool(b) => self.push(&b.to_string()),
            ValueLitKind::Variant(None, name) => self.push(name),
            ValueLitKind::Variant(Some(ty), name) => self.push(&format!("{ty}::{name}")),
            ValueLitKind::Array(vs) => {
                self.push("[");
                for (i, v) in vs.iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.value(v);
                }
                self.push("]");
            }
            ValueLitKind::DontCare => self.push("_"),
        }
    }

    fn ty(&mut self, t: &TypeExpr) {
        match &t.kind {
            TypeExprKind::Bool => self.push("bool"),
            TypeExprKind::Range(lo, hi) => {
                // Bounds are read at additive level: anything looser is a parenthesised binary.
                // A lower bound starting with `[` would read as an array type.
                let mark = self.out.len();
                self.expr(lo, true);
                if self.out[mark..].starts_with('[') {
                    self.out.insert(mark, '(');
                    self.out.push(')');
                }
                self.push("..");
                self.expr(hi, true);
            }
            TypeExprKind::Named(name) => self.push(&name.name),
            TypeExprKind::Array(elem, len) => {
                self.push("[");
                self.ty(elem);
                self.push("; ");
                self.expr(len, false);
                self.push("]");
            }
        }
    }

    fn block(&mut self, b: &Block) {
        if b.stmts.is_empty() && b.tail.is_none() {
            self.push("{}");
            return;
        }
        self.push("{");
        self.indent += 1;
        for (i, s) in b.stmts.iter().enumerate() {
            self.newline();
            let last = i + 1 == b.stmts.len() && b.tail.is_none();
            self.stmt(s, last);
        }
        if let Some(tail) = &b.tail {
            self.newline();
            self.expr(tail, false);
        }
        self.indent -= 1;
        self.newline();
        self.push("}");
    }

    /// `last`: the block has no tail after this statement, so a block-like expression statement
    /// needs its `;` to stay a statement.
    fn stmt(&mut self, s: &Stmt, last: bool) {
        match &s.kind {
            StmtKind::Let { name, ty, value } => {
                self.push(&format!("let {}", name.name));
                if let Some(ty) = ty {
                    self.push(": ");
                    self.ty(ty);
                }
                self.push(" = ");
                self.expr(value, false);
                self.push(";");
            }
            StmtKind::Assign {
                target,
                indices,
                value,
            } => {
                self.push(&target.name);
                for index in indices {
                    self.push("[");
                    self.expr(index, false);
                    self.push("]");
                }
                self.push(" = ");
                self.expr(value, false);
                self.push(";");
            }
            StmtKind::For { var, lo, hi, body } => {
                self.push(&format!("for {} in ", var.name));
                self.expr(lo, true);
                self.push("..");
                self.expr(hi, true);
                self.push(" ");
                self.block(body);
            }
            StmtKind::Observe(e) => {
                self.push("observe ");
                self.expr(e, false);
                self.push(";");
            }
            StmtKind::Cost(e) => {
                self.push("cost ");
                self.expr(e, false);
                self.push(";");
            }
            StmtKind::Expr(e) => {
                self.expr(e, false);
                if !is_block_like(e) || last {
                    self.push(";");
                }
            }
        }
    }

    /// `no_block`: the expression may not start with `{` (conditions, scrutinees, bounds).
    fn expr(&mut self, e: &Expr, no_block: bool) {
        match &e.kind {
            ExprKind::Int(v) if *v < 0 => match v.checked_neg() {
                Some(abs) => self.push(&format!("(-{abs})")),
                None => self.push(&format!("(-{} - 1)", i64::MAX)),
            },
            ExprKind::Int(v) => self.push(&v.to_string()),
            ExprKind::Bool(b) => self.push(&b.to_string()),
            ExprKind::Name(n) => self.push(n),
            ExprKind::Qualified(ty, v) => self.push(&format!("{}::{}", ty.name, v.name)),
            ExprKind::Index(base, index) => {
                self.operand(base);
                self.push("[");
                self.expr(index, false);
                self.push("]");
            }
            ExprKind::Slice(base, lo, hi) => {
                self.operand(base);
                self.push("[");
                self.expr(lo, false);
                self.push("..");
                self.expr(hi, false);
                self.push("]");
            }
            ExprKind::Array(elems) => {
                self.push("[");
                self.exprs(elems);
                self.push("]");
            }
            ExprKind::Repeat(elem, count) => {
                self.push("[");
                self.expr(elem, false);
                self.push("; ");
                self.expr(count, false);
                self.push("]");
            }
            ExprKind::Call(f, args) => {
                self.push(&f.name);
                self.push("(");
                self.exprs(args);
                self.push(")");
            }
            ExprKind::Unary(op, operand) => {
                self.push(match op {
                    UnOp::Not => "!",
                    UnOp::Neg => "-",
                });
                match operand.kind {
                    ExprKind::Unary(..) | ExprKind::Binary(..) => self.expr(operand, false),
                    _ => self.operand(operand),
                }
            }
            ExprKind::Binary(..) => self.chain(e),
            ExprKind::If(cond, then, otherwise) => {
                self.push("if ");
                self.expr(cond, true);
                self.push(" ");
                self.block(then);
                if let Some(otherwise) = otherwise {
                    self.push(" else ");
                    match &otherwise.kind {
                        ExprKind::If(..) => self.expr(otherwise, false),
                        ExprKind::Block(b) => self.block(b),
                        _ => {
                            // Not produced by the parser; printed as the equivalent block.
                            self.push("{ ");
                            self.expr(otherwise, false);
                            self.push(" }");
                        }
                    }
                }
            }
            ExprKind::Match(scrutinee, arms) => {
                self.push("match ");
                self.expr(scrutinee, true);
                self.push(" {");
                self.indent += 1;
                for arm in arms {
                    self.newline();
                    for (i, pat) in arm.patterns.iter().enumerate() {
                        if i > 0 {
                            self.push(" | ");
                        }
                        self.pattern(pat);
                    }
                    self.push(" => ");
                    self.expr(&arm.body, false);
                    self.push(",");
                }
                self.indent -= 1;
                if !arms.is_empty() {
                    self.newline();
                }
                self.push("}");
            }
            ExprKind::Block(b) => {
                if no_block {
                    self.push("(");
                    self.block(b);
                    self.push(")");
                } else {
                    self.block(b);
                }
            }
            ExprKind::Error => self.push("<error>"),
        }
    }

    /// An expression before `[..]` or after a unary operator: parenthesised unless an atom.
    fn operand(&mut self, e: &Expr) {
        if is_atom(e) {
            self.expr(e, false);
        } else {
            self.push("(");
            self.expr(e, false);
            self.push(")");
        }
    }

    fn exprs(&mut self, es: &[Expr]) {
        for (i, e) in es.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.expr(e, false);
        }
    }

    fn pattern(&mut self, p: &Pattern) {
        match &p.kind {
            PatternKind::Wildcard => self.push("_"),
            PatternKind::Int(v) => self.push(&v.to_string()),
            PatternKind::Bool(b) => self.push(&b.to_string()),
            PatternKind::Variant(None, v) => self.push(&v.name),
            PatternKind::Variant(Some(ty), v) => self.push(&format!("{}::{}", ty.name, v.name)),
        }
    }
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
