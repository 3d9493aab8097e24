//! Writing relations in Rust: a small builder over [`Program`].
//!
//! Goals are described with the [`G`] value type and compiled into the program's goal
//! arena; `fresh` allocates environment slots, so the result is exactly what the reader
//! would produce from the same relation written in Scheme syntax.
//!
//! ```
//! use weft_kanren::build::{call, conde, define, eq, nil, cons};
//! use weft_kanren::{Module, Program};
//! let mut p = Program::new();
//! // (defrel (appendo l s out) (conde ((== '() l) (== s out))
//! //   ((fresh (a d res) (== `(,a . ,d) l) (== `(,a . ,res) out) (appendo d s res)))))
//! define(&mut p, "appendo", |r, me, [l, s, out]| {
//!     vec![conde(vec![
//!         vec![eq(nil(), l.clone()), eq(s.clone(), out.clone())],
//!         vec![r.fresh(|_, [a, d, res]| {
//!             vec![
//!                 eq(cons(a.clone(), d.clone()), l.clone()),
//!                 eq(cons(a, res.clone()), out.clone()),
//!                 call(me, vec![d, s.clone(), res]),
//!             ]
//!         })],
//!     ])]
//! });
//! let mut m = Module::from_program(p);
//! let i = m.add_run("(run* (x y) (appendo x y '(1 2)))").unwrap();
//! assert_eq!(weft_kanren::show(&m.run(i).unwrap()), "((() (1 2)) ((1) (2)) ((1 2) ()))");
//! ```

use crate::constraint::Type;
use crate::goal::{Goal, GoalId, Program, RelId, Tpl};
use crate::term::Term;

/// A goal under construction.
#[derive(Clone, Debug)]
pub enum G {
    Succeed,
    Fail,
    Eq(Tpl, Tpl),
    Neq(Tpl, Tpl),
    Type(Type, Tpl),
    Absento(Tpl, Tpl),
    Conde(Vec<Vec<G>>),
    Fresh(Vec<u16>, Vec<G>),
    Call(RelId, Vec<Tpl>),
}

pub fn eq(a: impl Into<Tpl>, b: impl Into<Tpl>) -> G {
    G::Eq(a.into(), b.into())
}
pub fn neq(a: impl Into<Tpl>, b: impl Into<Tpl>) -> G {
    G::Neq(a.into(), b.into())
}
pub fn symbolo(a: impl Into<Tpl>) -> G {
    G::Type(Type::Sym, a.into())
}
pub fn numbero(a: impl Into<Tpl>) -> G {
    G::Type(Type::Num, a.into())
}
pub fn stringo(a: impl Into<Tpl>) -> G {
    G::Type(Type::Str, a.into())
}
pub fn absento(a: impl Into<Tpl>, b: impl Into<Tpl>) -> G {
    G::Absento(a.into(), b.into())
}
/// `(conde (g ...) ...)`: each inner vector is one clause.
pub fn conde(clauses: Vec<Vec<G>>) -> G {
    G::Conde(clauses)
}
/// A call of a relation.
pub fn call(rel: RelId, args: Vec<Tpl>) -> G {
    G::Call(rel, args)
}
/// `'()`.
pub fn nil() -> Tpl {
    Tpl::Const(Term::Nil)
}
/// `(cons a d)`.
pub fn cons(a: impl Into<Tpl>, d: impl Into<Tpl>) -> Tpl {
    Tpl::cons(a.into(), d.into())
}
/// `(list x ...)`.
pub fn list(items: Vec<Tpl>) -> Tpl {
    items
        .into_iter()
        .rev()
        .fold(nil(), |acc, x| Tpl::cons(x, acc))
}

impl From<Term> for Tpl {
    fn from(t: Term) -> Tpl {
        Tpl::Const(t)
    }
}
impl From<i64> for Tpl {
    fn from(n: i64) -> Tpl {
        Tpl::Const(Term::Int(n))
    }
}
impl From<&str> for Tpl {
    /// A symbol.
    fn from(s: &str) -> Tpl {
        Tpl::Const(Term::sym(s))
    }
}

/// The slots of one relation being built.
pub struct Rel {
    frame: Vec<Term>,
}

impl Rel {
    fn slot(&mut self) -> Tpl {
        let n = self.frame.len();
        self.frame.push(Term::sym(&format!("v{n}")));
        Tpl::Slot(u16::try_from(n).unwrap_or(u16::MAX))
    }

    /// `(fresh (x ...) g ...)` with `N` new variables.
    pub fn fresh<const N: usize>(&mut self, body: impl FnOnce(&mut Rel, [Tpl; N]) -> Vec<G>) -> G {
        let vars: [Tpl; N] = std::array::from_fn(|_| self.slot());
        let slots = vars
            .iter()
            .filter_map(|t| match t {
                Tpl::Slot(s) => Some(*s),
                _ => None,
            })
            .collect();
        let gs = body(self, vars);
        G::Fresh(slots, gs)
    }
}

fn compile(p: &mut Program, g: G) -> GoalId {
    let goal = match g {
        G::Succeed => Goal::Succeed,
        G::Fail => Goal::Fail,
        G::Eq(a, b) => Goal::Eq(a, b),
        G::Neq(a, b) => Goal::Neq(a, b),
        G::Type(t, a) => Goal::Type(t, a),
        G::Absento(a, b) => Goal::Absento(a, b),
        G::Call(rel, args) => Goal::Call { rel, args },
        G::Conde(cs) => {
            let cs = cs.into_iter().map(|c| conj(p, c)).collect();
            Goal::Conde(cs)
        }
        G::Fresh(slots, gs) => {
            let body = conj(p, gs);
            Goal::Fresh { slots, body }
        }
    };
    p.add(goal)
}

fn conj(p: &mut Program, gs: Vec<G>) -> GoalId {
    let ids = gs.into_iter().map(|g| compile(p, g)).collect();
    p.add(Goal::Conj(ids))
}

/// Defines (or redefines) relation `name` with `N` parameters, as `defrel` does: one goal
/// runs directly; several are wrapped in `(fresh () ...)`. The closure gets the slot
/// allocator, the relation's own id (for recursion) and the parameters.
pub fn define<const N: usize>(
    p: &mut Program,
    name: &str,
    body: impl FnOnce(&mut Rel, RelId, [Tpl; N]) -> Vec<G>,
) -> RelId {
    let id = p.declare(name, N);
    let mut r = Rel { frame: Vec::new() };
    let params: [Tpl; N] = std::array::from_fn(|_| r.slot());
    let mut gs = body(&mut r, id, params);
    let goal = if gs.len() == 1 {
        let g = gs.pop().unwrap_or(G::Succeed);
        compile(p, g)
    } else {
        let c = conj(p, gs);
        p.add(Goal::Fresh {
            slots: Vec::new(),
            body: c,
        })
    };
    p.define(id, N, r.frame, goal);
    id
}
