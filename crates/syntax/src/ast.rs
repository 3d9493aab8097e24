//! The syntax tree of a `.wft` file, exactly as written (no names resolved, no constants folded).

use crate::span::Span;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Module {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `param N = expr;`
    Param(ParamDecl),
    /// `enum E { A, B }`
    Enum(EnumDecl),
    /// `hole h: T;`
    Hole(HoleDecl),
    /// `fn f(a: T) -> R { ... }`
    Fn(FnDecl),
    /// `sketch s(x: T) -> R { ... }`
    Sketch(SketchDecl),
    /// `examples { ... }` or `examples "file";`
    Examples(ExamplesDecl),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ParamDecl {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EnumDecl {
    pub name: Ident,
    pub variants: Vec<Ident>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HoleDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Binding {
    pub name: Ident,
    pub ty: TypeExpr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FnDecl {
    pub name: Ident,
    pub params: Vec<Binding>,
    pub ret: TypeExpr,
    pub body: Block,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Outputs {
    /// No `->` at all: the sketch has only observations and costs.
    None,
    /// `-> T`: the body's tail expression is the output.
    Single(TypeExpr),
    /// `-> (a: T, b: U)`: the body assigns each name.
    Named(Vec<Binding>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct SketchDecl {
    pub name: Ident,
    pub inputs: Vec<Binding>,
    pub outputs: Outputs,
    pub body: Block,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExampleSource {
    Inline(Vec<ExampleRow>),
    /// `examples "path";` — the string as written (escapes resolved) and its span.
    File(String, Span),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExamplesDecl {
    pub source: ExampleSource,
    pub span: Span,
}

/// `inputs => outputs;` — each side one value, or a parenthesised tuple of values.
#[derive(Clone, Debug, PartialEq)]
pub struct ExampleRow {
    pub inputs: Vec<ValueLit>,
    pub outputs: Vec<ValueLit>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ValueLitKind {
    Int(i64),
    Bool(bool),
    /// An enum variant, possibly qualified (`Gate::And` gives `Some("Gate")`).
    Variant(Option<String>, String),
    Array(Vec<ValueLit>),
    /// `_`
    DontCare,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ValueLit {
    pub kind: ValueLitKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeExprKind {
    Bool,
    /// `lo..hi`
    Range(Box<Expr>, Box<Expr>),
    /// an enum name
    Named(Ident),
    /// `[T; N]`
    Array(Box<TypeExpr>, Box<Expr>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    /// The final expression without a `;`, if any.
    pub tail: Option<Box<Expr>>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `let x: T = e;` (type optional)
    Let {
        name: Ident,
        ty: Option<TypeExpr>,
        value: Expr,
    },
    /// `place = e;` where place is a name followed by zero or more `[index]`.
    Assign {
        target: Ident,
        indices: Vec<Expr>,
        value: Expr,
    },
    /// `for i in lo..hi { ... }`
    For {
        var: Ident,
        lo: Expr,
        hi: Expr,
        body: Block,
    },
    /// `observe e;`
    Observe(Expr),
    /// `cost e;`
    Cost(Expr),
    /// An expression used as a statement (`if`/`match`/block without `;`, or any expr with `;`).
    Expr(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Mul,
    Div,
    Rem,
    Add,
    Sub,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Xor,
    Or,
}

impl BinOp {
    /// How tightly the operator binds (higher is tighter); operators of one binding power
    /// associate to the left.
    pub const fn binding_power(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::Xor => 2,
            BinOp::And => 3,
            BinOp::Eq | BinOp::Ne => 4,
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 5,
            BinOp::Add | BinOp::Sub => 6,
            BinOp::Mul | BinOp::Div | BinOp::Rem => 7,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::And => "&&",
            BinOp::Xor => "^",
            BinOp::Or => "||",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum PatternKind {
    Wildcard,
    Int(i64),
    Bool(bool),
    /// An enum variant, possibly qualified.
    Variant(Option<Ident>, Ident),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    pub kind: PatternKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MatchArm {
    /// Alternatives separated by `|`; never empty.
    pub patterns: Vec<Pattern>,
    pub body: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Int(i64),
    Bool(bool),
    /// A plain name: local, parameter, hole, input, or an unqualified enum variant.
    Name(String),
    /// `Enum::Variant`
    Qualified(Ident, Ident),
    /// `a[i]`
    Index(Box<Expr>, Box<Expr>),
    /// `a[lo..hi]`
    Slice(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `[a, b, c]`
    Array(Vec<Expr>),
    /// `[e; n]`
    Repeat(Box<Expr>, Box<Expr>),
    /// `f(a, b)`
    Call(Ident, Vec<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `if c { .. } else ..`; the else part is a `Block` or another `If` expression.
    If(Box<Expr>, Block, Option<Box<Expr>>),
    Match(Box<Expr>, Vec<MatchArm>),
    Block(Block),
    /// Produced by error recovery; lowering skips it silently (an error was already reported).
    Error,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl Drop for Expr {
    /// A left-associative chain (`a + b + … + z`) is as deep as it is long, and the parser
    /// allows any length: its left operands are unlinked one at a time, so that dropping a
    /// long chain does not recurse once per operator.
    fn drop(&mut self) {
        let mut next = take_lhs(&mut self.kind);
        while let Some(mut e) = next {
            next = take_lhs(&mut e.kind);
        }
    }
}

/// The left operand of a binary expression, replaced by an error placeholder.
fn take_lhs(kind: &mut ExprKind) -> Option<Box<Expr>> {
    match kind {
        ExprKind::Binary(_, lhs, _) => Some(std::mem::replace(
            lhs,
            Box::new(Expr {
                kind: ExprKind::Error,
                span: lhs.span,
            }),
        )),
        _ => None,
    }
}
