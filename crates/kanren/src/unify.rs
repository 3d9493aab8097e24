//! Unification with the occurs check, as miniKanren does it.
//!
//! Besides the extended substitution, unification returns the bindings it *added*, in order:
//! the constraint solver needs them (a disequality is stored as the bindings that would
//! violate it, and a binding wakes the constraints of the variable it binds). Both the
//! traversal and the occurs check use explicit stacks: no input depth reaches the Rust stack.

use crate::subst::Subst;
use crate::term::{Term, Var};

/// Bindings added by one unification, oldest first.
pub type Added = Vec<(Var, Term)>;

/// Whether `x` occurs in `t` under `s`.
pub fn occurs(x: Var, t: &Term, s: &Subst) -> bool {
    match s.walk(t) {
        Term::Var(v) => return *v == x,
        Term::Pair(_) => {}
        _ => return false,
    }
    let mut stack = vec![t];
    while let Some(t) = stack.pop() {
        match s.walk(t) {
            Term::Var(v) if *v == x => return true,
            Term::Pair(p) => {
                stack.push(p.cdr());
                stack.push(p.car());
            }
            _ => {}
        }
    }
    false
}

/// Unifies each `(u, v)` pair in order; `None` when they cannot be made equal.
pub fn unify_all(pairs: &[(Term, Term)], s: &Subst) -> Option<(Subst, Added)> {
    let mut s = s.clone();
    let mut added = Vec::new();
    for (u, v) in pairs {
        if !unify_into(u, v, &mut s, &mut added) {
            return None;
        }
    }
    Some((s, added))
}

/// Unifies `u` and `v`.
pub fn unify(u: &Term, v: &Term, s: &Subst) -> Option<(Subst, Added)> {
    let mut s = s.clone();
    let mut added = Vec::new();
    unify_into(u, v, &mut s, &mut added).then_some((s, added))
}

/// Unifies `u` and `v` in place, appending the new bindings to `added`. The explicit stack
/// is only allocated when both sides are pairs.
pub fn unify_into(u: &Term, v: &Term, s: &mut Subst, added: &mut Added) -> bool {
    let mut stack: Vec<(Term, Term)> = Vec::new();
    let mut cur = (u.clone(), v.clone());
    loop {
        let u = s.walk(&cur.0).clone();
        let v = s.walk(&cur.1).clone();
        if !u.is_eq(&v) {
            match (&u, &v) {
                (Term::Var(a), Term::Var(b)) => {
                    // The younger variable points at the older one.
                    let (x, t) = if a > b {
                        (*a, v.clone())
                    } else {
                        (*b, u.clone())
                    };
                    *s = s.extend(x, t.clone());
                    added.push((x, t));
                }
                (Term::Var(x), _) => {
                    if occurs(*x, &v, s) {
                        return false;
                    }
                    *s = s.extend(*x, v.clone());
                    added.push((*x, v));
                }
                (_, Term::Var(x)) => {
                    if occurs(*x, &u, s) {
                        return false;
                    }
                    *s = s.extend(*x, u.clone());
                    added.push((*x, u));
                }
                (Term::Pair(a), Term::Pair(b)) => {
                    stack.push((a.cdr().clone(), b.cdr().clone()));
                    cur = (a.car().clone(), b.car().clone());
                    continue;
                }
                _ => {
                    if !u.atom_eq(&v) {
                        return false;
                    }
                }
            }
        }
        match stack.pop() {
            Some(next) => cur = next,
            None => return true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn occurs_check_and_direction() {
        let s = Subst::new();
        let x = Term::Var(Var(0));
        let y = Term::Var(Var(1));
        assert!(unify(&x, &Term::cons(Term::Int(1), x.clone()), &s).is_none());
        let (s2, added) = unify(&x, &y, &s).unwrap();
        assert_eq!(added[0].0, Var(1));
        assert!(s2.walk(&y).is_eq(&x));
        let l1 = Term::list([x.clone(), Term::Int(2)]);
        let l2 = Term::list([Term::Int(1), y.clone()]);
        let (s3, added) = unify(&l1, &l2, &s).unwrap();
        assert_eq!(added.len(), 2);
        assert_eq!(s3.walk_star(&l1).to_string(), "(1 2)");
    }

    #[test]
    fn deep_unify() {
        let mut a = Term::Var(Var(0));
        let mut b = Term::Nil;
        for i in 0..300_000 {
            a = Term::cons(Term::Int(i), a);
            b = Term::cons(Term::Int(i), b);
        }
        assert!(unify(&a, &b, &Subst::new()).is_none() || unify(&a, &b, &Subst::new()).is_some());
        let (s, _) = unify(
            &a,
            &Term::cons(Term::Int(299_999), Term::Var(Var(1))),
            &Subst::new(),
        )
        .unwrap();
        assert!(s.len() == 1);
    }
}
