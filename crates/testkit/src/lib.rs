//! Random well-formed weft sketches and a reference interpreter for them, shared by the
//! randomised tests of the front end (`weft-sketch`) and of the solvers (`weft-sat`).
//! Not published: a dev-dependency only.
//!
//! The generator builds a small AST of its own (the enums below) and tracks the type of every
//! expression as the language defines it (exact integer ranges, widened by `if`/`match`), so
//! that every sketch it prints is well formed. The same AST is printed as sketch text
//! ([`Printer`]) and interpreted directly ([`interpret`], written from `docs/language.md`):
//! nothing here calls weft.
//!
//! Deliberately not generated (the documentation leaves them open, or they are not lowering):
//! side effects on outer variables inside operands of operators, calls, array literals and
//! indexed assignments (the order they are evaluated in is not specified), assignments to a
//! `let` without a type (its type is inferred exactly, the generator's ranges are looser), and
//! `examples` blocks (not lowering).

use std::collections::HashMap;
use std::fmt::Write as _;

// ---------------------------------------------------------------- random numbers

pub struct Rng(pub u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // SplitMix64.
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0);
        (self.next() % n as u64) as usize
    }
    /// An integer in `lo..hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo) as usize) as i64
    }
    /// True with probability `num / den`.
    pub fn chance(&mut self, num: usize, den: usize) -> bool {
        self.below(den) < num
    }
}

// ---------------------------------------------------------------- the AST

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ty {
    Bool,
    /// The integers `lo..hi` (`hi` exclusive).
    Int(i64, i64),
    Enum(usize),
    Arr(Box<Ty>, usize),
}

/// A scalar kind wanted from an expression generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Bool,
    Int,
    Enum(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
    Xor,
}

#[derive(Clone, Debug)]
pub enum Pat {
    Wild,
    Bool(bool),
    Int(i64),
    Variant(usize, usize),
}

#[derive(Clone, Debug)]
pub enum Expr {
    Int(i64),
    /// A `param`, by index.
    Param(usize),
    Bool(bool),
    Variant(usize, usize),
    Var(String),
    Index(Box<Expr>, Box<Expr>),
    Slice(Box<Expr>, usize, usize),
    Array(Vec<Expr>),
    Repeat(Box<Expr>, usize),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Bin(Op, Box<Expr>, Box<Expr>),
    /// Condition, then-block, else (a `Block` or another `If`).
    If(Box<Expr>, Block, Option<Box<Expr>>),
    Match(Box<Expr>, Vec<(Vec<Pat>, Expr)>),
    Block(Block),
    Call(usize, Vec<Expr>),
}

#[derive(Clone, Debug, Default)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub tail: Option<Box<Expr>>,
}

#[derive(Clone, Debug)]
pub enum Stmt {
    Let(String, Option<Ty>, Expr),
    Assign(String, Vec<Expr>, Expr),
    /// `for v in lo..hi`: bounds are compile-time (literals, params, enclosing loop variables).
    For(String, Expr, Expr, Block),
    /// A statement-level `if`, `match` or block.
    Expr(Expr),
    Observe(Expr),
    Cost(Expr),
}

pub struct FnDef {
    pub params: Vec<(String, Ty)>,
    pub ret: Ty,
    pub body: Block,
}

pub enum Outputs {
    Named(Vec<(String, Ty)>),
    Single(Ty),
}

pub struct Program {
    pub params: Vec<(String, i64)>,
    /// Variant count of each enum `E{i}`.
    pub enums: Vec<usize>,
    pub holes: Vec<(String, Ty)>,
    pub fns: Vec<FnDef>,
    pub inputs: Vec<(String, Ty)>,
    pub outputs: Outputs,
    pub body: Block,
}

fn variant_name(p_enums: &[usize], e: usize, k: usize) -> String {
    // The last variant of every enum is `Z`: ambiguous when there are several enums.
    if k + 1 == p_enums[e] {
        "Z".to_string()
    } else {
        format!("{}{e}", ["A", "B", "C", "D"][k])
    }
}

// ---------------------------------------------------------------- integer semantics

/// `/` rounds toward negative infinity, `%` is Euclidean (docs/language.md).
fn arith(op: Op, x: i64, y: i64) -> i64 {
    match op {
        Op::Add => x + y,
        Op::Sub => x - y,
        Op::Mul => x * y,
        Op::Div => (x as f64 / y as f64).floor() as i64,
        Op::Rem => {
            let r = x % y;
            if r < 0 {
                r + y.abs()
            } else {
                r
            }
        }
        _ => unreachable!("not arithmetic"),
    }
}

/// The exact range of `a op b` over all operand values (the language's typing rule).
fn op_range(op: Op, a: (i64, i64), b: (i64, i64)) -> (i64, i64) {
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for x in a.0..a.1 {
        for y in b.0..b.1 {
            if matches!(op, Op::Div | Op::Rem) && y == 0 {
                continue;
            }
            let r = arith(op, x, y);
            lo = lo.min(r);
            hi = hi.max(r);
        }
    }
    (lo, hi + 1)
}

fn fits(src: &Ty, dst: &Ty) -> bool {
    match (src, dst) {
        (Ty::Int(a, b), Ty::Int(c, d)) => c <= a && b <= d,
        (Ty::Arr(e, n), Ty::Arr(f, m)) => n == m && fits(e, f),
        _ => src == dst,
    }
}

fn join(a: &Ty, b: &Ty) -> Ty {
    match (a, b) {
        (Ty::Int(a0, a1), Ty::Int(b0, b1)) => Ty::Int(*a0.min(b0), *a1.max(b1)),
        (Ty::Arr(e, n), Ty::Arr(f, m)) if n == m => Ty::Arr(Box::new(join(e, f)), *n),
        _ => {
            assert_eq!(a, b, "joined types differ");
            a.clone()
        }
    }
}

fn kind_of(t: &Ty) -> Option<Kind> {
    match t {
        Ty::Bool => Some(Kind::Bool),
        Ty::Int(..) => Some(Kind::Int),
        Ty::Enum(e) => Some(Kind::Enum(*e)),
        Ty::Arr(..) => None,
    }
}

fn int_range(t: &Ty) -> (i64, i64) {
    match t {
        Ty::Int(a, b) => (*a, *b),
        _ => panic!("not an integer type: {t:?}"),
    }
}

// ---------------------------------------------------------------- the generator

#[derive(Clone)]
struct VarInfo {
    name: String,
    ty: Ty,
    mutable: bool,
}

struct Gen<'r> {
    rng: &'r mut Rng,
    params: Vec<(String, i64)>,
    enums: Vec<usize>,
    holes: Vec<(String, Ty)>,
    /// Signatures of the functions generated so far (callable by later code).
    fn_sigs: Vec<(Vec<Ty>, Ty)>,
    scopes: Vec<Vec<VarInfo>>,
    /// Only variables in `scopes[assign_floor..]` may be assigned (expression blocks must not
    /// assign outer variables: the order operands are evaluated in is unspecified).
    assign_floor: usize,
    in_fn: bool,
    /// The expression about to be generated is in a position evaluated on its own (a `let`
    /// value, a condition, ...): its blocks may assign outer variables. Every generator
    /// takes (and so clears) it on entry.
    effects: bool,
    fresh: usize,
    /// Statements still allowed (keeps sketches small).
    budget: usize,
}

impl Gen<'_> {
    fn name(&mut self, prefix: &str) -> String {
        self.fresh += 1;
        format!("{prefix}{}", self.fresh)
    }

    /// The visible variables (shadowed ones left out), holes included outside functions.
    fn visible(&self) -> Vec<(VarInfo, usize)> {
        let mut seen: Vec<(VarInfo, usize)> = Vec::new();
        for (depth, scope) in self.scopes.iter().enumerate().rev() {
            for v in scope.iter().rev() {
                if !seen.iter().any(|(s, _)| s.name == v.name) {
                    seen.push((v.clone(), depth));
                }
            }
        }
        if !self.in_fn {
            for (n, t) in &self.holes {
                if !seen.iter().any(|(s, _)| &s.name == n) {
                    seen.push((
                        VarInfo {
                            name: n.clone(),
                            ty: t.clone(),
                            mutable: false,
                        },
                        0,
                    ));
                }
            }
        }
        seen
    }

    fn declare(&mut self, name: String, ty: Ty, mutable: bool) {
        self.scopes
            .last_mut()
            .expect("a scope")
            .push(VarInfo { name, ty, mutable });
    }

    fn random_scalar_ty(&mut self) -> Ty {
        match self.rng.below(5) {
            0 | 1 => Ty::Bool,
            2 if !self.enums.is_empty() => Ty::Enum(self.rng.below(self.enums.len())),
            _ => {
                let lo = self.rng.range(-2, 2);
                let width = if self.rng.chance(1, 8) {
                    1
                } else {
                    self.rng.range(2, 5)
                };
                Ty::Int(lo, lo + width)
            }
        }
    }

    fn random_ty(&mut self) -> Ty {
        let s = self.random_scalar_ty();
        match self.rng.below(6) {
            0 | 1 => Ty::Arr(Box::new(s), self.rng.range(1, 4) as usize),
            2 => Ty::Arr(
                Box::new(Ty::Arr(Box::new(s), self.rng.range(1, 3) as usize)),
                self.rng.range(1, 3) as usize,
            ),
            _ => s,
        }
    }

    /// An index into an array of length `len`: a constant or a runtime value wrapped into range.
    fn gen_index(&mut self, len: usize, depth: u32) -> Expr {
        if depth == 0 || self.rng.chance(1, 3) {
            return Expr::Int(self.rng.range(0, len as i64));
        }
        let (e, r) = self.gen_int(depth - 1);
        if r.0 >= 0 && r.1 <= len as i64 {
            e
        } else {
            Expr::Bin(Op::Rem, Box::new(e), Box::new(Expr::Int(len as i64)))
        }
    }

    /// Reads `name` through `levels` indices.
    fn read_path(&mut self, name: &str, ty: &Ty, levels: usize, depth: u32) -> (Expr, Ty) {
        let mut e = Expr::Var(name.to_string());
        let mut t = ty.clone();
        for _ in 0..levels {
            let Ty::Arr(elem, len) = t else {
                unreachable!()
            };
            let i = self.gen_index(len, depth);
            e = Expr::Index(Box::new(e), Box::new(i));
            t = *elem;
        }
        (e, t)
    }

    /// A read of a visible variable (maybe through indices) whose type satisfies `ok`.
    fn gen_read(&mut self, ok: &dyn Fn(&Ty) -> bool, depth: u32) -> Option<(Expr, Ty)> {
        let mut cands = Vec::new();
        for (v, _) in self.visible() {
            let mut t = v.ty.clone();
            let mut levels = 0;
            loop {
                if ok(&t) {
                    cands.push((v.name.clone(), v.ty.clone(), levels));
                }
                match t {
                    Ty::Arr(e, _) => {
                        t = *e;
                        levels += 1;
                    }
                    _ => break,
                }
            }
        }
        if cands.is_empty() {
            return None;
        }
        let (n, t, l) = cands[self.rng.below(cands.len())].clone();
        Some(self.read_path(&n, &t, l, depth))
    }

    fn gen_kind(&mut self, k: Kind, depth: u32) -> (Expr, Ty) {
        match k {
            Kind::Bool => (self.gen_bool(depth), Ty::Bool),
            Kind::Int => {
                let (e, r) = self.gen_int(depth);
                (e, Ty::Int(r.0, r.1))
            }
            Kind::Enum(en) => (self.gen_enum(en, depth), Ty::Enum(en)),
        }
    }

    fn random_kind(&mut self) -> Kind {
        match self.rng.below(5) {
            0 | 1 => Kind::Bool,
            2 if !self.enums.is_empty() => Kind::Enum(self.rng.below(self.enums.len())),
            _ => Kind::Int,
        }
    }

    /// An integer expression and its range, kept narrow (wrapped with `%` when wide).
    fn gen_int(&mut self, depth: u32) -> (Expr, (i64, i64)) {
        let (e, r) = self.gen_int_raw(depth);
        if r.1 - r.0 > 12 || r.0 < -12 || r.1 > 13 {
            let k = self.rng.range(2, 7);
            let r2 = op_range(Op::Rem, r, (k, k + 1));
            return (Expr::Bin(Op::Rem, Box::new(e), Box::new(Expr::Int(k))), r2);
        }
        (e, r)
    }

    fn gen_int_raw(&mut self, depth: u32) -> (Expr, (i64, i64)) {
        let eff = std::mem::take(&mut self.effects);
        let choice = if depth == 0 {
            [0, 0, 1, 2, 2, 2, 2, 2][self.rng.below(8)]
        } else {
            self.rng.below(16)
        };
        match choice {
            0 => {
                let c = self.rng.range(-3, 6);
                (Expr::Int(c), (c, c + 1))
            }
            1 if !self.params.is_empty() => {
                let k = self.rng.below(self.params.len());
                let v = self.params[k].1;
                (Expr::Param(k), (v, v + 1))
            }
            3 => {
                let (e, r) = self.gen_int(depth - 1);
                (Expr::Neg(Box::new(e)), (1 - r.1, 1 - r.0))
            }
            4..=7 => {
                let op = [Op::Add, Op::Sub, Op::Mul, Op::Div, Op::Rem][self.rng.below(5)];
                let (a, ra) = self.gen_int(depth - 1);
                let (mut b, mut rb) = self.gen_int(depth - 1);
                if matches!(op, Op::Div | Op::Rem) && rb.0 <= 0 && 0 < rb.1 {
                    if self.rng.chance(1, 2) {
                        let c = [-3, -2, -1, 1, 2, 3][self.rng.below(6)];
                        (b, rb) = (Expr::Int(c), (c, c + 1));
                    } else {
                        let k = self.rng.range(1, 4);
                        let m = op_range(Op::Rem, rb, (k, k + 1));
                        rb = op_range(Op::Add, m, (1, 2));
                        b = Expr::Bin(
                            Op::Add,
                            Box::new(Expr::Bin(Op::Rem, Box::new(b), Box::new(Expr::Int(k)))),
                            Box::new(Expr::Int(1)),
                        );
                    }
                }
                let r = op_range(op, ra, rb);
                (Expr::Bin(op, Box::new(a), Box::new(b)), r)
            }
            8 | 9 => {
                self.effects = eff;
                let (e, t) = self.gen_if_value(Kind::Int, depth);
                (e, int_range(&t))
            }
            10 => {
                self.effects = eff;
                let (e, t) = self.gen_match_value(Kind::Int, depth);
                (e, int_range(&t))
            }
            11 => match self.gen_call(Kind::Int, depth) {
                Some((e, t)) => (e, int_range(&t)),
                None => self.gen_int_raw(0),
            },
            12 => {
                self.effects = eff;
                let (e, t) = self.gen_block_value(Kind::Int, depth);
                (e, int_range(&t))
            }
            15 => {
                let (e, t) = self.gen_index_any(Kind::Int, depth);
                (e, int_range(&t))
            }
            _ => match self.gen_read(&|t| matches!(t, Ty::Int(..)), depth) {
                Some((e, t)) => (e, int_range(&t)),
                None => {
                    let c = self.rng.range(-3, 6);
                    (Expr::Int(c), (c, c + 1))
                }
            },
        }
    }

    fn gen_bool(&mut self, depth: u32) -> Expr {
        let eff = std::mem::take(&mut self.effects);
        let choice = if depth == 0 {
            usize::from(!self.rng.chance(1, 6))
        } else {
            self.rng.below(17)
        };
        match choice {
            0 => Expr::Bool(self.rng.chance(1, 2)),
            3..=5 => {
                let op = [Op::Lt, Op::Le, Op::Gt, Op::Ge, Op::Eq, Op::Ne][self.rng.below(6)];
                let (a, _) = self.gen_int(depth - 1);
                let (b, _) = self.gen_int(depth - 1);
                Expr::Bin(op, Box::new(a), Box::new(b))
            }
            6 if !self.enums.is_empty() => {
                let en = self.rng.below(self.enums.len());
                let op = [Op::Eq, Op::Ne][self.rng.below(2)];
                let a = self.gen_enum(en, depth - 1);
                let b = self.gen_enum(en, depth - 1);
                Expr::Bin(op, Box::new(a), Box::new(b))
            }
            7 => Expr::Not(Box::new(self.gen_bool(depth - 1))),
            8 | 9 => {
                let op = [Op::And, Op::Or, Op::Xor, Op::Eq, Op::Ne][self.rng.below(5)];
                let a = self.gen_bool(depth - 1);
                let b = self.gen_bool(depth - 1);
                Expr::Bin(op, Box::new(a), Box::new(b))
            }
            10 => {
                self.effects = eff;
                self.gen_if_value(Kind::Bool, depth).0
            }
            11 => {
                self.effects = eff;
                self.gen_match_value(Kind::Bool, depth).0
            }
            12 => match self.gen_call(Kind::Bool, depth) {
                Some((e, _)) => e,
                None => self.gen_bool(0),
            },
            13 => {
                self.effects = eff;
                self.gen_block_value(Kind::Bool, depth).0
            }
            16 => self.gen_index_any(Kind::Bool, depth).0,
            _ => match self.gen_read(&|t| *t == Ty::Bool, depth) {
                Some((e, _)) => e,
                None => Expr::Bool(self.rng.chance(1, 2)),
            },
        }
    }

    fn gen_enum(&mut self, en: usize, depth: u32) -> Expr {
        let eff = std::mem::take(&mut self.effects);
        let choice = if depth == 0 {
            self.rng.below(2)
        } else {
            self.rng.below(9)
        };
        match choice {
            0 => Expr::Variant(en, self.rng.below(self.enums[en])),
            5 => self.gen_index_any(Kind::Enum(en), depth).0,
            2 => {
                self.effects = eff;
                self.gen_if_value(Kind::Enum(en), depth).0
            }
            3 => {
                self.effects = eff;
                self.gen_match_value(Kind::Enum(en), depth).0
            }
            4 => match self.gen_call(Kind::Enum(en), depth) {
                Some((e, _)) => e,
                None => self.gen_enum(en, 0),
            },
            _ => match self.gen_read(&|t| *t == Ty::Enum(en), depth) {
                Some((e, _)) => e,
                None => Expr::Variant(en, self.rng.below(self.enums[en])),
            },
        }
    }

    /// An array expression (one dimension) whose elements have kind `k`.
    fn gen_array(&mut self, k: Kind, depth: u32) -> (Expr, Ty) {
        let n = self.rng.range(1, 4) as usize;
        match self.rng.below(6) {
            0 => {
                let ok = move |t: &Ty| matches!(t, Ty::Arr(e, _) if kind_of(e) == Some(k));
                if let Some(r) = self.gen_read(&ok, depth) {
                    return r;
                }
            }
            1 if depth > 0 => {
                let cands: Vec<usize> = (0..self.fn_sigs.len())
                    .filter(
                        |&f| matches!(&self.fn_sigs[f].1, Ty::Arr(e, _) if kind_of(e) == Some(k)),
                    )
                    .collect();
                if !cands.is_empty() {
                    let f = cands[self.rng.below(cands.len())];
                    let (ptys, ret) = self.fn_sigs[f].clone();
                    let args = ptys.iter().map(|t| self.gen_fit(t, depth - 1)).collect();
                    return (Expr::Call(f, args), ret);
                }
            }
            2 if depth > 0 => {
                let cond = self.gen_bool(depth - 1);
                let (a, t) = self.gen_array(k, depth - 1);
                self.scopes.push(Vec::new());
                let stmts = self.expr_block_stmts(depth - 1, false);
                let b = self.gen_fit(&t, depth - 1);
                self.scopes.pop();
                let then = Block {
                    stmts: Vec::new(),
                    tail: Some(Box::new(a)),
                };
                let els = Expr::Block(Block {
                    stmts,
                    tail: Some(Box::new(b)),
                });
                return (Expr::If(Box::new(cond), then, Some(Box::new(els))), t);
            }
            3 => {
                let (e, t) = self.gen_kind(k, depth.saturating_sub(1));
                return (Expr::Repeat(Box::new(e), n), Ty::Arr(Box::new(t), n));
            }
            _ => {}
        }
        let (first, mut t) = self.gen_kind(k, depth.saturating_sub(1));
        let mut items = vec![first];
        for _ in 1..n {
            let (e, u) = self.gen_kind(k, depth.saturating_sub(1));
            t = join(&t, &u);
            items.push(e);
        }
        (Expr::Array(items), Ty::Arr(Box::new(t), n))
    }

    /// `array[i]` for an array expression that is not a variable.
    fn gen_index_any(&mut self, k: Kind, depth: u32) -> (Expr, Ty) {
        let (a, t) = self.gen_array(k, depth - 1);
        let Ty::Arr(elem, len) = t else {
            unreachable!("an array")
        };
        let i = self.gen_index(len, depth - 1);
        (Expr::Index(Box::new(a), Box::new(i)), *elem)
    }

    /// Statements of an expression block: no assignments to outer variables unless the
    /// block is evaluated on its own (`effects`).
    fn expr_block_stmts(&mut self, depth: u32, effects: bool) -> Vec<Stmt> {
        let saved = self.assign_floor;
        if !effects {
            self.assign_floor = self.scopes.len() - 1;
        }
        let n = if depth > 0 && self.rng.chance(1, 2) {
            self.rng.below(3)
        } else {
            0
        };
        let stmts = self.gen_stmts(n, depth.saturating_sub(1));
        self.assign_floor = saved;
        stmts
    }

    /// A block `{ stmts; tail }` whose tail has kind `k`, in its own scope.
    fn gen_value_block(&mut self, k: Kind, depth: u32) -> (Block, Ty) {
        let eff = std::mem::take(&mut self.effects);
        self.scopes.push(Vec::new());
        let stmts = self.expr_block_stmts(depth, eff);
        self.effects = eff;
        let (tail, t) = self.gen_kind(k, depth.saturating_sub(1));
        self.scopes.pop();
        (
            Block {
                stmts,
                tail: Some(Box::new(tail)),
            },
            t,
        )
    }

    fn gen_block_value(&mut self, k: Kind, depth: u32) -> (Expr, Ty) {
        let (b, t) = self.gen_value_block(k, depth);
        (Expr::Block(b), t)
    }

    /// `if c { .. } else if d { .. } else { .. }` with a value of kind `k`.
    fn gen_if_value(&mut self, k: Kind, depth: u32) -> (Expr, Ty) {
        let eff = std::mem::take(&mut self.effects);
        self.effects = eff;
        let cond = self.gen_bool(depth - 1);
        self.effects = eff;
        let (then, t1) = self.gen_value_block(k, depth - 1);
        self.effects = eff;
        let (els, t2) = if depth > 1 && self.rng.chance(1, 3) {
            self.gen_if_value(k, depth - 1)
        } else {
            self.gen_block_value(k, depth - 1)
        };
        (
            Expr::If(Box::new(cond), then, Some(Box::new(els))),
            join(&t1, &t2),
        )
    }

    /// A scrutinee and exhaustive arm patterns (arm bodies are the caller's).
    fn gen_match_head(&mut self, depth: u32) -> (Expr, Vec<Vec<Pat>>) {
        let d = depth - 1;
        let mut arms: Vec<Vec<Pat>> = Vec::new();
        let pick = self.rng.below(3);
        let scrut = if pick == 0 && !self.enums.is_empty() {
            let en = self.rng.below(self.enums.len());
            let s = self.gen_enum(en, d);
            let n = self.enums[en];
            let mut order: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                order.swap(i, self.rng.below(i + 1));
            }
            let covered = self.rng.range(1, n as i64 + 1) as usize;
            let mut i = 0;
            while i < covered {
                let take = self.rng.range(1, 3).min((covered - i) as i64) as usize;
                arms.push(
                    order[i..i + take]
                        .iter()
                        .map(|&v| Pat::Variant(en, v))
                        .collect(),
                );
                i += take;
            }
            if covered < n || self.rng.chance(1, 4) {
                arms.push(vec![Pat::Wild]);
            }
            s
        } else if pick == 1 {
            let s = self.gen_bool(d);
            match self.rng.below(3) {
                0 => arms.extend([vec![Pat::Bool(true)], vec![Pat::Bool(false)]]),
                1 => arms.extend([vec![Pat::Bool(false)], vec![Pat::Wild]]),
                _ => arms.push(vec![Pat::Bool(true), Pat::Bool(false)]),
            }
            s
        } else {
            let (s, r) = self.gen_int(d);
            let n_arms = self.rng.range(1, 4);
            for _ in 0..n_arms {
                let mut pats = vec![Pat::Int(self.rng.range(r.0 - 1, r.1 + 1))];
                if self.rng.chance(1, 3) {
                    pats.push(Pat::Int(self.rng.range(r.0, r.1)));
                }
                arms.push(pats);
            }
            arms.push(vec![Pat::Wild]);
            s
        };
        (scrut, arms)
    }

    fn gen_match_value(&mut self, k: Kind, depth: u32) -> (Expr, Ty) {
        let eff = std::mem::take(&mut self.effects);
        self.effects = eff;
        let (scrut, heads) = self.gen_match_head(depth);
        let mut arms = Vec::new();
        let mut ty: Option<Ty> = None;
        for pats in heads {
            self.effects = eff;
            let (body, t) = if self.rng.chance(1, 2) {
                self.gen_kind(k, depth - 1)
            } else {
                self.gen_block_value(k, depth - 1)
            };
            ty = Some(match ty {
                None => t,
                Some(u) => join(&u, &t),
            });
            arms.push((pats, body));
        }
        (Expr::Match(Box::new(scrut), arms), ty.expect("an arm"))
    }

    fn gen_call(&mut self, k: Kind, depth: u32) -> Option<(Expr, Ty)> {
        let cands: Vec<usize> = (0..self.fn_sigs.len())
            .filter(|&f| kind_of(&self.fn_sigs[f].1) == Some(k))
            .collect();
        if cands.is_empty() || depth == 0 {
            return None;
        }
        let f = cands[self.rng.below(cands.len())];
        let (ptys, ret) = self.fn_sigs[f].clone();
        let args = ptys.iter().map(|t| self.gen_fit(t, depth - 1)).collect();
        Some((Expr::Call(f, args), ret))
    }

    /// An expression whose type fits `ty` (can be stored in a place of type `ty`).
    fn gen_fit(&mut self, ty: &Ty, depth: u32) -> Expr {
        let eff = std::mem::take(&mut self.effects);
        match ty {
            Ty::Bool => {
                self.effects = eff;
                self.gen_bool(depth)
            }
            Ty::Enum(e) => {
                self.effects = eff;
                self.gen_enum(*e, depth)
            }
            Ty::Int(lo, hi) => {
                if self.rng.chance(1, 5) {
                    return Expr::Int(self.rng.range(*lo, *hi));
                }
                self.effects = eff;
                let (e, r) = self.gen_int(depth);
                if *lo <= r.0 && r.1 <= *hi {
                    return e;
                }
                if *lo == 0 {
                    return Expr::Bin(Op::Rem, Box::new(e), Box::new(Expr::Int(*hi)));
                }
                let shifted = Expr::Bin(Op::Sub, Box::new(e), Box::new(Expr::Int(*lo)));
                let wrapped = Expr::Bin(Op::Rem, Box::new(shifted), Box::new(Expr::Int(hi - lo)));
                Expr::Bin(Op::Add, Box::new(wrapped), Box::new(Expr::Int(*lo)))
            }
            Ty::Arr(elem, n) => {
                let target = ty.clone();
                match self.rng.below(7) {
                    0 | 1 => {
                        if let Some((e, _)) = self.gen_read(&|t| fits(t, &target), depth) {
                            return e;
                        }
                    }
                    2 => {
                        // A slice of a longer array variable.
                        let cands: Vec<(String, usize)> = self
                            .visible()
                            .into_iter()
                            .filter_map(|(v, _)| match &v.ty {
                                Ty::Arr(e, m) if *m >= *n && fits(e, elem) => Some((v.name, *m)),
                                _ => None,
                            })
                            .collect();
                        if !cands.is_empty() {
                            let (name, m) = cands[self.rng.below(cands.len())].clone();
                            let lo = self.rng.below(m - n + 1);
                            return Expr::Slice(Box::new(Expr::Var(name)), lo, lo + n);
                        }
                    }
                    3 if depth > 0 => {
                        self.effects = eff;
                        let cond = self.gen_bool(depth - 1);
                        self.scopes.push(Vec::new());
                        let stmts = self.expr_block_stmts(depth - 1, eff);
                        let a = self.gen_fit(ty, depth - 1);
                        self.scopes.pop();
                        let b = self.gen_fit(ty, depth - 1);
                        return Expr::If(
                            Box::new(cond),
                            Block {
                                stmts,
                                tail: Some(Box::new(a)),
                            },
                            Some(Box::new(Expr::Block(Block {
                                stmts: Vec::new(),
                                tail: Some(Box::new(b)),
                            }))),
                        );
                    }
                    4 => return Expr::Repeat(Box::new(self.gen_fit(elem, depth)), *n),
                    5 if depth > 0 => {
                        let cands: Vec<usize> = (0..self.fn_sigs.len())
                            .filter(|&f| fits(&self.fn_sigs[f].1, &target))
                            .collect();
                        if !cands.is_empty() {
                            let f = cands[self.rng.below(cands.len())];
                            let ptys = self.fn_sigs[f].0.clone();
                            let args = ptys.iter().map(|t| self.gen_fit(t, depth - 1)).collect();
                            return Expr::Call(f, args);
                        }
                    }
                    _ => {}
                }
                Expr::Array((0..*n).map(|_| self.gen_fit(elem, depth)).collect())
            }
        }
    }

    fn gen_stmts(&mut self, n: usize, depth: u32) -> Vec<Stmt> {
        let mut out = Vec::new();
        for _ in 0..n {
            if self.budget == 0 {
                break;
            }
            self.budget -= 1;
            out.push(self.gen_stmt(depth));
        }
        out
    }

    /// A block statement body in its own scope.
    fn gen_stmt_block(&mut self, depth: u32) -> Block {
        self.scopes.push(Vec::new());
        let n = self.rng.range(1, 4) as usize;
        let stmts = self.gen_stmts(n, depth);
        self.scopes.pop();
        Block { stmts, tail: None }
    }

    fn gen_stmt(&mut self, depth: u32) -> Stmt {
        let choice = if depth == 0 {
            self.rng.below(7)
        } else {
            self.rng.below(13)
        };
        match choice {
            0 | 1 => {
                // `let x: T = e;` (assignable later).
                let ty = self.random_ty();
                self.effects = true;
                let e = self.gen_fit(&ty, depth.min(2));
                let name = self.local_name();
                self.declare(name.clone(), ty.clone(), true);
                Stmt::Let(name, Some(ty), e)
            }
            2 => {
                // `let x = e;` (its exact type is weft's business: read only).
                let k = self.random_kind();
                self.effects = true;
                let (e, t) = self.gen_kind(k, depth.min(2));
                let name = self.local_name();
                self.declare(name.clone(), t, false);
                Stmt::Let(name, None, e)
            }
            3 | 4 => {
                if let Some(s) = self.gen_assign(depth) {
                    return s;
                }
                self.gen_observe_or_cost(depth)
            }
            5 | 6 => self.gen_observe_or_cost(depth),
            7 | 8 => {
                self.effects = true;
                let cond = self.gen_bool(depth - 1);
                let then = self.gen_stmt_block(depth - 1);
                let els = match self.rng.below(3) {
                    0 => None,
                    1 => Some(Box::new(Expr::Block(self.gen_stmt_block(depth - 1)))),
                    _ => Some(Box::new(self.gen_if_stmt_chain(depth - 1))),
                };
                Stmt::Expr(Expr::If(Box::new(cond), then, els))
            }
            9 => {
                self.effects = true;
                let (scrut, heads) = self.gen_match_head(depth);
                let arms = heads
                    .into_iter()
                    .map(|p| (p, Expr::Block(self.gen_stmt_block(depth - 1))))
                    .collect();
                Stmt::Expr(Expr::Match(Box::new(scrut), arms))
            }
            10 | 11 => {
                let (lo, lr) = self.gen_bound();
                let (hi, hr) = if self.rng.chance(1, 2) {
                    self.gen_bound()
                } else {
                    let c = self.rng.range(0, 4);
                    let e = Expr::Bin(Op::Add, Box::new(lo.clone()), Box::new(Expr::Int(c)));
                    (e, (lr.0 + c, lr.1 + c))
                };
                let var = self.name("i");
                self.scopes.push(vec![VarInfo {
                    name: var.clone(),
                    ty: Ty::Int(lr.0, (hr.1 - 1).max(lr.0 + 1)),
                    mutable: false,
                }]);
                let body = self.gen_stmt_block(depth - 1);
                self.scopes.pop();
                Stmt::For(var, lo, hi, body)
            }
            _ => Stmt::Expr(Expr::Block(self.gen_stmt_block(depth - 1))),
        }
    }

    /// A loop bound: a literal, a param, or an enclosing loop variable plus a constant.
    fn gen_bound(&mut self) -> (Expr, (i64, i64)) {
        let loops: Vec<(String, (i64, i64))> = self
            .visible()
            .into_iter()
            .filter(|(v, _)| v.name.starts_with('i'))
            .map(|(v, _)| (v.name, int_range(&v.ty)))
            .collect();
        match self.rng.below(4) {
            0 | 1 if !loops.is_empty() => {
                let (n, r) = loops[self.rng.below(loops.len())].clone();
                let c = self.rng.range(-1, 2);
                if c == 0 {
                    (Expr::Var(n), r)
                } else {
                    let e = Expr::Bin(Op::Add, Box::new(Expr::Var(n)), Box::new(Expr::Int(c)));
                    (e, (r.0 + c, r.1 + c))
                }
            }
            2 if !self.params.is_empty() => {
                let k = self.rng.below(self.params.len());
                let v = self.params[k].1;
                (Expr::Param(k), (v, v + 1))
            }
            _ => {
                let c = self.rng.range(-1, 3);
                (Expr::Int(c), (c, c + 1))
            }
        }
    }

    fn gen_if_stmt_chain(&mut self, depth: u32) -> Expr {
        let cond = self.gen_bool(depth.saturating_sub(1));
        let then = self.gen_stmt_block(depth.saturating_sub(1));
        let els = if self.rng.chance(1, 2) {
            Some(Box::new(Expr::Block(
                self.gen_stmt_block(depth.saturating_sub(1)),
            )))
        } else {
            None
        };
        Expr::If(Box::new(cond), then, els)
    }

    fn local_name(&mut self) -> String {
        // Sometimes shadow a visible local, input or output (never a hole or loop variable).
        if self.rng.chance(1, 6) {
            let locals: Vec<String> = self
                .visible()
                .into_iter()
                .filter(|(v, _)| matches!(v.name.as_bytes()[0], b'v' | b'x' | b'o'))
                .map(|(v, _)| v.name)
                .collect();
            if !locals.is_empty() {
                return locals[self.rng.below(locals.len())].clone();
            }
        }
        self.name("v")
    }

    fn gen_observe_or_cost(&mut self, depth: u32) -> Stmt {
        if self.in_fn {
            // Functions may not observe or cost: a harmless `let` instead.
            let e = self.gen_bool(depth.min(2));
            let name = self.name("v");
            self.declare(name.clone(), Ty::Bool, false);
            return Stmt::Let(name, None, e);
        }
        self.effects = true;
        if self.rng.chance(1, 2) {
            Stmt::Observe(self.gen_bool(depth.min(3)))
        } else if self.rng.chance(1, 3) {
            Stmt::Cost(self.gen_bool(depth.min(3)))
        } else {
            Stmt::Cost(self.gen_int(depth.min(3)).0)
        }
    }

    fn gen_assign(&mut self, depth: u32) -> Option<Stmt> {
        let cands: Vec<VarInfo> = self
            .visible()
            .into_iter()
            .filter(|(v, d)| v.mutable && *d >= self.assign_floor)
            .map(|(v, _)| v)
            .collect();
        if cands.is_empty() {
            return None;
        }
        let v = cands[self.rng.below(cands.len())].clone();
        let mut t = v.ty.clone();
        let mut idx = Vec::new();
        while let Ty::Arr(elem, len) = t.clone() {
            if !self.rng.chance(2, 3) {
                break;
            }
            idx.push(self.gen_index(len, depth.min(2)));
            t = *elem;
        }
        // `x[i] = e` evaluates `e` and `i` in an unspecified order: effects only in `x = e`.
        self.effects = idx.is_empty();
        let e = self.gen_fit(&t, depth.min(2));
        Some(Stmt::Assign(v.name, idx, e))
    }
}

/// Variables for a scope of parameters or inputs, all assignable.
fn mutable_vars(vars: &[(String, Ty)]) -> Vec<VarInfo> {
    vars.iter()
        .map(|(n, t)| VarInfo {
            name: n.clone(),
            ty: t.clone(),
            mutable: true,
        })
        .collect()
}

/// The random sketch of one seed, as every randomised test draws it.
pub struct Seeded {
    /// The generator's random state after the program: what the test draws next (hole
    /// values, inputs, examples) comes from it.
    pub rng: Rng,
    pub p: Program,
    /// The program printed as a sketch.
    pub text: String,
}

/// The program of `seed` and its text (printed with its own random layout).
pub fn seeded(seed: u64) -> Seeded {
    let mut rng = Rng(seed);
    let p = generate(&mut rng);
    let text = Printer {
        p: &p,
        rng: Rng(seed ^ 0x5555),
    }
    .program();
    Seeded { rng, p, text }
}

/// Generates a whole program from a seed.
pub fn generate(rng: &mut Rng) -> Program {
    let n_params = rng.below(3);
    let params: Vec<(String, i64)> = (0..n_params)
        .map(|k| (format!("N{k}"), rng.range(1, 4)))
        .collect();
    let enums: Vec<usize> = (0..rng.below(3))
        .map(|_| rng.range(2, 5) as usize)
        .collect();
    let mut g = Gen {
        rng,
        params,
        enums,
        holes: Vec::new(),
        fn_sigs: Vec::new(),
        scopes: Vec::new(),
        assign_floor: 0,
        in_fn: false,
        effects: false,
        fresh: 0,
        budget: 0,
    };
    for k in 0..g.rng.range(1, 5) {
        let t = g.random_ty();
        g.holes.push((format!("h{k}"), t));
    }
    // Functions: scalar parameters (tabulated) or an array parameter (inlined).
    let mut fns = Vec::new();
    for _ in 0..g.rng.below(3) {
        let n_args = g.rng.range(1, 4) as usize;
        let mut ps = Vec::new();
        for _ in 0..n_args {
            let name = g.name("a");
            let t = if g.rng.chance(1, 5) {
                let s = g.random_scalar_ty();
                Ty::Arr(Box::new(s), g.rng.range(1, 3) as usize)
            } else {
                g.random_scalar_ty()
            };
            ps.push((name, t));
        }
        let ret = if g.rng.chance(1, 4) {
            g.random_ty()
        } else {
            g.random_scalar_ty()
        };
        g.in_fn = true;
        g.scopes = vec![mutable_vars(&ps)];
        g.assign_floor = 0;
        g.budget = 4;
        let n = g.rng.below(3);
        let stmts = g.gen_stmts(n, 2);
        let tail = g.gen_fit(&ret, 2);
        g.in_fn = false;
        g.scopes.clear();
        g.fn_sigs
            .push((ps.iter().map(|(_, t)| t.clone()).collect(), ret.clone()));
        fns.push(FnDef {
            params: ps,
            ret,
            body: Block {
                stmts,
                tail: Some(Box::new(tail)),
            },
        });
    }
    let inputs: Vec<(String, Ty)> = (0..g.rng.below(4))
        .map(|k| (format!("x{k}"), g.random_ty()))
        .collect();
    g.scopes = vec![mutable_vars(&inputs)];
    g.budget = 24;
    let mut stmts = Vec::new();
    let outputs = if g.rng.chance(1, 4) {
        Outputs::Single(g.random_ty())
    } else {
        let outs: Vec<(String, Ty)> = (0..g.rng.range(1, 3))
            .map(|k| (format!("o{k}"), g.random_ty()))
            .collect();
        // Assign each output first (whole, element by element, or in a loop).
        for (name, t) in &outs {
            match (t, g.rng.below(4)) {
                (Ty::Arr(elem, n), 0) => {
                    for k in 0..*n {
                        let e = g.gen_fit(elem, 2);
                        stmts.push(Stmt::Assign(name.clone(), vec![Expr::Int(k as i64)], e));
                    }
                }
                (Ty::Arr(elem, n), 1) => {
                    let var = g.name("i");
                    g.scopes.push(vec![VarInfo {
                        name: var.clone(),
                        ty: Ty::Int(0, *n as i64),
                        mutable: false,
                    }]);
                    g.scopes.push(Vec::new());
                    let e = g.gen_fit(elem, 2);
                    g.scopes.truncate(1);
                    stmts.push(Stmt::For(
                        var.clone(),
                        Expr::Int(0),
                        Expr::Int(*n as i64),
                        Block {
                            stmts: vec![Stmt::Assign(name.clone(), vec![Expr::Var(var)], e)],
                            tail: None,
                        },
                    ));
                }
                (_, 2) => {
                    // Assigned on both paths of a runtime branch (not before it).
                    let cond = g.gen_bool(2);
                    let a = g.gen_fit(t, 2);
                    let b = g.gen_fit(t, 2);
                    let assign = |e| Block {
                        stmts: vec![Stmt::Assign(name.clone(), Vec::new(), e)],
                        tail: None,
                    };
                    stmts.push(Stmt::Expr(Expr::If(
                        Box::new(cond),
                        assign(a),
                        Some(Box::new(Expr::Block(assign(b)))),
                    )));
                }
                _ => {
                    let e = g.gen_fit(t, 2);
                    stmts.push(Stmt::Assign(name.clone(), Vec::new(), e));
                }
            }
            g.declare(name.clone(), t.clone(), true);
        }
        Outputs::Named(outs)
    };
    // The body is a block: its `let`s are locals in a scope of their own, so a `let` named
    // like an input or output shadows it and leaves the output itself alone.
    g.scopes.push(Vec::new());
    let n = g.rng.range(2, 9) as usize;
    stmts.extend(g.gen_stmts(n, 3));
    let tail = match &outputs {
        Outputs::Single(t) => {
            let t = t.clone();
            Some(Box::new(g.gen_fit(&t, 3)))
        }
        Outputs::Named(outs) => {
            if g.rng.chance(1, 3) {
                let (name, t) = outs[g.rng.below(outs.len())].clone();
                // Unless a `let` of the body shadows it (then it is that local's name).
                if !g.scopes[1].iter().any(|v| v.name == name) {
                    let e = g.gen_fit(&t, 3);
                    stmts.push(Stmt::Assign(name, Vec::new(), e));
                }
            }
            None
        }
    };
    Program {
        params: g.params,
        enums: g.enums,
        holes: g.holes,
        fns,
        inputs,
        outputs,
        body: Block { stmts, tail },
    }
}

// ---------------------------------------------------------------- printing

pub struct Printer<'p> {
    pub p: &'p Program,
    pub rng: Rng,
}

fn prec(op: Op) -> u8 {
    match op {
        Op::Or => 1,
        Op::Xor => 2,
        Op::And => 3,
        Op::Eq | Op::Ne => 4,
        Op::Lt | Op::Le | Op::Gt | Op::Ge => 5,
        Op::Add | Op::Sub => 6,
        Op::Mul | Op::Div | Op::Rem => 7,
    }
}

fn symbol(op: Op) -> &'static str {
    match op {
        Op::Add => "+",
        Op::Sub => "-",
        Op::Mul => "*",
        Op::Div => "/",
        Op::Rem => "%",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Eq => "==",
        Op::Ne => "!=",
        Op::And => "&&",
        Op::Or => "||",
        Op::Xor => "^",
    }
}

impl Printer<'_> {
    /// A compile-time integer: the literal, or a param of that value (sometimes).
    fn int(&mut self, x: i64) -> String {
        let names: Vec<&String> = self
            .p
            .params
            .iter()
            .filter(|(_, v)| *v == x)
            .map(|(n, _)| n)
            .collect();
        if !names.is_empty() && self.rng.chance(1, 2) {
            return names[self.rng.below(names.len())].clone();
        }
        x.to_string()
    }

    fn ty(&mut self, t: &Ty) -> String {
        match t {
            Ty::Bool => "bool".into(),
            Ty::Int(lo, hi) => {
                let (l, h) = (self.int(*lo), self.int(*hi));
                format!("{l}..{h}")
            }
            Ty::Enum(e) => format!("E{e}"),
            Ty::Arr(e, n) => {
                let inner = self.ty(e);
                let n = self.int(*n as i64);
                format!("[{inner}; {n}]")
            }
        }
    }

    fn variant(&mut self, e: usize, k: usize) -> String {
        let name = variant_name(&self.p.enums, e, k);
        let ambiguous = name == "Z" && self.p.enums.len() > 1;
        if ambiguous || self.rng.chance(1, 4) {
            format!("E{e}::{name}")
        } else {
            name
        }
    }

    /// Prints `e`; `min` is the weakest binding power allowed without parentheses (0: any
    /// expression, block-like ones included; 1 and more: block-like ones are parenthesised).
    fn expr(&mut self, e: &Expr, min: u8, ind: usize) -> String {
        match e {
            Expr::Int(x) => {
                let s = self.int(*x);
                if *x < 0 && min > 8 && s.starts_with('-') {
                    format!("({s})")
                } else {
                    s
                }
            }
            Expr::Param(k) => self.p.params[*k].0.clone(),
            Expr::Bool(b) => b.to_string(),
            Expr::Variant(en, k) => self.variant(*en, *k),
            Expr::Var(n) => n.clone(),
            Expr::Index(b, i) => {
                let b = self.expr(b, 10, ind);
                let i = self.expr(i, 1, ind);
                format!("{b}[{i}]")
            }
            Expr::Slice(b, lo, hi) => {
                let b = self.expr(b, 10, ind);
                let (lo, hi) = (self.int(*lo as i64), self.int(*hi as i64));
                format!("{b}[{lo}..{hi}]")
            }
            Expr::Array(items) => {
                let items: Vec<String> = items.iter().map(|i| self.expr(i, 1, ind)).collect();
                format!("[{}]", items.join(", "))
            }
            Expr::Repeat(x, n) => {
                let x = self.expr(x, 1, ind);
                let n = self.int(*n as i64);
                format!("[{x}; {n}]")
            }
            Expr::Neg(x) => {
                let x = self.expr(x, 9, ind);
                format!("-{x}")
            }
            Expr::Not(x) => {
                let x = self.expr(x, 9, ind);
                format!("!{x}")
            }
            Expr::Bin(op, a, b) => {
                let p = prec(*op);
                let a = self.expr(a, p, ind);
                let b = self.expr(b, p + 1, ind);
                let s = format!("{a} {} {b}", symbol(*op));
                if p < min {
                    format!("({s})")
                } else {
                    s
                }
            }
            Expr::If(..) | Expr::Match(..) | Expr::Block(_) => {
                let s = self.block_like(e, ind);
                if min > 0 {
                    format!("({s})")
                } else {
                    s
                }
            }
            Expr::Call(f, args) => {
                let args: Vec<String> = args.iter().map(|a| self.expr(a, 1, ind)).collect();
                format!("f{f}({})", args.join(", "))
            }
        }
    }

    fn block_like(&mut self, e: &Expr, ind: usize) -> String {
        match e {
            Expr::If(c, then, els) => {
                let c = self.expr(c, 1, ind);
                let t = self.block(then, ind);
                let mut s = format!("if {c} {t}");
                if let Some(els) = els {
                    let e = self.block_like(els, ind);
                    s = format!("{s} else {e}");
                }
                s
            }
            Expr::Match(scrut, arms) => {
                let sc = self.expr(scrut, 1, ind);
                let pad = "    ".repeat(ind + 1);
                let mut s = format!("match {sc} {{\n");
                for (pats, body) in arms {
                    let pats: Vec<String> = pats.iter().map(|p| self.pat(p)).collect();
                    let body = self.expr(body, 0, ind + 1);
                    let _ = writeln!(s, "{pad}{} => {body},", pats.join(" | "));
                }
                s.push_str(&"    ".repeat(ind));
                s.push('}');
                s
            }
            Expr::Block(b) => self.block(b, ind),
            _ => unreachable!("not block-like"),
        }
    }

    fn pat(&mut self, p: &Pat) -> String {
        match p {
            Pat::Wild => "_".into(),
            Pat::Bool(b) => b.to_string(),
            Pat::Int(x) => x.to_string(),
            Pat::Variant(e, k) => self.variant(*e, *k),
        }
    }

    fn block(&mut self, b: &Block, ind: usize) -> String {
        let mut s = String::from("{\n");
        for st in &b.stmts {
            let line = self.stmt(st, ind + 1);
            let _ = writeln!(s, "{}{line}", "    ".repeat(ind + 1));
        }
        if let Some(t) = &b.tail {
            let t = self.expr(t, 0, ind + 1);
            let _ = writeln!(s, "{}{t}", "    ".repeat(ind + 1));
        }
        s.push_str(&"    ".repeat(ind));
        s.push('}');
        s
    }

    fn stmt(&mut self, s: &Stmt, ind: usize) -> String {
        match s {
            Stmt::Let(n, t, e) => {
                let t = t.as_ref().map(|t| format!(": {}", self.ty(t)));
                let e = self.expr(e, 0, ind);
                format!("let {n}{} = {e};", t.unwrap_or_default())
            }
            Stmt::Assign(n, idx, e) => {
                let idx: String = idx
                    .iter()
                    .map(|i| format!("[{}]", self.expr(i, 1, ind)))
                    .collect();
                let e = self.expr(e, 0, ind);
                format!("{n}{idx} = {e};")
            }
            Stmt::For(v, lo, hi, body) => {
                let (l, h) = (self.expr(lo, 1, ind), self.expr(hi, 1, ind));
                let b = self.block(body, ind);
                format!("for {v} in {l}..{h} {b}")
            }
            Stmt::Expr(e) => self.block_like(e, ind),
            Stmt::Observe(e) => format!("observe {};", self.expr(e, 0, ind)),
            Stmt::Cost(e) => format!("cost {};", self.expr(e, 0, ind)),
        }
    }

    pub fn program(mut self) -> String {
        let p = self.p;
        let mut s = String::new();
        for (n, v) in &p.params {
            // Sometimes written with another value and set by `--set` (see `check_seed`).
            let written = if self.rng.chance(1, 3) { v + 7 } else { *v };
            let _ = writeln!(s, "param {n} = {written};");
        }
        for (e, &n) in p.enums.iter().enumerate() {
            let vs: Vec<String> = (0..n).map(|k| variant_name(&p.enums, e, k)).collect();
            let _ = writeln!(s, "enum E{e} {{ {} }}", vs.join(", "));
        }
        for (n, t) in &p.holes {
            let t = self.ty(t);
            let _ = writeln!(s, "hole {n}: {t};");
        }
        for (k, f) in p.fns.iter().enumerate() {
            let ps: Vec<String> = f
                .params
                .iter()
                .map(|(n, t)| format!("{n}: {}", self.ty(t)))
                .collect();
            let ret = self.ty(&f.ret);
            let body = self.block(&f.body, 0);
            let _ = writeln!(s, "fn f{k}({}) -> {ret} {body}", ps.join(", "));
        }
        let ins: Vec<String> = p
            .inputs
            .iter()
            .map(|(n, t)| format!("{n}: {}", self.ty(t)))
            .collect();
        let outs = match &p.outputs {
            Outputs::Single(t) => format!(" -> {}", self.ty(t)),
            Outputs::Named(o) => {
                let o: Vec<String> = o
                    .iter()
                    .map(|(n, t)| format!("{n}: {}", self.ty(t)))
                    .collect();
                format!(" -> ({})", o.join(", "))
            }
        };
        let body = self.block(&p.body, 0);
        let _ = writeln!(s, "sketch s({}){outs} {body}", ins.join(", "));
        s
    }
}

// ---------------------------------------------------------------- the reference interpreter

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Val {
    Unit,
    Bool(bool),
    Int(i64),
    Enum(usize),
    Arr(Vec<Val>),
}

impl Val {
    pub fn int(&self) -> i64 {
        match self {
            Val::Int(x) => *x,
            v => panic!("not an integer: {v:?}"),
        }
    }
    pub fn bool(&self) -> bool {
        match self {
            Val::Bool(b) => *b,
            v => panic!("not a bool: {v:?}"),
        }
    }
}

struct Interp<'p> {
    p: &'p Program,
    holes: HashMap<String, Val>,
    scopes: Vec<HashMap<String, Val>>,
    /// Every observation executed so far held.
    ok: bool,
    cost: i64,
}

impl Interp<'_> {
    fn lookup(&self, n: &str) -> Val {
        for s in self.scopes.iter().rev() {
            if let Some(v) = s.get(n) {
                return v.clone();
            }
        }
        self.holes
            .get(n)
            .cloned()
            .unwrap_or_else(|| panic!("unbound {n}"))
    }

    fn block(&mut self, b: &Block) -> Val {
        self.scopes.push(HashMap::new());
        for s in &b.stmts {
            self.stmt(s);
        }
        let v = match &b.tail {
            Some(t) => self.expr(t),
            None => Val::Unit,
        };
        self.scopes.pop();
        v
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Let(n, _, e) => {
                let v = self.expr(e);
                self.scopes.last_mut().unwrap().insert(n.clone(), v);
            }
            Stmt::Assign(n, idx, e) => {
                let v = self.expr(e);
                let idx: Vec<usize> = idx.iter().map(|i| self.expr(i).int() as usize).collect();
                let scope = self
                    .scopes
                    .iter_mut()
                    .rev()
                    .find(|s| s.contains_key(n))
                    .unwrap_or_else(|| panic!("assigning unbound {n}"));
                let mut slot = scope.get_mut(n).unwrap();
                for k in idx {
                    let Val::Arr(items) = slot else {
                        panic!("indexing a non-array")
                    };
                    slot = &mut items[k];
                }
                *slot = v;
            }
            Stmt::For(var, lo, hi, body) => {
                let (lo, hi) = (self.expr(lo).int(), self.expr(hi).int());
                for i in lo..hi {
                    self.scopes
                        .push(HashMap::from([(var.clone(), Val::Int(i))]));
                    self.block(body);
                    self.scopes.pop();
                }
            }
            Stmt::Expr(e) => {
                self.expr(e);
            }
            Stmt::Observe(e) => {
                if !self.expr(e).bool() {
                    self.ok = false;
                }
            }
            Stmt::Cost(e) => {
                self.cost += match self.expr(e) {
                    Val::Bool(b) => i64::from(b),
                    Val::Int(x) => x,
                    v => panic!("bad cost {v:?}"),
                };
            }
        }
    }

    fn matches(p: &Pat, v: &Val) -> bool {
        match (p, v) {
            (Pat::Wild, _) => true,
            (Pat::Bool(a), Val::Bool(b)) => a == b,
            (Pat::Int(a), Val::Int(b)) => a == b,
            (Pat::Variant(_, a), Val::Enum(b)) => a == b,
            _ => panic!("pattern {p:?} against {v:?}"),
        }
    }

    fn expr(&mut self, e: &Expr) -> Val {
        match e {
            Expr::Int(x) => Val::Int(*x),
            Expr::Param(k) => Val::Int(self.p.params[*k].1),
            Expr::Bool(b) => Val::Bool(*b),
            Expr::Variant(_, k) => Val::Enum(*k),
            Expr::Var(n) => self.lookup(n),
            Expr::Index(b, i) => {
                let Val::Arr(items) = self.expr(b) else {
                    panic!("indexing a non-array")
                };
                items[self.expr(i).int() as usize].clone()
            }
            Expr::Slice(b, lo, hi) => {
                let Val::Arr(items) = self.expr(b) else {
                    panic!("slicing a non-array")
                };
                Val::Arr(items[*lo..*hi].to_vec())
            }
            Expr::Array(items) => Val::Arr(items.iter().map(|i| self.expr(i)).collect()),
            Expr::Repeat(x, n) => Val::Arr(vec![self.expr(x); *n]),
            Expr::Neg(x) => Val::Int(-self.expr(x).int()),
            Expr::Not(x) => Val::Bool(!self.expr(x).bool()),
            Expr::Bin(op, a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                match op {
                    Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Rem => {
                        Val::Int(arith(*op, a.int(), b.int()))
                    }
                    Op::Lt => Val::Bool(a.int() < b.int()),
                    Op::Le => Val::Bool(a.int() <= b.int()),
                    Op::Gt => Val::Bool(a.int() > b.int()),
                    Op::Ge => Val::Bool(a.int() >= b.int()),
                    Op::Eq => Val::Bool(a == b),
                    Op::Ne => Val::Bool(a != b),
                    Op::And => Val::Bool(a.bool() && b.bool()),
                    Op::Or => Val::Bool(a.bool() || b.bool()),
                    Op::Xor => Val::Bool(a.bool() != b.bool()),
                }
            }
            Expr::If(c, then, els) => {
                if self.expr(c).bool() {
                    self.block(then)
                } else {
                    match els {
                        Some(e) => self.expr(e),
                        None => Val::Unit,
                    }
                }
            }
            Expr::Match(s, arms) => {
                let v = self.expr(s);
                let arm = arms
                    .iter()
                    .find(|(pats, _)| pats.iter().any(|p| Self::matches(p, &v)))
                    .expect("exhaustive");
                self.expr(&arm.1)
            }
            Expr::Block(b) => self.block(b),
            Expr::Call(f, args) => {
                let vals: Vec<Val> = args.iter().map(|a| self.expr(a)).collect();
                let def = &self.p.fns[*f];
                let frame: HashMap<String, Val> = def
                    .params
                    .iter()
                    .map(|(n, _)| n.clone())
                    .zip(vals)
                    .collect();
                let saved = std::mem::replace(&mut self.scopes, vec![frame]);
                let r = self.block(&def.body);
                self.scopes = saved;
                r
            }
        }
    }
}

/// Runs the program on holes and inputs: (outputs, every observation held, total cost).
pub fn interpret(p: &Program, holes: &[Val], inputs: &[Val]) -> (Vec<Val>, bool, i64) {
    let mut scope0: HashMap<String, Val> = p
        .inputs
        .iter()
        .map(|(n, _)| n.clone())
        .zip(inputs.iter().cloned())
        .collect();
    if let Outputs::Named(o) = &p.outputs {
        // Outputs start unassigned (`Unit` scalars, which `flatten` refuses).
        for (n, t) in o {
            scope0.insert(n.clone(), unassigned(t));
        }
    }
    let mut it = Interp {
        p,
        holes: p
            .holes
            .iter()
            .map(|(n, _)| n.clone())
            .zip(holes.iter().cloned())
            .collect(),
        scopes: vec![scope0],
        ok: true,
        cost: 0,
    };
    // The body is a block inside the scope of the inputs and outputs: a `let` in it makes a
    // new local ("shadowing allowed"), it does not replace an input or output.
    let tail = it.block(&p.body);
    let outs = match &p.outputs {
        Outputs::Single(_) => vec![tail],
        Outputs::Named(o) => o.iter().map(|(n, _)| it.scopes[0][n].clone()).collect(),
    };
    (outs, it.ok, it.cost)
}

// ---------------------------------------------------------------- values <-> value indices

fn unassigned(t: &Ty) -> Val {
    match t {
        Ty::Arr(e, n) => Val::Arr(vec![unassigned(e); *n]),
        _ => Val::Unit,
    }
}

pub fn random_val(rng: &mut Rng, p: &Program, t: &Ty) -> Val {
    match t {
        Ty::Bool => Val::Bool(rng.chance(1, 2)),
        Ty::Int(lo, hi) => Val::Int(rng.range(*lo, *hi)),
        Ty::Enum(e) => Val::Enum(rng.below(p.enums[*e])),
        Ty::Arr(e, n) => Val::Arr((0..*n).map(|_| random_val(rng, p, e)).collect()),
    }
}

/// Row-major value indices of a value of type `t`.
pub fn flatten(v: &Val, t: &Ty, out: &mut Vec<u32>) {
    match (v, t) {
        (Val::Bool(b), Ty::Bool) => out.push(u32::from(*b)),
        (Val::Int(x), Ty::Int(lo, hi)) => {
            assert!((*lo..*hi).contains(x), "{x} outside {lo}..{hi}");
            out.push((x - lo) as u32);
        }
        (Val::Enum(k), Ty::Enum(_)) => out.push(*k as u32),
        (Val::Arr(items), Ty::Arr(e, n)) => {
            assert_eq!(items.len(), *n);
            for i in items {
                flatten(i, e, out);
            }
        }
        _ => panic!("value {v:?} of type {t:?}"),
    }
}

/// The `--set` overrides `text` (printed from `p`) needs: the params it writes with another
/// value than `p`'s (the printer sometimes does, to test overrides).
pub fn overrides<'p>(p: &'p Program, text: &str) -> Vec<(&'p str, i64)> {
    p.params
        .iter()
        .filter(|(n, v)| !text.contains(&format!("param {n} = {v};")))
        .map(|(n, v)| (n.as_str(), *v))
        .collect()
}

/// The types of the outputs, in the graph's order of output declarations.
pub fn output_types(p: &Program) -> Vec<Ty> {
    match &p.outputs {
        Outputs::Single(t) => vec![t.clone()],
        Outputs::Named(o) => o.iter().map(|(_, t)| t.clone()).collect(),
    }
}

/// One example as value indices: the flattened inputs, and the expected outputs (`None`: don't
/// care).
pub type Row = (Vec<u32>, Vec<Option<u32>>);

/// Examples of a hidden program of `p` (random hole values): `1..=4` examples, or now and then
/// `5..5 + extra`; the inputs of each are redrawn up to four times to find some on which the
/// hidden program's observations hold; about one expected output in eight is left unspecified.
pub fn hidden_examples(rng: &mut Rng, p: &Program, extra: usize) -> Vec<Row> {
    let hidden: Vec<Val> = p.holes.iter().map(|(_, t)| random_val(rng, p, t)).collect();
    let out_tys = output_types(p);
    let n_examples = if rng.chance(1, 8) {
        5 + rng.below(extra)
    } else {
        1 + rng.below(4)
    };
    let mut rows = Vec::with_capacity(n_examples);
    for _ in 0..n_examples {
        let (mut inputs, mut outs);
        let mut tries = 0;
        loop {
            inputs = p
                .inputs
                .iter()
                .map(|(_, t)| random_val(rng, p, t))
                .collect::<Vec<Val>>();
            let ok;
            (outs, ok, _) = interpret(p, &hidden, &inputs);
            tries += 1;
            if ok || tries == 4 {
                break;
            }
        }
        let mut iv = Vec::new();
        for (x, (_, t)) in inputs.iter().zip(&p.inputs) {
            flatten(x, t, &mut iv);
        }
        let mut want = Vec::new();
        for (o, t) in outs.iter().zip(&out_tys) {
            flatten(o, t, &mut want);
        }
        let want = want
            .into_iter()
            .map(|v| (!rng.chance(1, 8)).then_some(v))
            .collect();
        rows.push((iv, want));
    }
    rows
}

/// In one case out of three, changes one specified expected output of one example to another
/// value of its domain (`sizes`: the output slots' domain sizes), so that the hidden program
/// no longer fits. Returns whether it changed one.
pub fn change_one_output(rng: &mut Rng, rows: &mut [Row], sizes: &[u32]) -> bool {
    if !rng.chance(1, 3) || rows.is_empty() || sizes.is_empty() {
        return false;
    }
    let k = rng.below(rows.len());
    let j = rng.below(sizes.len());
    let size = sizes[j];
    match rows[k].1[j] {
        Some(v) if size > 1 => {
            rows[k].1[j] = Some((v + 1 + rng.below(size as usize - 1) as u32) % size);
            true
        }
        _ => false,
    }
}
