//! Lowering: checks a parsed sketch and unrolls it into one IR [`Graph`].
//!
//! Everything is lowered to IR nodes, compile-time values included: a constant is a `Const`
//! node, and the builder folds operations on constants as they are built. So "is this known at
//! compile time?" is simply "did it fold to a constant?", and one code path serves loop bounds,
//! array lengths, indices, parameters and runtime values alike.
//!
//! Runtime control flow is lowered by running both branches on copies of the environment and
//! merging every variable they assign with a multiplexer on the condition; observations and
//! costs inside a branch are guarded by the branch's path condition.

use std::collections::HashMap;

use weft_ir::{Builder, Domain, DomainId, DomainKind, Graph, NodeId, Slot, SrcSpan};
use weft_syntax::ast::{
    self, BinOp, Block, Expr, ExprKind, Item, Outputs, PatternKind, StmtKind, TypeExpr,
    TypeExprKind, UnOp,
};
use weft_syntax::{Diagnostic, Span};

/// Tables (functions, operators) larger than this many entries are refused.
const MAX_TABLE: usize = 1 << 20;
/// Integer ranges wider than this are refused (they would make huge domains).
const MAX_RANGE: i64 = 1 << 16;
/// Arrays longer than this are refused.
const MAX_ARRAY: i64 = 1 << 20;
/// Array types (and arrays built in code) with more scalar elements than this, over all their
/// dimensions, are refused: each dimension alone may be within `MAX_ARRAY` while their
/// product is not (`[[[bool; 1000]; 1000]; 1000]`).
const MAX_ELEMENTS: u64 = 1 << 20;
/// Every integer a sketch computes lies in `-INT_LIMIT..=INT_LIMIT`: the sum, difference and
/// negation of two such values fit in an `i64`, and products and quotients are checked.
const INT_LIMIT: i64 = 1 << 62;
/// A write at a run-time index compares the index with every position it can reach, each
/// comparison a table over the index's values: writes needing more table entries than this in
/// all (positions × index values, quadratic in the array's length) are refused.
const MAX_ONE_HOT: u64 = 1 << 24;
/// Nested function calls deeper than this are refused (recursion is refused earlier).
const MAX_CALL_DEPTH: usize = 64;
/// Unrolled graphs larger than this many nodes are refused (a `--set` typo can ask for a
/// billion loop iterations; better a clear error than exhausting memory).
const MAX_NODES: usize = 4_000_000;

/// A lowering type: a scalar domain or a fixed array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ty {
    Scalar(DomainId),
    Array(Box<Ty>, u32),
    /// The type of statements and of `if` without `else`.
    Unit,
}

/// A lowered value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Val {
    Scalar(NodeId),
    Array(Vec<Val>),
    /// An output (or output element) not assigned yet.
    Undef,
    Unit,
}

#[derive(Clone, Debug)]
struct Typed {
    val: Val,
    ty: Ty,
}

/// Marker for "an error was reported"; lowering continues where it can.
#[derive(Debug)]
pub struct Reported;

type R<T> = Result<T, Reported>;

#[derive(Clone, Debug)]
struct Var {
    ty: Ty,
    val: Val,
    /// Declared where (for messages).
    span: Span,
    mutable: bool,
}

struct EnumInfo {
    domain: DomainId,
    variants: Vec<String>,
    /// The declaration's name (for "declared twice").
    span: Span,
}

struct FnInfo<'a> {
    decl: &'a ast::FnDecl,
    params: Vec<Ty>,
    ret: Ty,
    /// The tabulated function over its full argument domains (scalar functions only).
    table: Option<weft_ir::TableId>,
}

/// What `compile` produced besides the graph.
pub struct Lowered {
    pub graph: Graph,
    /// Inline example rows, to be checked against the graph's slots.
    pub example_rows: Vec<ast::ExampleRow>,
    /// `examples "file";` declarations: the path as written and its span.
    pub example_files: Vec<(String, Span)>,
    /// The sketch's input declarations: name and type (for example parsing).
    pub inputs: Vec<(String, Ty)>,
    /// The sketch's output declarations: name and type.
    pub outputs: Vec<(String, Ty)>,
    /// Warnings found while lowering.
    pub warnings: Vec<weft_syntax::Diagnostic>,
}

/// Lowering settings.
#[derive(Clone, Debug, Default)]
pub struct LowerConfig {
    /// `--set NAME=VALUE` and TerpreT hypers, applied to `param`s of the same name.
    pub overrides: Vec<(String, i64)>,
}

pub(crate) struct Lowerer<'a> {
    b: Builder,
    diags: Vec<Diagnostic>,
    params: HashMap<String, (i64, Span)>,
    param_order: Vec<(String, i64)>,
    enums: HashMap<String, EnumInfo>,
    /// variant name -> enum names that have it
    variants: HashMap<String, Vec<String>>,
    holes: HashMap<String, Var>,
    fns: HashMap<String, FnInfo<'a>>,
    scopes: Vec<HashMap<String, Var>>,
    /// The current path condition (a bool node), `None` when unconditional.
    path: Option<NodeId>,
    /// Functions being lowered (recursion check); `Some` while inside a function body.
    call_stack: Vec<String>,
    in_fn: usize,
    bool_d: DomainId,
}

fn src(span: Span) -> SrcSpan {
    SrcSpan {
        start: span.start,
        end: span.end,
    }
}

/// Lowers a parsed module. Errors come back as diagnostics (several at once where possible).
pub fn lower(module: &ast::Module, config: &LowerConfig) -> Result<Lowered, Vec<Diagnostic>> {
    let sketch_name = module
        .items
        .iter()
        .find_map(|i| match i {
            Item::Sketch(s) => Some(s.name.name.clone()),
            _ => None,
        })
        .unwrap_or_default();
    let mut b = Builder::new(sketch_name);
    let bool_d = b.bool_domain();
    let mut l = Lowerer {
        b,
        diags: Vec::new(),
        params: HashMap::new(),
        param_order: Vec::new(),
        enums: HashMap::new(),
        variants: HashMap::new(),
        holes: HashMap::new(),
        fns: HashMap::new(),
        scopes: Vec::new(),
        path: None,
        call_stack: Vec::new(),
        in_fn: 0,
        bool_d,
    };
    let out = l.module(module, config);
    if l.diags.iter().any(|d| d.is_error()) {
        return Err(l.diags);
    }
    match out {
        Some((inputs, outputs)) => {
            let mut b = l.b;
            b.set_params(l.param_order);
            let graph = crate::compact::compact(b.finish());
            let mut example_rows = Vec::new();
            let mut example_files = Vec::new();
            for item in &module.items {
                if let Item::Examples(e) = item {
                    match &e.source {
                        ast::ExampleSource::Inline(rows) => example_rows.extend(rows.clone()),
                        ast::ExampleSource::File(p, s) => example_files.push((p.clone(), *s)),
                    }
                }
            }
            Ok(Lowered {
                graph,
                example_rows,
                example_files,
                inputs,
                outputs,
                warnings: l.diags,
            })
        }
        None => Err(l.diags),
    }
}

type Signature = (Vec<(String, Ty)>, Vec<(String, Ty)>);

impl<'a> Lowerer<'a> {
    fn err(&mut self, d: Diagnostic) -> Reported {
        self.diags.push(d);
        Reported
    }

    fn module(&mut self, m: &'a ast::Module, config: &LowerConfig) -> Option<Signature> {
        // Overrides must name declared params.
        for (name, _) in &config.overrides {
            let declared = m
                .items
                .iter()
                .any(|i| matches!(i, Item::Param(p) if &p.name.name == name));
            if !declared {
                let names: Vec<&str> = m
                    .items
                    .iter()
                    .filter_map(|i| match i {
                        Item::Param(p) => Some(p.name.name.as_str()),
                        _ => None,
                    })
                    .collect();
                let mut d =
                    Diagnostic::error_nowhere(format!("`{name}` is not a param of this sketch"));
                d = d.with_note(if names.is_empty() {
                    "the sketch declares no params".to_string()
                } else {
                    format!("its params are: {}", names.join(", "))
                });
                self.diags.push(d);
            }
        }
        let mut sketch: Option<&'a ast::SketchDecl> = None;
        for item in &m.items {
            match item {
                Item::Param(p) => {
                    let v = match config
                        .overrides
                        .iter()
                        .rev()
                        .find(|(n, _)| *n == p.name.name)
                    {
                        Some((_, v)) if !(-INT_LIMIT..=INT_LIMIT).contains(v) => {
                            self.diags.push(
                                Diagnostic::error(
                                    format!(
                                        "the value {v} given to `{}` is too large",
                                        p.name.name
                                    ),
                                    p.name.span,
                                )
                                .with_label("set from the command line")
                                .with_note(format!(
                                    "note: integers lie in -{INT_LIMIT}..={INT_LIMIT} (±2^62)"
                                )),
                            );
                            None
                        }
                        Some((_, v)) => Some(*v),
                        None => self.const_int_expr(&p.value).ok(),
                    };
                    if let Some(v) = v {
                        if self.check_fresh(&p.name) {
                            self.params.insert(p.name.name.clone(), (v, p.name.span));
                            self.param_order.push((p.name.name.clone(), v));
                        }
                    }
                }
                Item::Enum(e) => self.enum_decl(e),
                Item::Hole(h) => {
                    let _ = self.hole_decl(h);
                }
                Item::Fn(f) => {
                    let _ = self.fn_decl(f);
                }
                Item::Sketch(s) => {
                    if let Some(first) = sketch {
                        self.diags.push(
                            Diagnostic::error("a file may declare only one sketch", s.name.span)
                                .with_label("second sketch")
                                .with_secondary(first.name.span, "first sketch declared here"),
                        );
                    } else {
                        sketch = Some(s);
                    }
                }
                Item::Examples(_) => {}
            }
        }
        let Some(s) = sketch else {
            self.diags.push(
                Diagnostic::error_nowhere("the file declares no `sketch`")
                    .with_note("add an entry point: `sketch name(inputs) -> (outputs) { ... }`"),
            );
            return None;
        };
        self.sketch(s).ok()
    }

    /// Reports an error if a global name is already taken; returns whether it is fresh.
    fn check_fresh(&mut self, name: &ast::Ident) -> bool {
        let prev = self
            .params
            .get(&name.name)
            .map(|p| p.1)
            .or_else(|| self.holes.get(&name.name).map(|h| h.span))
            .or_else(|| self.fns.get(&name.name).map(|f| f.decl.name.span))
            .or_else(|| self.enums.get(&name.name).map(|e| e.span));
        if let Some(prev) = prev {
            self.diags.push(
                Diagnostic::error(format!("`{}` is declared twice", name.name), name.span)
                    .with_label("second declaration")
                    .with_secondary(prev, "first declared here"),
            );
            return false;
        }
        true
    }

    fn enum_decl(&mut self, e: &ast::EnumDecl) {
        if !self.check_fresh(&e.name) {
            return;
        }
        if e.variants.is_empty() {
            self.diags.push(Diagnostic::error(
                format!("enum `{}` has no variants", e.name.name),
                e.name.span,
            ));
            return;
        }
        let mut names: Vec<String> = Vec::new();
        for v in &e.variants {
            if names.contains(&v.name) {
                self.diags.push(Diagnostic::error(
                    format!("variant `{}` appears twice in `{}`", v.name, e.name.name),
                    v.span,
                ));
                return;
            }
            names.push(v.name.clone());
        }
        let domain = self
            .b
            .domain(Domain::enumeration(&e.name.name, names.clone()));
        for v in &names {
            self.variants
                .entry(v.clone())
                .or_default()
                .push(e.name.name.clone());
        }
        self.enums.insert(
            e.name.name.clone(),
            EnumInfo {
                domain,
                variants: names,
                span: e.name.span,
            },
        );
    }

    fn hole_decl(&mut self, h: &ast::HoleDecl) -> R<()> {
        if !self.check_fresh(&h.name) {
            return Err(Reported);
        }
        let ty = self.ty(&h.ty)?;
        let (shape, elem) = flatten_ty(&ty);
        let nodes = self
            .b
            .hole_decl(&h.name.name, shape.clone(), elem, src(h.span));
        let val = build_array(&shape, &mut nodes.into_iter().map(Val::Scalar));
        self.holes.insert(
            h.name.name.clone(),
            Var {
                ty,
                val,
                span: h.name.span,
                mutable: false,
            },
        );
        Ok(())
    }

    fn fn_decl(&mut self, f: &'a ast::FnDecl) -> R<()> {
        if !self.check_fresh(&f.name) {
            return Err(Reported);
        }
        let mut params = Vec::new();
        let mut ok = true;
        for p in &f.params {
            match self.ty(&p.ty) {
                Ok(t) => params.push(t),
                Err(_) => ok = false,
            }
        }
        let ret = self.ty(&f.ret);
        let (Ok(ret), true) = (ret, ok) else {
            return Err(Reported);
        };
        self.fns.insert(
            f.name.name.clone(),
            FnInfo {
                decl: f,
                params,
                ret,
                table: None,
            },
        );
        Ok(())
    }

    fn sketch(&mut self, s: &ast::SketchDecl) -> R<Signature> {
        self.scopes.push(HashMap::new());
        let mut inputs = Vec::new();
        let mut failed = false;
        // Inputs and outputs share one namespace: examples name them.
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let outs: &[ast::Binding] = match &s.outputs {
            Outputs::Named(o) => o,
            _ => &[],
        };
        for b in s.inputs.iter().chain(outs) {
            if let Some(prev) = seen.insert(&b.name.name, b.name.span) {
                self.diags.push(
                    Diagnostic::error(format!("`{}` is declared twice", b.name.name), b.name.span)
                        .with_label("second declaration")
                        .with_secondary(prev, "first declared here"),
                );
                failed = true;
            }
        }
        for inp in &s.inputs {
            let Ok(ty) = self.ty(&inp.ty) else {
                failed = true;
                continue;
            };
            let (shape, elem) = flatten_ty(&ty);
            let count: usize = shape.iter().map(|&n| n as usize).product();
            let mut nodes = Vec::with_capacity(count);
            for flat in 0..count {
                let index = unflatten(flat, &shape);
                let name = format!("{}{}", inp.name.name, index_suffix(&index));
                nodes.push(Val::Scalar(self.b.input(Slot {
                    name,
                    decl: inp.name.name.clone(),
                    index,
                    domain: elem,
                })));
            }
            let val = build_array(&shape, &mut nodes.into_iter());
            self.declare_local(
                &inp.name,
                Var {
                    ty: ty.clone(),
                    val,
                    span: inp.name.span,
                    mutable: true,
                },
            );
            inputs.push((inp.name.name.clone(), ty));
        }
        let mut outputs = Vec::new();
        if let Outputs::Named(outs) = &s.outputs {
            for o in outs {
                let Ok(ty) = self.ty(&o.ty) else {
                    failed = true;
                    continue;
                };
                let val = undef_of(&ty);
                self.declare_local(
                    &o.name,
                    Var {
                        ty: ty.clone(),
                        val,
                        span: o.name.span,
                        mutable: true,
                    },
                );
                outputs.push((o.name.name.clone(), ty));
            }
        }
        if failed {
            return Err(Reported);
        }
        // The body is a block in a scope of its own: a `let` in it is a new local that shadows
        // an input or output of the same name; it must not replace the output itself (the
        // outputs are read from this outer scope below, with their declared types).
        let tail = self.block(&s.body)?;
        let mut final_outputs: Vec<(String, Ty, Val, Span)> = Vec::new();
        match &s.outputs {
            Outputs::None => {
                if tail.ty != Ty::Unit {
                    if let Some(t) = &s.body.tail {
                        return Err(self.err(
                            Diagnostic::error("this sketch declares no output", t.span)
                                .with_label("but its body ends with a value")
                                .with_note("declare it: `-> T`, or end the expression with `;`"),
                        ));
                    }
                }
            }
            Outputs::Single(t) => {
                let ty = self.ty(t)?;
                let Some(te) = &s.body.tail else {
                    return Err(self.err(
                        Diagnostic::error(
                            "the sketch's body must end with its output value",
                            s.body.span,
                        )
                        .with_label("no tail expression"),
                    ));
                };
                let v = self.coerce(tail, &ty, te.span)?;
                final_outputs.push(("output".into(), ty.clone(), v, te.span));
                outputs.push(("output".into(), ty));
            }
            Outputs::Named(outs) => {
                if let (Some(t), false) = (&s.body.tail, tail.ty == Ty::Unit) {
                    return Err(self.err(
                        Diagnostic::error(
                            "unexpected tail value in a sketch with named outputs",
                            t.span,
                        )
                        .with_note("assign each output by name instead"),
                    ));
                }
                for o in outs {
                    let var = self.scopes[0].get(&o.name.name).cloned();
                    if let Some(var) = var {
                        final_outputs.push((o.name.name.clone(), var.ty, var.val, o.name.span));
                    }
                }
            }
        }
        for (name, ty, val, span) in final_outputs {
            let (shape, elem) = flatten_ty(&ty);
            let mut flat = Vec::new();
            flatten_val(&val, &mut flat);
            for (k, v) in flat.into_iter().enumerate() {
                let index = unflatten(k, &shape);
                let slot_name = format!("{}{}", name, index_suffix(&index));
                match v {
                    Val::Scalar(n) => {
                        self.b.name(n, slot_name.clone());
                        self.b.output(
                            Slot {
                                name: slot_name,
                                decl: name.clone(),
                                index,
                                domain: elem,
                            },
                            n,
                        );
                    }
                    _ => {
                        return Err(self.err(
                            Diagnostic::error(
                                format!("output `{slot_name}` is never assigned"),
                                span,
                            )
                            .with_label("declared here")
                            .with_note(format!(
                                "assign it in the sketch body: `{slot_name} = ...;`"
                            )),
                        ))
                    }
                }
            }
        }
        self.scopes.pop();
        Ok((inputs, outputs))
    }

    fn declare_local(&mut self, name: &ast::Ident, var: Var) {
        self.scopes
            .last_mut()
            .expect("a scope")
            .insert(name.name.clone(), var);
    }

    // ---------------------------------------------------------------- types

    fn ty(&mut self, t: &TypeExpr) -> R<Ty> {
        match &t.kind {
            TypeExprKind::Bool => Ok(Ty::Scalar(self.bool_d)),
            TypeExprKind::Range(lo, hi) => {
                let lo_v = self.const_int_expr(lo);
                let hi_v = self.const_int_expr(hi);
                let (lo_v, hi_v) = (lo_v?, hi_v?);
                if hi_v <= lo_v {
                    return Err(self.err(
                        Diagnostic::error(format!("empty range type `{lo_v}..{hi_v}`"), t.span)
                            .with_label("the upper bound is exclusive and must exceed the lower"),
                    ));
                }
                if i128::from(hi_v) - i128::from(lo_v) > i128::from(MAX_RANGE) {
                    return Err(self.err(Diagnostic::error(
                        format!("range type `{lo_v}..{hi_v}` has more than {MAX_RANGE} values"),
                        t.span,
                    )));
                }
                Ok(Ty::Scalar(self.b.domain(Domain::range(lo_v, hi_v))))
            }
            TypeExprKind::Named(id) => match self.enums.get(&id.name) {
                Some(e) => Ok(Ty::Scalar(e.domain)),
                None => Err(self.err(
                    Diagnostic::error(format!("unknown type `{}`", id.name), id.span)
                        .with_note("types are `bool`, ranges `lo..hi`, enums and arrays `[T; N]`"),
                )),
            },
            TypeExprKind::Array(elem, n) => {
                let elem = self.ty(elem);
                let n_v = self.const_int_expr(n)?;
                let elem = elem?;
                if !(0..=MAX_ARRAY).contains(&n_v) {
                    return Err(self.err(Diagnostic::error(
                        format!("array length {n_v} is out of range 0..={MAX_ARRAY}"),
                        n.span,
                    )));
                }
                let ty = Ty::Array(Box::new(elem), n_v as u32);
                self.check_elements(&ty, t.span, "array type")?;
                Ok(ty)
            }
        }
    }

    /// Refuses an array type with more than `MAX_ELEMENTS` scalar elements in all, naming
    /// the product of its dimensions.
    fn check_elements(&mut self, ty: &Ty, span: Span, what: &str) -> R<()> {
        let (shape, _) = flatten_ty(ty);
        let total = shape
            .iter()
            .try_fold(1u64, |acc, &n| acc.checked_mul(u64::from(n)));
        if total.is_some_and(|t| t <= MAX_ELEMENTS) {
            return Ok(());
        }
        let dims: Vec<String> = shape.iter().map(u32::to_string).collect();
        let total = shape.iter().map(|&n| u128::from(n)).product::<u128>();
        Err(self.err(
            Diagnostic::error(
                format!(
                    "{what} `{}` has {} = {total} elements, more than {MAX_ELEMENTS}",
                    self.show_ty(ty),
                    dims.join(" × ")
                ),
                span,
            )
            .with_label(format!("{total} elements"))
            .with_note("every element is a node of the graph; use smaller params"),
        ))
    }

    fn show_ty(&self, t: &Ty) -> String {
        match t {
            Ty::Scalar(d) => self.b.graph().domain(*d).to_string(),
            Ty::Array(e, n) => format!("[{}; {}]", self.show_ty(e), n),
            Ty::Unit => "()".into(),
        }
    }

    fn domain(&self, d: DomainId) -> &Domain {
        self.b.graph().domain(d)
    }

    /// The integer range `(lo, hi_exclusive)` of an integer domain.
    fn int_range(&self, d: DomainId) -> Option<(i64, i64)> {
        let dom = self.domain(d);
        match dom.kind {
            DomainKind::Range { lo } => Some((lo, lo + dom.size as i64)),
            _ => None,
        }
    }

    /// A constant scalar value.
    fn const_of(&mut self, d: DomainId, v: u32) -> Typed {
        Typed {
            val: Val::Scalar(self.b.constant(d, v)),
            ty: Ty::Scalar(d),
        }
    }

    fn int_const(&mut self, x: i64) -> Typed {
        let d = self.b.domain(Domain::range(x, x + 1));
        self.const_of(d, 0)
    }

    /// A constant the user wrote (a literal or a parameter), refused outside `±INT_LIMIT`.
    fn user_int(&mut self, x: i64, span: Span, what: &str) -> R<Typed> {
        if !(-INT_LIMIT..=INT_LIMIT).contains(&x) {
            return Err(self.err(
                Diagnostic::error(format!("{what} {x} is too large"), span)
                    .with_label("outside the integers a sketch can compute with")
                    .with_note(format!(
                        "note: integers lie in -{INT_LIMIT}..={INT_LIMIT} (±2^62)"
                    )),
            ));
        }
        Ok(self.int_const(x))
    }

    /// The compile-time integer a value folded to, if any.
    fn as_const_int(&self, t: &Typed) -> Option<i64> {
        match (&t.val, &t.ty) {
            (Val::Scalar(n), Ty::Scalar(d)) => {
                let v = self.b.const_value(*n)?;
                self.int_range(*d).map(|(lo, _)| lo + v as i64)
            }
            _ => None,
        }
    }

    fn const_int_expr(&mut self, e: &Expr) -> R<i64> {
        let t = self.expr(e)?;
        if let Some(v) = self.as_const_int(&t) {
            return Ok(v);
        }
        let what = match &t.ty {
            Ty::Scalar(d) if self.int_range(*d).is_some() => "a value known only at run time",
            _ => "not an integer",
        };
        Err(self.err(
            Diagnostic::error("expected an integer known at compile time", e.span)
                .with_label(format!("this is {what} (type `{}`)", self.show_ty(&t.ty))),
        ))
    }

    // ---------------------------------------------------------------- statements

    /// Lowers a block in a new scope and returns the tail's value (Unit if none).
    fn block(&mut self, b: &Block) -> R<Typed> {
        self.scopes.push(HashMap::new());
        let r = self.block_inner(b);
        self.scopes.pop();
        r
    }

    /// Lowers a block's statements and tail in the current scope.
    fn block_inner(&mut self, b: &Block) -> R<Typed> {
        let mut failed = false;
        for s in &b.stmts {
            if self.stmt(s).is_err() {
                failed = true;
            }
        }
        let tail = match &b.tail {
            Some(e) => self.expr(e),
            None => Ok(Typed {
                val: Val::Unit,
                ty: Ty::Unit,
            }),
        };
        if failed {
            return Err(Reported);
        }
        tail
    }

    fn stmt(&mut self, s: &ast::Stmt) -> R<()> {
        match &s.kind {
            StmtKind::Let { name, ty, value } => {
                let v = self.expr(value);
                let declared = ty.as_ref().map(|t| self.ty(t));
                let v = v?;
                let (ty, val) = match declared {
                    Some(t) => {
                        let t = t?;
                        let val = self.coerce(v, &t, value.span)?;
                        (t, val)
                    }
                    None => {
                        if v.ty == Ty::Unit {
                            return Err(self.err(
                                Diagnostic::error("this expression has no value", value.span)
                                    .with_label(format!("`{}` would be `()`", name.name)),
                            ));
                        }
                        (v.ty, v.val)
                    }
                };
                if let Val::Scalar(n) = &val {
                    self.b.name(*n, name.name.clone());
                }
                self.declare_local(
                    name,
                    Var {
                        ty,
                        val,
                        span: name.span,
                        mutable: true,
                    },
                );
                Ok(())
            }
            StmtKind::Assign {
                target,
                indices,
                value,
            } => self.assign(target, indices, value, s.span),
            StmtKind::For { var, lo, hi, body } => {
                let lo_v = self.const_int_expr(lo);
                let hi_v = self.const_int_expr(hi);
                let (lo_v, hi_v) = (lo_v?, hi_v?);
                if hi_v.saturating_sub(lo_v) > MAX_ARRAY {
                    return Err(self.err(Diagnostic::error(
                        format!("loop of {} iterations is too long to unroll", hi_v - lo_v),
                        lo.span.to(hi.span),
                    )));
                }
                let mut failed = false;
                for i in lo_v..hi_v {
                    let c = self.int_const(i);
                    self.scopes.push(HashMap::new());
                    self.declare_local(
                        var,
                        Var {
                            ty: c.ty,
                            val: c.val,
                            span: var.span,
                            mutable: false,
                        },
                    );
                    let r = self.block(body);
                    self.scopes.pop();
                    if r.is_err() {
                        failed = true;
                        break; // the same error would repeat on every iteration
                    }
                    if self.b.graph().nodes.len() > MAX_NODES {
                        return Err(self.err(
                            Diagnostic::error(
                                format!("unrolling this loop makes more than {MAX_NODES} IR nodes"),
                                s.span,
                            )
                            .with_label(format!("stopped at iteration {i} of {lo_v}..{hi_v}"))
                            .with_note("use smaller params"),
                        ));
                    }
                }
                if failed {
                    Err(Reported)
                } else {
                    Ok(())
                }
            }
            StmtKind::Observe(e) => {
                let t = self.expr(e)?;
                let n = self.expect_bool(&t, e.span)?;
                if self.in_fn > 0 {
                    return Err(self.err(Diagnostic::error(
                        "`observe` is not allowed inside a function",
                        s.span,
                    )));
                }
                let n = match self.path {
                    None => n,
                    Some(p) => self.b.apply_fn("implies", &[p, n], self.bool_d, |v| {
                        u32::from(v[0] == 0 || v[1] == 1)
                    }),
                };
                if self.b.const_value(n) == Some(0) {
                    self.diags.push(
                        Diagnostic::warning("this observation can never hold", e.span)
                            .with_label("always false: the sketch has no solution"),
                    );
                }
                self.b.observe(n, src(e.span));
                Ok(())
            }
            StmtKind::Cost(e) => {
                let t = self.expr(e)?;
                if self.in_fn > 0 {
                    return Err(self.err(Diagnostic::error(
                        "`cost` is not allowed inside a function",
                        s.span,
                    )));
                }
                let Ty::Scalar(d) = t.ty else {
                    return Err(self.err(
                        Diagnostic::error("a cost must be an integer or a bool", e.span)
                            .with_label(format!("found `{}`", self.show_ty(&t.ty))),
                    ));
                };
                let Val::Scalar(mut n) = t.val else {
                    return Err(Reported);
                };
                let dom = self.domain(d).clone();
                if matches!(dom.kind, DomainKind::Enum { .. }) {
                    return Err(self.err(
                        Diagnostic::error("a cost must be an integer or a bool", e.span)
                            .with_label(format!("found `{dom}`")),
                    ));
                }
                let mut weights: Vec<i64> = (0..dom.size).map(|v| dom.int_of(v)).collect();
                if let Some(p) = self.path {
                    // cost is counted only when the branch is taken: weight 0 otherwise.
                    let pair = self.b.domain(Domain::range(0, 2 * dom.size as i64));
                    let size = dom.size;
                    n = self
                        .b
                        .apply_fn("guard", &[p, n], pair, |v| v[0] * size + v[1]);
                    let w = weights.clone();
                    weights = (0..2 * size)
                        .map(|k| if k < size { 0 } else { w[(k - size) as usize] })
                        .collect();
                }
                self.b.cost(n, weights, src(e.span));
                Ok(())
            }
            StmtKind::Expr(e) => {
                let t = self.expr(e)?;
                if t.ty != Ty::Unit
                    && !matches!(
                        e.kind,
                        ExprKind::If(..) | ExprKind::Match(..) | ExprKind::Block(_)
                    )
                {
                    self.diags.push(
                        Diagnostic::warning("this value is computed and discarded", e.span)
                            .with_label("unused value"),
                    );
                }
                Ok(())
            }
        }
    }

    fn lookup_var(&self, name: &str) -> Option<(usize, &Var)> {
        for (k, scope) in self.scopes.iter().enumerate().rev() {
            if let Some(v) = scope.get(name) {
                return Some((k, v));
            }
        }
        None
    }

    fn assign(&mut self, target: &ast::Ident, indices: &[Expr], value: &Expr, span: Span) -> R<()> {
        let Some((scope, var)) = self.lookup_var(&target.name) else {
            let what = if self.holes.contains_key(&target.name) {
                "a hole; holes are filled by solvers, not assigned"
            } else if self.params.contains_key(&target.name) {
                "a param; params are constants"
            } else {
                "not declared"
            };
            return Err(self.err(
                Diagnostic::error(format!("cannot assign to `{}`", target.name), target.span)
                    .with_label(format!("`{}` is {what}", target.name))
                    .with_note("declare a local first: `let x = ...;`"),
            ));
        };
        if !var.mutable {
            return Err(self.err(
                Diagnostic::error(
                    format!("cannot assign to loop variable `{}`", target.name),
                    target.span,
                )
                .with_secondary(var.span, "declared here"),
            ));
        }
        let ty = var.ty.clone();
        let v = self.expr(value);
        let mut idx = Vec::new();
        let mut failed = false;
        for i in indices {
            match self.expr(i) {
                Ok(t) => idx.push((t, i.span)),
                Err(_) => failed = true,
            }
        }
        let v = v?;
        if failed {
            return Err(Reported);
        }
        if let Some(v) = self.store_in_place(scope, &target.name, &ty, &idx, v, value.span)? {
            // Not an element at constant indices: the general path below.
            let var = self.scopes[scope][&target.name].clone();
            let new = self.store(&ty, &var.val, &idx, v, value.span, target.span.to(span))?;
            self.name_changed(&var.val, &new, &target.name);
            self.scopes[scope]
                .get_mut(&target.name)
                .expect("found above")
                .val = new;
        }
        Ok(())
    }

    /// An assignment to an element at constant indices (`chain[3] = x`, every index a
    /// compile-time constant), done in place: no copy of the array, so unrolled loops that fill
    /// an array element by element stay linear in its length. Gives the value back (`Some`)
    /// when the assignment is not of that shape, for [`Lowerer::store`].
    fn store_in_place(
        &mut self,
        scope: usize,
        name: &str,
        ty: &Ty,
        idx: &[(Typed, Span)],
        v: Typed,
        vspan: Span,
    ) -> R<Option<Typed>> {
        if idx.is_empty() || idx.iter().any(|(t, _)| self.as_const_int(t).is_none()) {
            return Ok(Some(v));
        }
        // Check every index against its dimension and find the element's type.
        let mut ks = Vec::with_capacity(idx.len());
        let mut elem = ty;
        for (t, ispan) in idx {
            let Ty::Array(inner, len) = elem else {
                return Ok(Some(v));
            };
            let (k, _) = self.index_range(t, *len, *ispan)?;
            ks.push(k as usize);
            elem = inner;
        }
        let elem = elem.clone();
        let new = self.coerce(v, &elem, vspan)?;
        let var = &mut self.scopes[scope].get_mut(name).expect("found above").val;
        let Some(slot) = ks.iter().try_fold(var, |cur, &k| match cur {
            Val::Array(items) => Some(&mut items[k]),
            _ => None,
        }) else {
            // Not an array all the way down (an unassigned array): the general path.
            return Ok(Some(Typed { val: new, ty: elem }));
        };
        let old = std::mem::replace(slot, new.clone());
        let path: String = ks.iter().map(|k| format!("[{k}]")).collect();
        self.name_changed(&old, &new, &format!("{name}{path}"));
        Ok(None)
    }

    /// Names the scalars an assignment changed after the place they were stored in
    /// (`wires[3]`), so that IR dumps and readable answers can show them.
    fn name_changed(&mut self, old: &Val, new: &Val, base: &str) {
        match (old, new) {
            (Val::Array(o), Val::Array(n)) => {
                for (k, (o, n)) in o.iter().zip(n).enumerate() {
                    if o != n {
                        self.name_changed(o, n, &format!("{base}[{k}]"));
                    }
                }
            }
            (_, Val::Scalar(n)) if old != new => self.b.name(*n, base.to_string()),
            _ => {}
        }
    }

    /// The value of `cur` after writing `v` at `idx` (indices may be runtime values).
    fn store(
        &mut self,
        ty: &Ty,
        cur: &Val,
        idx: &[(Typed, Span)],
        v: Typed,
        vspan: Span,
        tspan: Span,
    ) -> R<Val> {
        let Some(((i, ispan), rest)) = idx.split_first() else {
            return self.coerce(v, ty, vspan);
        };
        let (Ty::Array(elem_ty, len), Val::Array(items)) = (ty, cur) else {
            return Err(self.err(
                Diagnostic::error("cannot index into a non-array", tspan)
                    .with_label(format!("this has type `{}`", self.show_ty(ty))),
            ));
        };
        let (lo, hi) = self.index_range(i, *len, *ispan)?;
        if let Some(k) = self.as_const_int(i) {
            let mut items = items.clone();
            items[k as usize] = self.store(elem_ty, &items[k as usize], rest, v, vspan, tspan)?;
            return Ok(Val::Array(items));
        }
        let (Val::Scalar(sel), Ty::Scalar(d)) = (&i.val, &i.ty) else {
            return Err(Reported);
        };
        let (sel, d) = (*sel, *d);
        self.check_one_hot(d, lo, hi, *ispan)?;
        let mut items = items.clone();
        for k in lo..hi {
            let written = self.store(elem_ty, &items[k as usize], rest, v.clone(), vspan, tspan)?;
            let hit = self.eq_const(sel, d, k);
            items[k as usize] = self.mux_val(hit, &[items[k as usize].clone(), written], tspan)?;
        }
        Ok(Val::Array(items))
    }

    /// Refuses a write at a run-time index of domain `d` reaching positions `lo..hi` when its
    /// comparisons `i == k` would need more than `MAX_ONE_HOT` table entries, with the estimate.
    fn check_one_hot(&mut self, d: DomainId, lo: i64, hi: i64, span: Span) -> R<()> {
        let positions = (hi - lo) as u64;
        let values = u64::from(self.domain(d).size);
        let cells = positions.saturating_mul(values);
        if cells <= MAX_ONE_HOT {
            return Ok(());
        }
        Err(self.err(
            Diagnostic::error(
                format!(
                    "this write at a run-time index needs {positions} comparisons over {values} \
                     index values: {cells} table entries, more than {MAX_ONE_HOT}"
                ),
                span,
            )
            .with_label(format!("may be any of {positions} positions"))
            .with_note(
                "a run-time write compares its index with every position it can reach, so its \
                 size grows with the square of the array's length; use smaller params",
            ),
        ))
    }

    /// `i == k` for a run-time value `i` of domain `d`: the table `==` specialised to the
    /// constant `k` (what `i == k` lowers to, so that it prints as a comparison), built
    /// directly over `i` alone, without first tabulating `==` over both arguments.
    fn eq_const(&mut self, i: NodeId, d: DomainId, k: i64) -> NodeId {
        let dom = self.domain(d).clone();
        let bool_d = self.bool_d;
        self.b
            .apply_fn(&format!("==(_, {k})"), &[i], bool_d, move |v| {
                u32::from(dom.int_of(v[0]) == k)
            })
    }

    /// Checks an index against an array length; returns the range of positions it can take.
    fn index_range(&mut self, i: &Typed, len: u32, span: Span) -> R<(i64, i64)> {
        let Ty::Scalar(d) = i.ty else {
            return Err(self.err(
                Diagnostic::error("an index must be an integer", span)
                    .with_label(format!("found `{}`", self.show_ty(&i.ty))),
            ));
        };
        let Some((lo, hi)) = self.int_range(d) else {
            return Err(self.err(
                Diagnostic::error("an index must be an integer", span)
                    .with_label(format!("found `{}`", self.domain(d))),
            ));
        };
        if let Some(k) = self.as_const_int(i) {
            if k < 0 || k >= len as i64 {
                return Err(self.err(
                    Diagnostic::error(
                        format!("index {k} is out of bounds for an array of length {len}"),
                        span,
                    )
                    .with_label("out of bounds"),
                ));
            }
            return Ok((k, k + 1));
        }
        if lo < 0 || hi > len as i64 {
            return Err(self.err(
                Diagnostic::error(
                    format!("index of type `{lo}..{hi}` may be out of bounds for an array of length {len}"),
                    span,
                )
                .with_label(format!("may be {}", if lo < 0 { lo } else { hi - 1 }))
                .with_note(format!("indices must fit `0..{len}`; use `%` or a narrower type")),
            ));
        }
        Ok((lo, hi))
    }

    // ---------------------------------------------------------------- values

    /// Converts a value to a target type (widening integer ranges), or reports why it cannot.
    fn coerce(&mut self, v: Typed, target: &Ty, span: Span) -> R<Val> {
        if &v.ty == target {
            return Ok(v.val);
        }
        match (&v.ty, target, &v.val) {
            (_, _, Val::Undef) => Ok(Val::Undef),
            (Ty::Scalar(from), Ty::Scalar(to), Val::Scalar(n)) => {
                let (from, to, n) = (*from, *to, *n);
                match (self.int_range(from), self.int_range(to)) {
                    (Some((flo, fhi)), Some((tlo, thi))) => {
                        if let Some(c) = self.b.const_value(n) {
                            let x = flo + c as i64;
                            if (tlo..thi).contains(&x) {
                                return Ok(Val::Scalar(self.b.constant(to, (x - tlo) as u32)));
                            }
                            return Err(self.err(
                                Diagnostic::error(
                                    format!("value {x} does not fit `{tlo}..{thi}`"),
                                    span,
                                )
                                .with_label(format!("expected `{tlo}..{thi}`")),
                            ));
                        }
                        if flo >= tlo && fhi <= thi {
                            let off = (flo - tlo) as u32;
                            return Ok(Val::Scalar(
                                self.b.apply_fn("as", &[n], to, move |x| x[0] + off),
                            ));
                        }
                        Err(self.err(
                            Diagnostic::error(
                                format!(
                                    "a value of type `{flo}..{fhi}` may not fit `{tlo}..{thi}`"
                                ),
                                span,
                            )
                            .with_label(format!("may be {}", if flo < tlo { flo } else { fhi - 1 }))
                            .with_note(format!(
                                "wrap it into range (e.g. `(...) % {}`) or widen the declared type",
                                thi - tlo
                            )),
                        ))
                    }
                    _ => Err(self.mismatch(target, &v.ty, span)),
                }
            }
            (Ty::Array(fe, fl), Ty::Array(te, tl), Val::Array(items)) => {
                if fl != tl {
                    return Err(self.err(
                        Diagnostic::error(
                            format!("expected an array of length {tl}, found length {fl}"),
                            span,
                        )
                        .with_label(format!("expected `{}`", self.show_ty(target))),
                    ));
                }
                let (fe, te) = ((**fe).clone(), (**te).clone());
                let mut out = Vec::with_capacity(items.len());
                for it in items.clone() {
                    out.push(self.coerce(
                        Typed {
                            val: it,
                            ty: fe.clone(),
                        },
                        &te,
                        span,
                    )?);
                }
                Ok(Val::Array(out))
            }
            _ => Err(self.mismatch(target, &v.ty, span)),
        }
    }

    fn mismatch(&mut self, expected: &Ty, found: &Ty, span: Span) -> Reported {
        let d = Diagnostic::error(
            format!(
                "expected `{}`, found `{}`",
                self.show_ty(expected),
                self.show_ty(found)
            ),
            span,
        )
        .with_label(format!("this has type `{}`", self.show_ty(found)));
        self.err(d)
    }

    /// The common type of several values (for `if`/`match` results and array literals):
    /// integer ranges widen to their union, everything else must agree.
    fn unify(&mut self, tys: &[(Ty, Span)]) -> R<Ty> {
        let mut acc = tys[0].0.clone();
        for (t, span) in &tys[1..] {
            acc = match self.join(&acc, t) {
                Ok(j) => j,
                Err(None) => return Err(self.mismatch(&acc.clone(), t, *span)),
                Err(Some((lo, hi))) => {
                    return Err(self.err(
                        Diagnostic::error(
                            format!(
                                "the values of this expression range over `{lo}..{hi}`, \
                                 more than {MAX_RANGE} values"
                            ),
                            *span,
                        )
                        .with_label(format!(
                            "one part has type `{}`, another `{}`",
                            self.show_ty(&acc),
                            self.show_ty(t)
                        )),
                    ))
                }
            };
        }
        Ok(acc)
    }

    /// The common type of `a` and `b`: `Err(None)` if there is none, `Err(Some(range))` if
    /// the union of two integer ranges would be wider than `MAX_RANGE`.
    fn join(&mut self, a: &Ty, b: &Ty) -> Result<Ty, Option<(i64, i64)>> {
        if a == b {
            return Ok(a.clone());
        }
        match (a, b) {
            (Ty::Scalar(x), Ty::Scalar(y)) => {
                let (Some((alo, ahi)), Some((blo, bhi))) = (self.int_range(*x), self.int_range(*y))
                else {
                    return Err(None);
                };
                let (lo, hi) = (alo.min(blo), ahi.max(bhi));
                if i128::from(hi) - i128::from(lo) > i128::from(MAX_RANGE) {
                    return Err(Some((lo, hi)));
                }
                Ok(Ty::Scalar(self.b.domain(Domain::range(lo, hi))))
            }
            (Ty::Array(ea, la), Ty::Array(eb, lb)) if la == lb => {
                Ok(Ty::Array(Box::new(self.join(ea, eb)?), *la))
            }
            _ => Err(None),
        }
    }

    /// Element-wise multiplexer over values of one type.
    fn mux_val(&mut self, sel: NodeId, cases: &[Val], span: Span) -> R<Val> {
        if cases.iter().all(|c| c == &cases[0]) {
            return Ok(cases[0].clone());
        }
        if cases.iter().all(|c| matches!(c, Val::Scalar(_))) {
            let ns: Vec<NodeId> = cases
                .iter()
                .map(|c| match c {
                    Val::Scalar(n) => *n,
                    _ => unreachable!("checked above"),
                })
                .collect();
            return Ok(Val::Scalar(self.b.mux(sel, &ns)));
        }
        if cases.iter().all(|c| matches!(c, Val::Array(_))) {
            let len = match &cases[0] {
                Val::Array(v) => v.len(),
                _ => 0,
            };
            let mut out = Vec::with_capacity(len);
            for k in 0..len {
                let col: Vec<Val> = cases
                    .iter()
                    .map(|c| match c {
                        Val::Array(v) => v[k].clone(),
                        _ => Val::Undef,
                    })
                    .collect();
                out.push(self.mux_val(sel, &col, span)?);
            }
            return Ok(Val::Array(out));
        }
        if cases.iter().any(|c| matches!(c, Val::Undef)) {
            return Err(self.err(
                Diagnostic::error("a value is assigned on some paths only", span)
                    .with_label("after this branch the value may be unassigned")
                    .with_note("assign it on every branch, or before the branch"),
            ));
        }
        Err(self.err(Diagnostic::error(
            "branches produce values of different shapes",
            span,
        )))
    }

    fn expect_bool(&mut self, t: &Typed, span: Span) -> R<NodeId> {
        match (&t.ty, &t.val) {
            (Ty::Scalar(d), Val::Scalar(n)) if *d == self.bool_d => Ok(*n),
            _ => Err(self.err(
                Diagnostic::error(
                    format!("expected `bool`, found `{}`", self.show_ty(&t.ty)),
                    span,
                )
                .with_label("expected a condition"),
            )),
        }
    }

    fn scalar_parts(&mut self, t: &Typed, span: Span, what: &str) -> R<(NodeId, DomainId)> {
        match (&t.ty, &t.val) {
            (Ty::Scalar(d), Val::Scalar(n)) => Ok((*n, *d)),
            (_, Val::Undef) => Err(self.err(
                Diagnostic::error("this value is used before it is assigned", span)
                    .with_label("not assigned yet"),
            )),
            _ => Err(self.err(
                Diagnostic::error(
                    format!("{what} needs a scalar, found `{}`", self.show_ty(&t.ty)),
                    span,
                )
                .with_label("not a scalar"),
            )),
        }
    }

    // ---------------------------------------------------------------- expressions

    fn expr(&mut self, e: &Expr) -> R<Typed> {
        match &e.kind {
            ExprKind::Error => Err(Reported),
            ExprKind::Int(x) => self.user_int(*x, e.span, "the integer"),
            ExprKind::Bool(v) => {
                let d = self.bool_d;
                Ok(self.const_of(d, u32::from(*v)))
            }
            ExprKind::Name(n) => self.name(n, e.span),
            ExprKind::Qualified(en, v) => self.variant(Some(en), &v.name, v.span),
            ExprKind::Index(base, i) => {
                if let ExprKind::Name(n) = &base.kind {
                    if let Some(t) = self.index_var_const(n, i, base.span)? {
                        return Ok(t);
                    }
                }
                let bt = self.expr(base);
                let it = self.expr(i);
                let (bt, it) = (bt?, it?);
                self.index(bt, it, base.span, i.span)
            }
            ExprKind::Slice(base, lo, hi) => {
                let bt = self.expr(base)?;
                let lo_v = self.const_int_expr(lo)?;
                let hi_v = self.const_int_expr(hi)?;
                let (Ty::Array(elem, len), Val::Array(items)) = (&bt.ty, &bt.val) else {
                    return Err(self.err(
                        Diagnostic::error("cannot slice a non-array", base.span)
                            .with_label(format!("this has type `{}`", self.show_ty(&bt.ty))),
                    ));
                };
                if lo_v < 0 || hi_v < lo_v || hi_v > *len as i64 {
                    return Err(self.err(
                        Diagnostic::error(
                            format!("slice {lo_v}..{hi_v} is out of bounds for an array of length {len}"),
                            lo.span.to(hi.span),
                        )
                        .with_label("out of bounds"),
                    ));
                }
                Ok(Typed {
                    val: Val::Array(items[lo_v as usize..hi_v as usize].to_vec()),
                    ty: Ty::Array(elem.clone(), (hi_v - lo_v) as u32),
                })
            }
            ExprKind::Array(items) => {
                let mut ts = Vec::new();
                let mut failed = false;
                for it in items {
                    match self.expr(it) {
                        Ok(t) => ts.push((t, it.span)),
                        Err(_) => failed = true,
                    }
                }
                if failed {
                    return Err(Reported);
                }
                if ts.is_empty() {
                    return Err(self.err(
                        Diagnostic::error(
                            "cannot infer the element type of an empty array",
                            e.span,
                        )
                        .with_note("empty arrays are not supported"),
                    ));
                }
                let tys: Vec<(Ty, Span)> = ts.iter().map(|(t, s)| (t.ty.clone(), *s)).collect();
                let elem = self.unify(&tys)?;
                let mut vals = Vec::new();
                for (t, s) in ts {
                    vals.push(self.coerce(t, &elem, s)?);
                }
                let n = vals.len() as u32;
                let ty = Ty::Array(Box::new(elem), n);
                self.check_elements(&ty, e.span, "this array")?;
                Ok(Typed {
                    val: Val::Array(vals),
                    ty,
                })
            }
            ExprKind::Repeat(elem, n) => {
                let t = self.expr(elem)?;
                let n_v = self.const_int_expr(n)?;
                if !(0..=MAX_ARRAY).contains(&n_v) {
                    return Err(self.err(Diagnostic::error(
                        format!("array length {n_v} is out of range 0..={MAX_ARRAY}"),
                        n.span,
                    )));
                }
                let ty = Ty::Array(Box::new(t.ty), n_v as u32);
                self.check_elements(&ty, e.span, "this array")?;
                Ok(Typed {
                    val: Val::Array(vec![t.val; n_v as usize]),
                    ty,
                })
            }
            ExprKind::Call(f, args) => self.call(f, args, e.span),
            ExprKind::Unary(op, a) => {
                let t = self.expr(a)?;
                self.unary(*op, t, a.span)
            }
            ExprKind::Binary(..) => self.binary_chain(e),
            ExprKind::If(c, then, els) => self.if_expr(c, then, els.as_deref(), e.span),
            ExprKind::Match(scrut, arms) => self.match_expr(scrut, arms, e.span),
            ExprKind::Block(b) => self.block(b),
        }
    }

    fn name(&mut self, n: &str, span: Span) -> R<Typed> {
        if let Some((_, v)) = self.lookup_var(n) {
            let v = v.clone();
            if matches!(v.val, Val::Undef) {
                return Err(self.err(
                    Diagnostic::error(format!("`{n}` is used before it is assigned"), span)
                        .with_secondary(v.span, "declared here"),
                ));
            }
            return Ok(Typed {
                val: v.val,
                ty: v.ty,
            });
        }
        if let Some(&(x, _)) = self.params.get(n) {
            return Ok(self.int_const(x));
        }
        if let Some(h) = self.holes.get(n) {
            if self.in_fn > 0 {
                return Err(self.err(
                    Diagnostic::error(format!("functions cannot read the hole `{n}`"), span)
                        .with_note("pass it as an argument instead"),
                ));
            }
            return Ok(Typed {
                val: h.val.clone(),
                ty: h.ty.clone(),
            });
        }
        if self.variants.contains_key(n) {
            return self.variant(None, n, span);
        }
        let d = Diagnostic::error(format!("cannot find `{n}` in this scope"), span)
            .with_label("not found");
        Err(self.err(d))
    }

    fn variant(&mut self, en: Option<&ast::Ident>, v: &str, span: Span) -> R<Typed> {
        let owner = match en {
            Some(en) => {
                if !self.enums.contains_key(&en.name) {
                    return Err(self.err(
                        Diagnostic::error(format!("unknown enum `{}`", en.name), en.span)
                            .with_label("not an enum"),
                    ));
                }
                en.name.clone()
            }
            None => {
                let owners = self.variants.get(v).cloned().unwrap_or_default();
                if owners.len() > 1 {
                    let opts: Vec<String> = owners.iter().map(|o| format!("`{o}::{v}`")).collect();
                    return Err(self.err(
                        Diagnostic::error(format!("variant `{v}` is ambiguous"), span)
                            .with_note(format!("write one of {}", opts.join(", "))),
                    ));
                }
                match owners.into_iter().next() {
                    Some(o) => o,
                    None => {
                        return Err(self.err(Diagnostic::error(
                            format!("cannot find `{v}` in this scope"),
                            span,
                        )))
                    }
                }
            }
        };
        let info = &self.enums[&owner];
        let Some(k) = info.variants.iter().position(|x| x == v) else {
            let list = info.variants.join(", ");
            return Err(self.err(
                Diagnostic::error(format!("`{owner}` has no variant `{v}`"), span)
                    .with_note(format!("its variants are: {list}")),
            ));
        };
        let d = info.domain;
        Ok(self.const_of(d, k as u32))
    }

    /// The array a name denotes in an expression, by reference: a variable, or a hole outside
    /// functions (what [`Lowerer::name`] would copy).
    fn array_named(&self, n: &str) -> Option<&Var> {
        let v = match self.lookup_var(n) {
            Some((_, v)) => v,
            None if self.in_fn == 0 && !self.params.contains_key(n) => self.holes.get(n)?,
            None => return None,
        };
        matches!((&v.ty, &v.val), (Ty::Array(..), Val::Array(_))).then_some(v)
    }

    /// `x[i]` for an array variable or hole `x` and a constant `i`: the element, read without
    /// copying the array (reads in unrolled loops stay linear in its length). `None` when the
    /// expression is not of that shape ([`Lowerer::index`] then handles it, with every
    /// diagnostic).
    fn index_var_const(&mut self, n: &str, i: &Expr, bspan: Span) -> R<Option<Typed>> {
        if self.array_named(n).is_none() {
            return Ok(None);
        }
        let it = self.expr(i)?;
        let Some(k) = self.as_const_int(&it) else {
            let bt = self.name(n, bspan)?;
            return self.index(bt, it, bspan, i.span).map(Some);
        };
        let Some(Var {
            ty: Ty::Array(elem, len),
            val: Val::Array(items),
            ..
        }) = self.array_named(n)
        else {
            unreachable!("checked above")
        };
        let (elem, len) = ((**elem).clone(), *len);
        let v = (k >= 0 && k < len as i64).then(|| items[k as usize].clone());
        match v {
            Some(v) if !matches!(v, Val::Undef) => Ok(Some(Typed { val: v, ty: elem })),
            // Out of bounds or unassigned: the general path reports it.
            _ => {
                let bt = self.name(n, bspan)?;
                self.index(bt, it, bspan, i.span).map(Some)
            }
        }
    }

    fn index(&mut self, bt: Typed, it: Typed, bspan: Span, ispan: Span) -> R<Typed> {
        let (Ty::Array(elem, len), Val::Array(items)) = (&bt.ty, &bt.val) else {
            if matches!(bt.val, Val::Undef) {
                return Err(self.err(
                    Diagnostic::error("this array is used before it is assigned", bspan)
                        .with_label("not assigned yet"),
                ));
            }
            return Err(self.err(
                Diagnostic::error("cannot index into a non-array", bspan)
                    .with_label(format!("this has type `{}`", self.show_ty(&bt.ty))),
            ));
        };
        let (lo, hi) = self.index_range(&it, *len, ispan)?;
        if let Some(k) = self.as_const_int(&it) {
            let v = items[k as usize].clone();
            if matches!(v, Val::Undef) {
                return Err(self.err(
                    Diagnostic::error(
                        format!("element {k} is used before it is assigned"),
                        bspan.to(ispan),
                    )
                    .with_label("not assigned yet"),
                ));
            }
            return Ok(Typed {
                val: v,
                ty: (**elem).clone(),
            });
        }
        let Val::Scalar(sel) = it.val else {
            return Err(Reported);
        };
        // The selector's value index v means the integer lo + v, i.e. element lo + v.
        let cases: Vec<Val> = items[lo as usize..hi as usize].to_vec();
        if cases.iter().any(|c| matches!(c, Val::Undef)) {
            return Err(self.err(
                Diagnostic::error(
                    "an element this index can reach is not assigned yet",
                    bspan.to(ispan),
                )
                .with_label("may read an unassigned element"),
            ));
        }
        let val = self.mux_val(sel, &cases, bspan.to(ispan))?;
        Ok(Typed {
            val,
            ty: (**elem).clone(),
        })
    }

    /// A binary expression, walking its chain of left operands (`a + b + … + z`, as deep as it
    /// is long) in a loop rather than by recursion. Every operand is lowered (and reports its
    /// errors) even after an earlier one failed.
    fn binary_chain(&mut self, e: &Expr) -> R<Typed> {
        let mut rights = Vec::new();
        let mut cur = e;
        while let ExprKind::Binary(op, a, b) = &cur.kind {
            rights.push((*op, &**b, cur.span));
            cur = a;
        }
        let mut acc = self.expr(cur);
        let mut acc_span = cur.span;
        for (op, b, span) in rights.into_iter().rev() {
            let tb = self.expr(b);
            acc = match (acc, tb) {
                (Ok(ta), Ok(tb)) => self.binary(op, ta, tb, acc_span, b.span, span),
                _ => Err(Reported),
            };
            acc_span = span;
        }
        acc
    }

    fn unary(&mut self, op: UnOp, t: Typed, span: Span) -> R<Typed> {
        let (n, d) = self.scalar_parts(&t, span, "this operator")?;
        match op {
            UnOp::Not => {
                if d != self.bool_d {
                    return Err(self.err(
                        Diagnostic::error(
                            format!("`!` needs a `bool`, found `{}`", self.domain(d)),
                            span,
                        )
                        .with_label("not a bool"),
                    ));
                }
                let bd = self.bool_d;
                let r = self.b.apply_fn("not", &[n], bd, |v| 1 - v[0]);
                Ok(Typed {
                    val: Val::Scalar(r),
                    ty: Ty::Scalar(bd),
                })
            }
            UnOp::Neg => {
                let Some((lo, hi)) = self.int_range(d) else {
                    return Err(self.err(
                        Diagnostic::error(
                            format!("`-` needs an integer, found `{}`", self.domain(d)),
                            span,
                        )
                        .with_label("not an integer"),
                    ));
                };
                let out = self.b.domain(Domain::range(1 - hi, 1 - lo));
                let r = self.b.apply_fn("neg", &[n], out, move |v| {
                    let x = -(lo + v[0] as i64);
                    (x - (1 - hi)) as u32
                });
                Ok(Typed {
                    val: Val::Scalar(r),
                    ty: Ty::Scalar(out),
                })
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn binary(
        &mut self,
        op: BinOp,
        a: Typed,
        b: Typed,
        sa: Span,
        sb: Span,
        span: Span,
    ) -> R<Typed> {
        let what = format!("`{}`", op.symbol());
        let (na, da) = self.scalar_parts(&a, sa, &what)?;
        let (nb, db) = self.scalar_parts(&b, sb, &what)?;
        let bd = self.bool_d;
        match op {
            BinOp::And | BinOp::Or | BinOp::Xor => {
                for (d, s) in [(da, sa), (db, sb)] {
                    if d != bd {
                        return Err(self.err(
                            Diagnostic::error(
                                format!("{what} needs `bool` operands, found `{}`", self.domain(d)),
                                s,
                            )
                            .with_label("not a bool"),
                        ));
                    }
                }
                let (name, f): (&str, fn(u32, u32) -> u32) = match op {
                    BinOp::And => ("and", |x, y| x & y),
                    BinOp::Or => ("or", |x, y| x | y),
                    _ => ("xor", |x, y| x ^ y),
                };
                let r = self.b.apply_fn(name, &[na, nb], bd, |v| f(v[0], v[1]));
                Ok(Typed {
                    val: Val::Scalar(r),
                    ty: Ty::Scalar(bd),
                })
            }
            BinOp::Eq | BinOp::Ne => {
                let same_kind =
                    da == db || (self.int_range(da).is_some() && self.int_range(db).is_some());
                if !same_kind {
                    return Err(self.err(
                        Diagnostic::error(
                            format!(
                                "cannot compare `{}` with `{}`",
                                self.domain(da),
                                self.domain(db)
                            ),
                            span,
                        )
                        .with_label("different types"),
                    ));
                }
                let (ia, ib) = (self.domain(da).clone(), self.domain(db).clone());
                let want = op == BinOp::Eq;
                let r = self.b.apply_fn(op.symbol(), &[na, nb], bd, move |v| {
                    u32::from((ia.int_of(v[0]) == ib.int_of(v[1])) == want)
                });
                Ok(Typed {
                    val: Val::Scalar(r),
                    ty: Ty::Scalar(bd),
                })
            }
            _ => {
                let ra = self.int_range(da);
                let rb = self.int_range(db);
                let (Some((alo, ahi)), Some((blo, bhi))) = (ra, rb) else {
                    let (d, s) = if ra.is_none() { (da, sa) } else { (db, sb) };
                    return Err(self.err(
                        Diagnostic::error(
                            format!("{what} needs integer operands, found `{}`", self.domain(d)),
                            s,
                        )
                        .with_label("not an integer"),
                    ));
                };
                if matches!(op, BinOp::Div | BinOp::Rem) && blo <= 0 && 0 < bhi {
                    return Err(self.err(
                        Diagnostic::error(format!("the divisor of {what} may be zero"), sb)
                            .with_label(format!("has type `{blo}..{bhi}`")),
                    ));
                }
                // `None` where the result does not fit (checked again against `INT_LIMIT`).
                let f = move |x: i64, y: i64| -> Option<i64> {
                    match op {
                        BinOp::Add => x.checked_add(y),
                        BinOp::Sub => x.checked_sub(y),
                        BinOp::Mul => x.checked_mul(y),
                        // Division rounds toward negative infinity; `%` is Euclidean.
                        BinOp::Div => {
                            let q = x.checked_div(y)?;
                            if x.checked_rem(y)? != 0 && ((x < 0) != (y < 0)) {
                                q.checked_sub(1)
                            } else {
                                Some(q)
                            }
                        }
                        BinOp::Rem => x.checked_rem_euclid(y),
                        BinOp::Lt => Some(i64::from(x < y)),
                        BinOp::Le => Some(i64::from(x <= y)),
                        BinOp::Gt => Some(i64::from(x > y)),
                        BinOp::Ge => Some(i64::from(x >= y)),
                        _ => Some(0),
                    }
                };
                let cells = ((ahi - alo) as usize).saturating_mul((bhi - blo) as usize);
                if cells > MAX_TABLE {
                    return Err(self.err(Diagnostic::error(
                        format!("{what} over `{alo}..{ahi}` and `{blo}..{bhi}` would need a table of {cells} entries"),
                        span,
                    )));
                }
                let is_cmp = matches!(op, BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge);
                let out = if is_cmp {
                    bd
                } else {
                    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
                    for x in alo..ahi {
                        for y in blo..bhi {
                            if matches!(op, BinOp::Div | BinOp::Rem) && y == 0 {
                                continue;
                            }
                            let Some(r) = f(x, y).filter(|r| (-INT_LIMIT..=INT_LIMIT).contains(r))
                            else {
                                let sym = op.symbol();
                                return Err(self.err(
                                    Diagnostic::error(
                                        format!("{what} overflows: `{x} {sym} {y}` is too large"),
                                        span,
                                    )
                                    .with_note(format!(
                                        "note: integers lie in -{INT_LIMIT}..={INT_LIMIT} (±2^62)"
                                    )),
                                ));
                            };
                            lo = lo.min(r);
                            hi = hi.max(r);
                        }
                    }
                    if i128::from(hi) - i128::from(lo) >= i128::from(MAX_RANGE) {
                        return Err(self.err(Diagnostic::error(
                            format!(
                                "the result of {what} ranges over {lo}..={hi}, too many values"
                            ),
                            span,
                        )));
                    }
                    self.b.domain(Domain::range(lo, hi + 1))
                };
                let out_lo = if is_cmp {
                    0
                } else {
                    self.int_range(out).map_or(0, |r| r.0)
                };
                let r = self.b.apply_fn(op.symbol(), &[na, nb], out, move |v| {
                    let y = blo + v[1] as i64;
                    if y == 0 && matches!(op, BinOp::Div | BinOp::Rem) {
                        return 0;
                    }
                    // Every result was computed and range-checked above.
                    f(alo + v[0] as i64, y).map_or(0, |r| (r - out_lo) as u32)
                });
                Ok(Typed {
                    val: Val::Scalar(r),
                    ty: Ty::Scalar(out),
                })
            }
        }
    }

    /// Snapshot of every variable's value (for branching on runtime conditions).
    fn snapshot(&self) -> Vec<HashMap<String, Var>> {
        self.scopes.clone()
    }

    /// The path condition `base ∧ cond`.
    fn and_path(&mut self, base: Option<NodeId>, cond: NodeId) -> Option<NodeId> {
        let bd = self.bool_d;
        Some(match base {
            None => cond,
            Some(p) => self.b.apply_fn("and", &[p, cond], bd, |v| v[0] & v[1]),
        })
    }

    /// Runs each branch from the same starting environment under its own path condition, then
    /// merges variables with `mux(sel, ...)` (`which[v]` = the branch taken when sel = v).
    fn branches(
        &mut self,
        sel: NodeId,
        which: &[usize],
        conds: &[NodeId],
        bodies: &mut dyn FnMut(&mut Self, usize) -> R<Typed>,
        span: Span,
    ) -> R<Typed> {
        let start = self.snapshot();
        let saved_path = self.path;
        let mut envs = Vec::new();
        let mut results = Vec::new();
        let mut failed = false;
        for (k, &c) in conds.iter().enumerate() {
            self.scopes = start.clone();
            // Each branch's guard is the enclosing path and its own condition (not the
            // previous branch's guard and its own condition).
            self.path = self.and_path(saved_path, c);
            match bodies(self, k) {
                Ok(t) => results.push(Some(t)),
                Err(_) => {
                    failed = true;
                    results.push(None);
                }
            }
            envs.push(std::mem::take(&mut self.scopes));
        }
        self.path = saved_path;
        self.scopes = start;
        if failed {
            return Err(Reported);
        }
        // Merge every variable that exists in the starting environment.
        for depth in 0..self.scopes.len() {
            // Sorted: hash-map order would make the IR (and so answers and timings) differ from
            // run to run, breaking reproducibility.
            let mut names: Vec<String> = self.scopes[depth].keys().cloned().collect();
            names.sort_unstable();
            for name in names {
                let vals: Vec<Val> = envs.iter().map(|e| e[depth][&name].val.clone()).collect();
                if vals.iter().all(|v| v == &vals[0]) {
                    self.scopes[depth].get_mut(&name).expect("exists").val = vals[0].clone();
                    continue;
                }
                let cases: Vec<Val> = which.iter().map(|&k| vals[k].clone()).collect();
                let merged = self.mux_val(sel, &cases, span)?;
                if let Val::Scalar(n) = &merged {
                    self.b.name(*n, name.clone());
                }
                self.scopes[depth].get_mut(&name).expect("exists").val = merged;
            }
        }
        let results: Vec<Typed> = results
            .into_iter()
            .map(|r| r.expect("no failure"))
            .collect();
        if results.iter().all(|r| r.ty == Ty::Unit) {
            return Ok(Typed {
                val: Val::Unit,
                ty: Ty::Unit,
            });
        }
        let tys: Vec<(Ty, Span)> = results.iter().map(|r| (r.ty.clone(), span)).collect();
        if tys.iter().any(|(t, _)| *t == Ty::Unit) {
            return Err(self.err(
                Diagnostic::error("some branches produce a value and some do not", span)
                    .with_note("an `if` used as a value needs an `else`"),
            ));
        }
        let ty = self.unify(&tys)?;
        let mut vals = Vec::new();
        for r in results {
            vals.push(self.coerce(r, &ty, span)?);
        }
        let cases: Vec<Val> = which.iter().map(|&k| vals[k].clone()).collect();
        let val = self.mux_val(sel, &cases, span)?;
        Ok(Typed { val, ty })
    }

    fn if_expr(&mut self, c: &Expr, then: &Block, els: Option<&Expr>, span: Span) -> R<Typed> {
        let ct = self.expr(c)?;
        let cn = self.expect_bool(&ct, c.span)?;
        if let Some(v) = self.b.const_value(cn) {
            return if v == 1 {
                self.block(then)
            } else {
                match els {
                    Some(e) => self.expr(e),
                    None => Ok(Typed {
                        val: Val::Unit,
                        ty: Ty::Unit,
                    }),
                }
            };
        }
        let bd = self.bool_d;
        let not_c = self.b.apply_fn("not", &[cn], bd, |v| 1 - v[0]);
        // branch 0 = else (sel false), branch 1 = then (sel true)
        self.branches(
            cn,
            &[0, 1],
            &[not_c, cn],
            &mut |l: &mut Self, k| {
                if k == 1 {
                    l.block(then)
                } else {
                    match els {
                        Some(e) => l.expr(e),
                        None => Ok(Typed {
                            val: Val::Unit,
                            ty: Ty::Unit,
                        }),
                    }
                }
            },
            span,
        )
    }

    /// The value indices (of domain `d`) a pattern matches.
    fn pattern_values(&mut self, p: &ast::Pattern, d: DomainId) -> R<Vec<u32>> {
        let dom = self.domain(d).clone();
        let mismatch = |l: &mut Self, what: &str| {
            l.err(
                Diagnostic::error(
                    format!("this pattern is {what}, but the value has type `{dom}`"),
                    p.span,
                )
                .with_label("wrong kind of pattern"),
            )
        };
        match &p.kind {
            PatternKind::Wildcard => Ok((0..dom.size).collect()),
            PatternKind::Bool(v) => {
                if !dom.is_bool() {
                    return Err(mismatch(self, "a bool"));
                }
                Ok(vec![u32::from(*v)])
            }
            PatternKind::Int(x) => match dom.kind {
                DomainKind::Range { .. } => Ok(dom.index_of_int(*x).into_iter().collect()),
                _ => Err(mismatch(self, "an integer")),
            },
            PatternKind::Variant(en, v) => {
                let t = self.variant(en.as_ref(), &v.name, p.span)?;
                if t.ty != Ty::Scalar(d) {
                    return Err(mismatch(self, "an enum variant of another type"));
                }
                let Val::Scalar(n) = t.val else {
                    return Err(Reported);
                };
                Ok(self.b.const_value(n).into_iter().collect())
            }
        }
    }

    fn match_expr(&mut self, scrut: &Expr, arms: &[ast::MatchArm], span: Span) -> R<Typed> {
        let st = self.expr(scrut)?;
        let (sn, sd) = self.scalar_parts(&st, scrut.span, "`match`")?;
        let size = self.domain(sd).size;
        // Which arm handles each value.
        let mut owner: Vec<Option<usize>> = vec![None; size as usize];
        for (k, arm) in arms.iter().enumerate() {
            let mut useful = false;
            for p in &arm.patterns {
                for v in self.pattern_values(p, sd)? {
                    if owner[v as usize].is_none() {
                        owner[v as usize] = Some(k);
                        useful = true;
                    }
                }
            }
            if !useful {
                self.diags.push(
                    Diagnostic::warning("unreachable match arm", arm.span)
                        .with_label("never taken"),
                );
            }
        }
        let missing: Vec<String> = (0..size)
            .filter(|&v| owner[v as usize].is_none())
            .map(|v| self.domain(sd).show(v))
            .collect();
        if !missing.is_empty() {
            let shown: Vec<String> = missing.iter().take(5).cloned().collect();
            return Err(self.err(
                Diagnostic::error("non-exhaustive `match`", scrut.span)
                    .with_label(format!(
                        "not covered: {}{}",
                        shown.join(", "),
                        if missing.len() > 5 { ", ..." } else { "" }
                    ))
                    .with_note("add the missing patterns or a `_ => ...` arm"),
            ));
        }
        let owner: Vec<usize> = owner.into_iter().map(|o| o.expect("exhaustive")).collect();
        if let Some(v) = self.b.const_value(sn) {
            return self.expr(&arms[owner[v as usize]].body);
        }
        // Only the arms that some value reaches, renumbered.
        let mut used: Vec<usize> = owner.clone();
        used.sort_unstable();
        used.dedup();
        let which: Vec<usize> = owner
            .iter()
            .map(|o| used.iter().position(|u| u == o).expect("used"))
            .collect();
        let bd = self.bool_d;
        let mut conds = Vec::new();
        for &arm in &used {
            let hit: Vec<bool> = owner.iter().map(|&o| o == arm).collect();
            conds.push(
                self.b
                    .apply_fn("in arm", &[sn], bd, move |v| u32::from(hit[v[0] as usize])),
            );
        }
        self.branches(
            sn,
            &which,
            &conds,
            &mut |l: &mut Self, k| l.expr(&arms[used[k]].body),
            span,
        )
    }

    // ---------------------------------------------------------------- functions

    fn call(&mut self, f: &ast::Ident, args: &[Expr], span: Span) -> R<Typed> {
        let Some(info) = self.fns.get(&f.name) else {
            return Err(self.err(
                Diagnostic::error(format!("cannot find function `{}`", f.name), f.span)
                    .with_label("not declared"),
            ));
        };
        let (decl, ptys, ret) = (info.decl, info.params.clone(), info.ret.clone());
        if args.len() != ptys.len() {
            return Err(self.err(
                Diagnostic::error(
                    format!(
                        "`{}` takes {} argument(s) but {} were given",
                        f.name,
                        ptys.len(),
                        args.len()
                    ),
                    span,
                )
                .with_secondary(decl.name.span, "declared here"),
            ));
        }
        if self.call_stack.contains(&f.name) {
            return Err(self.err(
                Diagnostic::error(
                    format!("`{}` calls itself; functions may not be recursive", f.name),
                    f.span,
                )
                .with_label("recursive call"),
            ));
        }
        if self.call_stack.len() >= MAX_CALL_DEPTH {
            return Err(self.err(Diagnostic::error(
                "function calls nested too deeply",
                f.span,
            )));
        }
        let mut vals = Vec::new();
        let mut failed = false;
        for (a, t) in args.iter().zip(&ptys) {
            match self.expr(a) {
                Ok(v) => match self.coerce(v, t, a.span) {
                    Ok(v) => vals.push(v),
                    Err(_) => failed = true,
                },
                Err(_) => failed = true,
            }
        }
        if failed {
            return Err(Reported);
        }
        let all_scalar =
            ptys.iter().all(|t| matches!(t, Ty::Scalar(_))) && matches!(ret, Ty::Scalar(_));
        let all_const = vals
            .iter()
            .all(|v| matches!(v, Val::Scalar(n) if self.b.const_value(*n).is_some()));
        if !all_scalar || all_const {
            // Inline: arrays are passed as values; constant calls fold away.
            let val = self.inline(decl, &ptys, &ret, vals)?;
            return Ok(Typed { val, ty: ret });
        }
        let table = match self.fns[&f.name].table {
            Some(t) => t,
            None => {
                let t = self.tabulate(decl, &ptys, &ret, span)?;
                self.fns.get_mut(&f.name).expect("exists").table = Some(t);
                t
            }
        };
        let nodes: Vec<NodeId> = vals
            .iter()
            .map(|v| match v {
                Val::Scalar(n) => *n,
                _ => unreachable!("all scalar"),
            })
            .collect();
        let n = self.b.apply(table, &nodes);
        Ok(Typed {
            val: Val::Scalar(n),
            ty: ret,
        })
    }

    /// Lowers a function body with its arguments bound, in a fresh scope stack.
    fn inline(&mut self, decl: &ast::FnDecl, ptys: &[Ty], ret: &Ty, vals: Vec<Val>) -> R<Val> {
        let saved_scopes = std::mem::take(&mut self.scopes);
        let saved_path = self.path.take();
        self.scopes.push(HashMap::new());
        for ((p, t), v) in decl.params.iter().zip(ptys).zip(vals) {
            self.declare_local(
                &p.name,
                Var {
                    ty: t.clone(),
                    val: v,
                    span: p.name.span,
                    mutable: true,
                },
            );
        }
        self.call_stack.push(decl.name.name.clone());
        self.in_fn += 1;
        let r = self.block(&decl.body);
        self.in_fn -= 1;
        self.call_stack.pop();
        self.scopes = saved_scopes;
        self.path = saved_path;
        let t = r?;
        let span = decl.body.tail.as_ref().map_or(decl.body.span, |t| t.span);
        if t.ty == Ty::Unit {
            return Err(self.err(
                Diagnostic::error(
                    format!("`{}` must end with its result value", decl.name.name),
                    decl.body.span,
                )
                .with_label("no tail expression"),
            ));
        }
        self.coerce(t, ret, span)
    }

    /// Tabulates a scalar function over the product of its argument domains.
    fn tabulate(
        &mut self,
        decl: &ast::FnDecl,
        ptys: &[Ty],
        ret: &Ty,
        span: Span,
    ) -> R<weft_ir::TableId> {
        let doms: Vec<DomainId> = ptys
            .iter()
            .map(|t| match t {
                Ty::Scalar(d) => *d,
                _ => unreachable!("scalar"),
            })
            .collect();
        let Ty::Scalar(out) = ret else {
            unreachable!("scalar")
        };
        let sizes: Vec<u32> = doms.iter().map(|&d| self.domain(d).size).collect();
        let total = sizes
            .iter()
            .map(|&s| s as usize)
            .try_fold(1usize, |a, s| a.checked_mul(s));
        match total {
            Some(t) if t <= MAX_TABLE => {}
            _ => {
                return Err(self.err(
                    Diagnostic::error(
                        format!(
                            "`{}` would need a table of more than {MAX_TABLE} entries",
                            decl.name.name
                        ),
                        span,
                    )
                    .with_secondary(decl.name.span, "declared here")
                    .with_note("narrow its argument types"),
                ))
            }
        }
        let mut data = Vec::new();
        let mut failed = false;
        let mut idx = vec![0u32; sizes.len()];
        let total = total.unwrap_or(0);
        for _ in 0..total {
            let vals: Vec<Val> = doms
                .iter()
                .zip(&idx)
                .map(|(&d, &v)| Val::Scalar(self.b.constant(d, v)))
                .collect();
            match self.inline(decl, ptys, ret, vals) {
                Ok(Val::Scalar(n)) => match self.b.const_value(n) {
                    Some(v) => data.push(v),
                    None => {
                        failed = true;
                        break;
                    }
                },
                _ => {
                    failed = true;
                    break;
                }
            }
            for k in (0..sizes.len()).rev() {
                idx[k] += 1;
                if idx[k] < sizes[k] {
                    break;
                }
                idx[k] = 0;
            }
        }
        if failed {
            return Err(Reported);
        }
        Ok(self.b.table(decl.name.name.clone(), doms, *out, data))
    }
}

/// Array shape (outermost first) and scalar element domain of a type.
pub fn flatten_ty(t: &Ty) -> (Vec<u32>, DomainId) {
    match t {
        Ty::Scalar(d) => (Vec::new(), *d),
        Ty::Array(e, n) => {
            let (mut s, d) = flatten_ty(e);
            s.insert(0, *n);
            (s, d)
        }
        Ty::Unit => (Vec::new(), DomainId(0)),
    }
}

fn undef_of(t: &Ty) -> Val {
    match t {
        Ty::Array(e, n) => Val::Array(vec![undef_of(e); *n as usize]),
        _ => Val::Undef,
    }
}

fn build_array(shape: &[u32], items: &mut dyn Iterator<Item = Val>) -> Val {
    match shape.split_first() {
        None => items.next().unwrap_or(Val::Undef),
        Some((&n, rest)) => Val::Array((0..n).map(|_| build_array(rest, items)).collect()),
    }
}

fn flatten_val(v: &Val, out: &mut Vec<Val>) {
    match v {
        Val::Array(items) => items.iter().for_each(|i| flatten_val(i, out)),
        other => out.push(other.clone()),
    }
}

/// Row-major index path of flat position `flat` in `shape`.
pub fn unflatten(flat: usize, shape: &[u32]) -> Vec<u32> {
    let mut index = vec![0u32; shape.len()];
    let mut rest = flat;
    for (k, &dim) in shape.iter().enumerate().rev() {
        index[k] = (rest % dim as usize) as u32;
        rest /= dim as usize;
    }
    index
}

pub fn index_suffix(index: &[u32]) -> String {
    index.iter().map(|i| format!("[{i}]")).collect()
}
