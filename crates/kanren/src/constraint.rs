//! The constraint store: `=/=`, `symbolo`/`numbero`/`stringo` and `absento`, solved as
//! faster-miniKanren solves them.
//!
//! Each variable that is the representative of its class may carry a record: at most one
//! type, a list of disequalities (each the list of bindings that would violate it, attached
//! to one variable of its first binding) and a list of absento terms. When `==` binds a
//! variable, that variable's record is removed and re-asserted against its new value. A
//! disequality is normalised by unifying it in the current substitution: if that fails the
//! constraint is already true and is dropped; if it adds nothing it is violated.

use std::rc::Rc;

use crate::goal::Tpl;
use crate::subst::{Cells, IntMap, Subst};
use crate::term::{Term, Var};
use crate::unify::{occurs, unify, unify_all, unify_into};

/// A type constraint. The three types are disjoint, infinite, and disjoint from pairs.
#[derive(Clone, Copy, PartialEq, Eq, Debug, PartialOrd, Ord)]
pub enum Type {
    Num,
    Str,
    Sym,
}

impl Type {
    /// Whether a non-variable term has this type.
    pub fn holds(self, t: &Term) -> bool {
        matches!(
            (self, t),
            (Type::Num, Term::Int(_)) | (Type::Str, Term::Str(_)) | (Type::Sym, Term::Sym(_))
        )
    }
    /// The name used in reified answers.
    pub fn reified(self) -> &'static str {
        match self {
            Type::Num => "num",
            Type::Str => "str",
            Type::Sym => "sym",
        }
    }
    /// The goal name.
    pub fn goal(self) -> &'static str {
        match self {
            Type::Num => "numbero",
            Type::Str => "stringo",
            Type::Sym => "symbolo",
        }
    }
}

/// A normalised disequality: the bindings that would violate it. One binding (every
/// disequality `absento` adds, and most others) is stored inline: a separate allocation
/// for it was a sizeable share of the constraint store's allocations on the quines.
#[derive(Clone)]
pub enum Diseq {
    /// One binding, inline.
    One([(Var, Term); 1]),
    /// Several bindings (one allocation).
    Many(Rc<[(Var, Term)]>),
}

impl std::ops::Deref for Diseq {
    type Target = [(Var, Term)];
    fn deref(&self) -> &[(Var, Term)] {
        match self {
            Diseq::One(b) => b,
            Diseq::Many(bs) => bs,
        }
    }
}

impl From<Vec<(Var, Term)>> for Diseq {
    fn from(mut bs: Vec<(Var, Term)>) -> Diseq {
        match bs.pop() {
            Some(b) if bs.is_empty() => Diseq::One([b]),
            Some(b) => {
                bs.push(b);
                Diseq::Many(bs.into())
            }
            None => Diseq::Many(Rc::from([])),
        }
    }
}

/// The constraints attached to one variable.
#[derive(Clone, Default)]
pub struct Record {
    pub ty: Option<Type>,
    /// Disequalities, newest first.
    pub diseqs: List<Diseq>,
    /// Absento terms, newest first.
    pub absent: List<Term>,
}

/// A persistent singly linked list: pushing is one allocation and copying a record that
/// holds one is free (a `Vec` here cost two copies per added constraint).
pub struct List<T>(Option<Rc<(T, List<T>)>>);

impl<T> Clone for List<T> {
    fn clone(&self) -> Self {
        List(self.0.clone())
    }
}

impl<T> Default for List<T> {
    fn default() -> Self {
        List(None)
    }
}

impl<T> List<T> {
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }
    /// The list with `x` in front.
    pub fn push(&self, x: T) -> List<T> {
        List(Some(Rc::new((x, self.clone()))))
    }
    /// Elements, newest first.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        let mut cur = self.0.as_deref();
        std::iter::from_fn(move || {
            let (x, rest) = cur?;
            cur = rest.0.as_deref();
            Some(x)
        })
    }
}

impl<T> Drop for List<T> {
    fn drop(&mut self) {
        // Iterative, so a long list of constraints cannot overflow the stack.
        let mut cur = self.0.take();
        while let Some(rc) = cur {
            match Rc::try_unwrap(rc) {
                Ok((_, mut rest)) => cur = rest.0.take(),
                Err(_) => break,
            }
        }
    }
}

impl Record {
    fn is_empty(&self) -> bool {
        self.ty.is_none() && self.diseqs.is_empty() && self.absent.is_empty()
    }
}

/// A search state: the substitution and the constraint store. Its methods take the
/// search's [`Cells`] (the variables and their in-place values).
#[derive(Clone, Default)]
pub struct State {
    pub subst: Subst,
    /// Constraint records by variable; `None` while there are none (most searches): one
    /// word instead of two keeps states, which the search moves around a lot, small.
    pub store: Option<Rc<IntMap<Rc<Record>>>>,
}

impl State {
    /// The empty state at the root of a search (scope 0).
    pub fn new() -> State {
        State {
            subst: Subst::new().with_scope(0),
            store: None,
        }
    }

    /// The record of a variable (empty if none).
    pub fn record(&self, v: Var) -> Option<&Record> {
        self.store.as_ref()?.get(v.0).map(|r| &**r)
    }

    fn set_record(mut self, v: Var, r: Record) -> State {
        Rc::make_mut(self.store.get_or_insert_with(Default::default)).insert_mut(v.0, Rc::new(r));
        self
    }

    /// `(== u v)`.
    pub fn unify(self, cells: &mut Cells, u: &Term, v: &Term) -> Option<State> {
        self.unify_by(cells, |s, cells, added| unify_into(u, v, s, cells, added))
    }

    /// `(== tpl t)` with `tpl` a template in `env`, unified without building the parts of
    /// it that meet pairs (see [`Tpl::unify_into`]).
    pub(crate) fn unify_tpl(
        self,
        cells: &mut Cells,
        tpl: &Tpl,
        env: &[Term],
        t: &Term,
        stack: &mut Vec<Term>,
    ) -> Option<State> {
        self.unify_by(cells, |s, cells, added| {
            tpl.unify_into(env, t, s, cells, added, stack)
        })
    }

    /// A unification `f` (which extends the substitution and lists what it added), then
    /// the constraints of the variables it bound.
    fn unify_by(
        self,
        cells: &mut Cells,
        f: impl FnOnce(&mut Subst, &mut Cells, &mut Vec<(Var, Term)>) -> bool,
    ) -> Option<State> {
        let State { mut subst, store } = self;
        let mut added = std::mem::take(&mut cells.added);
        added.clear();
        cells.quiet = store.is_none();
        let ok = f(&mut subst, cells, &mut added);
        cells.quiet = false;
        if !ok || store.is_none() || added.is_empty() {
            added.clear();
            cells.added = added;
            return ok.then_some(State { subst, store });
        }
        let mut st = Some(State { subst, store });
        for (x, t) in added.drain(..) {
            st = st.and_then(|st| st.wake(cells, x, &t));
        }
        if cells.added.capacity() < added.capacity() {
            cells.added = added;
        }
        st
    }

    /// Re-asserts the constraints of `x`, now bound to `t`.
    fn wake(self, cells: &mut Cells, x: Var, t: &Term) -> Option<State> {
        let Some(old) = self.store.as_ref().and_then(|m| m.get(x.0)).cloned() else {
            return Some(self);
        };
        if old.is_empty() {
            return Some(self);
        }
        // `x` is bound now, so its record is never read again (records are only consulted
        // for unbound variables): it is left in place rather than cleared, which would
        // cost a store write.
        let mut st = self;
        if let Some(ty) = old.ty {
            st = st.typed(cells, ty, t)?;
        }
        for a in old.absent.iter() {
            st = st.absento(cells, a, t)?;
        }
        for d in old.diseqs.iter() {
            st = st.diseq_all(cells, d)?;
        }
        Some(st)
    }

    /// `(symbolo t)`, `(numbero t)`, `(stringo t)`.
    pub fn typed(self, cells: &Cells, ty: Type, t: &Term) -> Option<State> {
        let t = self.subst.walk(cells, t);
        match t {
            Term::Var(v) => {
                let v = *v;
                let rec = self.record(v).cloned().unwrap_or_default();
                match rec.ty {
                    Some(old) if old == ty => Some(self),
                    Some(_) => None,
                    None => Some(self.set_record(
                        v,
                        Record {
                            ty: Some(ty),
                            ..rec
                        },
                    )),
                }
            }
            t if ty.holds(t) => Some(self),
            _ => None,
        }
    }

    /// `(=/= u v)`.
    pub fn diseq(self, cells: &mut Cells, u: &Term, v: &Term) -> Option<State> {
        // Fast paths for terms that cannot be unified or are already equal atoms: no
        // substitution is copied.
        let (a, b) = (self.subst.walk(cells, u), self.subst.walk(cells, v));
        match (a, b) {
            (Term::Var(_), _) | (_, Term::Var(_)) | (Term::Pair(_), Term::Pair(_)) => {}
            (Term::Pair(_), _) | (_, Term::Pair(_)) => return Some(self),
            _ => return if a.atom_eq(b) { None } else { Some(self) },
        }
        // A variable against anything: the normalised constraint is that one binding (the
        // younger variable pointing at the older, as `==` would bind it), unless the occurs
        // check makes it true already. No substitution is built.
        let one = match (a, b) {
            (Term::Var(x), Term::Var(y)) if x == y => return None,
            (Term::Var(x), Term::Var(y)) => Some(if x > y { (*x, b) } else { (*y, a) }),
            (Term::Var(x), t) | (t, Term::Var(x)) => {
                if occurs(*x, t, &self.subst, cells) {
                    return Some(self);
                }
                Some((*x, t))
            }
            _ => None,
        };
        if let Some((x, t)) = one {
            let d = Diseq::One([(x, t.clone())]);
            return self.attach(d);
        }
        let (a, b) = (a.clone(), b.clone());
        match unify(&a, &b, &self.subst, cells) {
            None => Some(self),
            Some((_, added)) => self.attach(added.into()),
        }
    }

    /// Stores a normalised disequality (the bindings that would violate it).
    fn attach(self, d: Diseq) -> Option<State> {
        let (x, t) = d.first()?;
        let (x, y) = (*x, t.as_var());
        let mut st = self.add_diseq(x, d.clone());
        if let Some(y) = y {
            st = st.add_diseq(y, d);
        }
        Some(st)
    }

    /// The disequality "not all of these pairs are equal at once".
    fn diseq_all(self, cells: &mut Cells, pairs: &[(Var, Term)]) -> Option<State> {
        // One binding (every disequality `absento` adds, and most others): `diseq`'s fast
        // paths normalise it the same way without building a list of pairs or a
        // substitution (8,200 calls on twines, 2 % of its instructions).
        if let [(x, t)] = pairs {
            return self.diseq(cells, &Term::Var(*x), t);
        }
        let pairs: Vec<(Term, Term)> = pairs
            .iter()
            .map(|(a, b)| (Term::Var(*a), b.clone()))
            .collect();
        let Some((_, added)) = unify_all(&pairs, &self.subst, cells) else {
            return Some(self);
        };
        self.attach(added.into())
    }

    fn add_diseq(self, v: Var, d: Diseq) -> State {
        let mut rec = self.record(v).cloned().unwrap_or_default();
        rec.diseqs = rec.diseqs.push(d);
        self.set_record(v, rec)
    }

    /// `(absento needle hay)`: `needle` occurs nowhere in `hay`.
    pub fn absento(self, cells: &mut Cells, needle: &Term, hay: &Term) -> Option<State> {
        let needle = self.subst.walk(cells, needle).clone();
        let mut st = self;
        // Down the car side in a loop; cdrs wait on the stack (allocated only for pairs).
        let mut stack: Vec<Term> = Vec::new();
        let mut next = Some(hay.clone());
        while let Some(h) = next.take().or_else(|| stack.pop()) {
            let h = st.subst.walk(cells, &h).clone();
            if let (Term::Var(v), false) = (&h, needle.is_var()) {
                // The common case, an atom or pair kept out of a variable: the disequality
                // `v ≠ needle` and the absento record go in one store write.
                // (When `v` occurs in the needle, the disequality holds already.)
                let diseq = !occurs(*v, &needle, &st.subst, cells);
                let mut rec = st.record(*v).cloned().unwrap_or_default();
                let absent = !rec.absent.iter().any(|a| eqv(a, &needle));
                if diseq {
                    rec.diseqs = rec.diseqs.push(Diseq::One([(*v, needle.clone())]));
                }
                if absent {
                    rec.absent = rec.absent.push(needle.clone());
                }
                if diseq || absent {
                    st = st.set_record(*v, rec);
                }
                continue;
            }
            st = st.diseq(cells, &needle, &h)?;
            match &h {
                Term::Pair(p) => {
                    stack.push(p.cdr().clone());
                    next = Some(p.car().clone());
                }
                Term::Var(v) => {
                    let mut rec = st.record(*v).cloned().unwrap_or_default();
                    if !rec.absent.iter().any(|a| eqv(a, &needle)) {
                        rec.absent = rec.absent.push(needle.clone());
                        st = st.set_record(*v, rec);
                    }
                }
                _ => {}
            }
        }
        Some(st)
    }
}

impl From<Var> for Term {
    fn from(v: Var) -> Term {
        Term::Var(v)
    }
}

/// Scheme's `eqv?`: atoms by value, pairs by identity.
fn eqv(a: &Term, b: &Term) -> bool {
    a.is_eq(b)
}
