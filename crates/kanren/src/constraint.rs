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

use crate::subst::{IntMap, Subst};
use crate::term::{Term, Var};
use crate::unify::{unify_all, unify_into, Added};

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

/// The constraints attached to one variable.
#[derive(Clone, Default)]
pub struct Record {
    pub ty: Option<Type>,
    /// Disequalities, newest first.
    pub diseqs: List<Rc<Added>>,
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

/// A search state: the substitution and the constraint store.
#[derive(Clone, Default)]
pub struct State {
    pub subst: Subst,
    pub store: IntMap<Rc<Record>>,
}

impl State {
    pub fn new() -> State {
        State::default()
    }

    /// The record of a variable (empty if none).
    pub fn record(&self, v: Var) -> Option<&Record> {
        self.store.get(v.0).map(|r| &**r)
    }

    fn set_record(&self, v: Var, r: Record) -> State {
        State {
            subst: self.subst.clone(),
            store: self.store.insert(v.0, Rc::new(r)),
        }
    }

    fn with_subst(&self, subst: Subst) -> State {
        State {
            subst,
            store: self.store.clone(),
        }
    }

    /// `(== u v)`.
    pub fn unify(&self, u: &Term, v: &Term) -> Option<State> {
        let mut s = self.subst.clone();
        let mut added = Vec::new();
        if !unify_into(u, v, &mut s, &mut added) {
            return None;
        }
        let mut st = self.with_subst(s);
        if st.store.is_empty() {
            return Some(st);
        }
        for (x, t) in added {
            st = st.wake(x, &t)?;
        }
        Some(st)
    }

    /// Re-asserts the constraints of `x`, now bound to `t`.
    fn wake(self, x: Var, t: &Term) -> Option<State> {
        let Some(old) = self.store.get(x.0).cloned() else {
            return Some(self);
        };
        if old.is_empty() {
            return Some(self);
        }
        let mut st = self.set_record(x, Record::default());
        if let Some(ty) = old.ty {
            st = st.typed(ty, t)?;
        }
        for a in old.absent.iter() {
            st = st.absento(a, t)?;
        }
        for d in old.diseqs.iter() {
            st = st.diseq_all(d)?;
        }
        Some(st)
    }

    /// `(symbolo t)`, `(numbero t)`, `(stringo t)`.
    pub fn typed(&self, ty: Type, t: &Term) -> Option<State> {
        let t = self.subst.walk(t);
        match t {
            Term::Var(v) => {
                let rec = self.record(*v).cloned().unwrap_or_default();
                match rec.ty {
                    Some(old) if old == ty => Some(self.clone()),
                    Some(_) => None,
                    None => {
                        let v = *v;
                        Some(self.set_record(
                            v,
                            Record {
                                ty: Some(ty),
                                ..rec
                            },
                        ))
                    }
                }
            }
            t if ty.holds(t) => Some(self.clone()),
            _ => None,
        }
    }

    /// `(=/= u v)`.
    pub fn diseq(&self, u: &Term, v: &Term) -> Option<State> {
        // Fast paths for terms that cannot be unified or are already equal atoms: no
        // substitution is copied.
        let (a, b) = (self.subst.walk(u), self.subst.walk(v));
        match (a, b) {
            (Term::Var(_), _) | (_, Term::Var(_)) | (Term::Pair(_), Term::Pair(_)) => {}
            (Term::Pair(_), _) | (_, Term::Pair(_)) => return Some(self.clone()),
            _ => {
                return if a.atom_eq(b) {
                    None
                } else {
                    Some(self.clone())
                }
            }
        }
        let mut s = self.subst.clone();
        let mut added = Vec::new();
        if !unify_into(a, b, &mut s, &mut added) {
            return Some(self.clone());
        }
        self.attach(added)
    }

    /// Stores a normalised disequality (the bindings that would violate it).
    fn attach(&self, added: Added) -> Option<State> {
        let (x, t) = added.first()?;
        let (x, y) = (*x, t.as_var());
        let d = Rc::new(added);
        let mut st = self.add_diseq(x, d.clone());
        if let Some(y) = y {
            st = st.add_diseq(y, d);
        }
        Some(st)
    }

    /// The disequality "not all of these pairs are equal at once".
    fn diseq_all<T: Clone + Into<Term>, U: Clone + Into<Term>>(
        &self,
        pairs: &[(T, U)],
    ) -> Option<State> {
        let pairs: Vec<(Term, Term)> = pairs
            .iter()
            .map(|(a, b)| (a.clone().into(), b.clone().into()))
            .collect();
        let Some((_, added)) = unify_all(&pairs, &self.subst) else {
            return Some(self.clone());
        };
        self.attach(added)
    }

    fn add_diseq(&self, v: Var, d: Rc<Added>) -> State {
        let mut rec = self.record(v).cloned().unwrap_or_default();
        rec.diseqs = rec.diseqs.push(d);
        self.set_record(v, rec)
    }

    /// `(absento needle hay)`: `needle` occurs nowhere in `hay`.
    pub fn absento(&self, needle: &Term, hay: &Term) -> Option<State> {
        let needle = self.subst.walk(needle).clone();
        let mut st = self.clone();
        let mut stack = vec![hay.clone()];
        while let Some(h) = stack.pop() {
            let h = st.subst.walk(&h).clone();
            st = st.diseq(&needle, &h)?;
            match &h {
                Term::Pair(p) => {
                    stack.push(p.cdr().clone());
                    stack.push(p.car().clone());
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
