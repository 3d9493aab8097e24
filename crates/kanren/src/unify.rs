//! Unification with the occurs check, as miniKanren does it.
//!
//! Besides the extended substitution, unification returns the bindings it *added*, in order:
//! the constraint solver needs them (a disequality is stored as the bindings that would
//! violate it, and a binding wakes the constraints of the variable it binds). Both the
//! traversal and the occurs check use explicit stacks: no input depth reaches the Rust stack.

use crate::subst::{Cells, Subst, NONLOCAL};
use crate::term::{Term, Var};

/// Bindings added by one unification, oldest first.
pub type Added = Vec<(Var, Term)>;

/// Whether `x` occurs in `t` under `s`.
///
/// This walks all of `t`, as faster-miniKanren's `occurs-check` does, so binding a variable
/// to a long list costs its length: taking a ground list of n elements apart (`appendo`
/// with a ground first argument binds `d` to each tail in turn) is O(n²) — 4.1 s at 50 000
/// elements, 16.2 s at 100 000, 97 % of the samples here. An inherent cost of sound
/// unification, not changed: a bit per pair saying it holds no variable would let the walk
/// skip ground tails, but every cons would pay to compute it and each cell would hold it.
pub fn occurs(x: Var, t: &Term, s: &Subst, cells: &Cells) -> bool {
    match s.walk(cells, t) {
        Term::Var(v) => return *v == x,
        Term::Pair(_) => {}
        _ => return false,
    }
    // Down the cdr spine in a loop; only cars that are pairs wait on the stack (which is
    // then allocated).
    let mut stack: Vec<&Term> = Vec::new();
    let mut cur = Some(t);
    while let Some(t) = cur.or_else(|| stack.pop()) {
        cur = None;
        match s.walk(cells, t) {
            Term::Var(v) if *v == x => return true,
            Term::Pair(p) => {
                match s.walk(cells, p.car()) {
                    Term::Var(v) if *v == x => return true,
                    car @ Term::Pair(_) => stack.push(car),
                    _ => {}
                }
                cur = Some(p.cdr());
            }
            _ => {}
        }
    }
    false
}

/// Unifies each `(u, v)` pair in order, never binding in place (for constraint solving and
/// reification, which must not disturb the search); `None` when they cannot be made equal.
pub fn unify_all(pairs: &[(Term, Term)], s: &Subst, cells: &mut Cells) -> Option<(Subst, Added)> {
    let mut s = s.with_scope(NONLOCAL);
    let mut added = Vec::new();
    for (u, v) in pairs {
        if !unify_into(u, v, &mut s, cells, &mut added) {
            return None;
        }
    }
    Some((s, added))
}

/// Unifies `u` and `v` without binding in place.
pub fn unify(u: &Term, v: &Term, s: &Subst, cells: &mut Cells) -> Option<(Subst, Added)> {
    let mut s = s.with_scope(NONLOCAL);
    let mut added = Vec::new();
    unify_into(u, v, &mut s, cells, &mut added).then_some((s, added))
}

/// Unifies `u` and `v` into `s` (binding in place where its scope allows, see
/// [`Subst::bind`]), appending the new bindings to `added`. The explicit stack is only
/// allocated when both sides are pairs. On failure, bindings made in place are left behind:
/// they belong to variables no other branch can see, and this branch is dead.
pub fn unify_into(u: &Term, v: &Term, s: &mut Subst, cells: &mut Cells, added: &mut Added) -> bool {
    let mut stack = std::mem::take(&mut cells.pairs);
    stack.clear();
    let ok = unify_with(u, v, s, cells, added, &mut stack);
    stack.clear();
    cells.pairs = stack;
    ok
}

fn unify_with(
    u: &Term,
    v: &Term,
    s: &mut Subst,
    cells: &mut Cells,
    added: &mut Added,
    stack: &mut Vec<(Term, Term)>,
) -> bool {
    // The first pair is unified through the caller's references, and the walked terms
    // are classified while borrowed: a term is cloned only to be bound or to wait on the
    // stack (cloning both sides of every pair and dropping them again was 8 % of the
    // instructions of unification on `*o`).
    let mut cur: Option<(Term, Term)> = None;
    loop {
        let (a, b) = match &cur {
            Some((a, b)) => (a, b),
            None => (u, v),
        };
        let (wa, wb) = (s.walk(cells, a), s.walk(cells, b));
        let next = match (wa, wb) {
            (Term::Var(x), Term::Var(y)) if x == y => None,
            (Term::Var(x), Term::Var(y)) => {
                // The younger variable points at the older one.
                let (x, t) = if x > y { (*x, *y) } else { (*y, *x) };
                s.bind(cells, x, Term::Var(t));
                if !cells.quiet {
                    added.push((x, Term::Var(t)));
                }
                None
            }
            (Term::Var(x), t) | (t, Term::Var(x)) => {
                let (x, t) = (*x, t.clone());
                if occurs(x, &t, s, cells) {
                    return false;
                }
                if cells.quiet {
                    s.bind(cells, x, t);
                } else {
                    s.bind(cells, x, t.clone());
                    added.push((x, t));
                }
                None
            }
            (Term::Pair(p), Term::Pair(q)) => {
                if p.ptr_eq(q) {
                    None
                } else {
                    stack.push((p.cdr().clone(), q.cdr().clone()));
                    Some((p.car().clone(), q.car().clone()))
                }
            }
            (x, y) => {
                if !x.atom_eq(y) {
                    return false;
                }
                None
            }
        };
        cur = match next {
            Some(n) => Some(n),
            None => match stack.pop() {
                Some(n) => Some(n),
                None => return true,
            },
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subst::NO_CELLS;

    #[test]
    fn occurs_check_and_direction() {
        let s = Subst::new();
        let x = Term::Var(Var(0));
        let y = Term::Var(Var(1));
        assert!(unify(
            &x,
            &Term::cons(Term::Int(1), x.clone()),
            &s,
            &mut Cells::new()
        )
        .is_none());
        let (s2, added) = unify(&x, &y, &s, &mut Cells::new()).unwrap();
        assert_eq!(added[0].0, Var(1));
        assert!(s2.walk(&NO_CELLS, &y).is_eq(&x));
        let l1 = Term::list([x.clone(), Term::Int(2)]);
        let l2 = Term::list([Term::Int(1), y.clone()]);
        let (s3, added) = unify(&l1, &l2, &s, &mut Cells::new()).unwrap();
        assert_eq!(added.len(), 2);
        assert_eq!(s3.walk_star(&NO_CELLS, &l1).to_string(), "(1 2)");
    }

    #[test]
    fn deep_unify() {
        let mut a = Term::Var(Var(0));
        let mut b = Term::Nil;
        for i in 0..300_000 {
            a = Term::cons(Term::Int(i), a);
            b = Term::cons(Term::Int(i), b);
        }
        assert!(unify(&a, &b, &Subst::new(), &mut Cells::new()).is_some());
        let (s, _) = unify(
            &a,
            &Term::cons(Term::Int(299_999), Term::Var(Var(1))),
            &Subst::new(),
            &mut Cells::new(),
        )
        .unwrap();
        assert!(s.len() == 1);
    }
}
