//! Reification: turning an answer state into the term miniKanren prints.
//!
//! Variables are renamed `_.0`, `_.1`, … in order of first occurrence; the constraints that
//! still matter are appended as `(=/= …)`, `(num …)`/`(str …)`/`(sym …)` and `(absento …)`,
//! after the same clean-up faster-miniKanren performs: disequalities are normalised against
//! the final substitution, constraints on variables that do not appear in the answer are
//! dropped (they can always be satisfied), and constraints implied by others (a disequality
//! implied by a type, by an absento or by a stronger disequality; an absento implied by
//! another) are removed. Everything is then sorted in the community's canonical order, so
//! answers can be compared as text.

use std::cmp::Ordering;
use std::collections::HashMap;

use crate::constraint::{State, Type};
use crate::subst::{Cells, Subst, NO_CELLS};
use crate::term::{Term, Var};
use crate::unify::{occurs, unify_all};

/// One disequality: the bindings that would violate it.
type Diseq = Vec<(Var, Term)>;

/// The reified form of `q` in `st`.
pub fn reify(q: &Term, st: &State, cells: &mut Cells) -> Term {
    let s = &st.subst;
    let v = s.walk_star(cells, q);
    let mut order: Vec<Var> = Vec::new();
    let mut names: HashMap<Var, usize> = HashMap::new();
    v.for_each_var(|x| {
        if let std::collections::hash_map::Entry::Vacant(e) = names.entry(x) {
            e.insert(order.len());
            order.push(x);
        }
    });
    if order.is_empty() {
        // A ground answer: nothing to rename, and every constraint that could still be
        // shown is on a variable of the answer.
        return v;
    }
    let relevant = |x: Var| names.contains_key(&x);
    let ty_of = |x: Var| st.record(x).and_then(|r| r.ty);

    // Extract and normalise.
    let mut ds: Vec<Diseq> = Vec::new();
    let mut abs: Vec<(Term, Var)> = Vec::new();
    for &x in &order {
        let Some(rec) = st.record(x) else { continue };
        for d in rec.diseqs.iter() {
            let pairs: Vec<(Term, Term)> =
                d.iter().map(|(a, b)| (Term::Var(*a), b.clone())).collect();
            if let Some((_, added)) = unify_all(&pairs, s, cells) {
                ds.push(
                    added
                        .iter()
                        .map(|(a, b)| (*a, s.walk_star(cells, b)))
                        .collect(),
                );
            }
        }
        for a in rec.absent.iter() {
            abs.push((s.walk_star(cells, a), x));
        }
    }
    // Drop the irrelevant.
    let all_relevant = |t: &Term| {
        let mut ok = true;
        t.for_each_var(|x| ok &= relevant(x));
        ok
    };
    ds.retain(|d| d.iter().all(|(a, b)| relevant(*a) && all_relevant(b)));
    abs.retain(|(t, _)| all_relevant(t));

    // Drop the subsumed.
    let atomic = |x: Var| ty_of(x).is_some();
    let types_match = |x: Var, t: &Term| match ty_of(x) {
        None => true,
        Some(tx) => match t {
            Term::Var(y) => match ty_of(*y) {
                None => true,
                Some(ty) => tx == ty,
            },
            t => tx.holds(t),
        },
    };
    let kept_ds: Vec<Diseq> = ds
        .into_iter()
        .filter(|d| {
            let by_type = d.iter().any(|(x, t)| !types_match(*x, t));
            let by_absento = abs
                .iter()
                .any(|(t, x)| !atomic(*x) && diseq_subsumed_by(d, &[(*x, t.clone())]));
            !(by_type || by_absento)
        })
        .collect();
    let kept_ds = remove_subsumed(kept_ds, |a, b| diseq_subsumed_by(a, b));
    let kept_abs: Vec<(Term, Var)> = abs
        .into_iter()
        .filter(|(t, x)| !(atomic(*x) || occurs(*x, t, s, cells)))
        .collect();
    let kept_abs = remove_subsumed(kept_abs, |(t1, x1), (t2, x2)| x1 == x2 && t1.contains(t2));

    // Rename.
    let mut rn = Subst::new();
    for (i, &x) in order.iter().enumerate() {
        rn = rn.extend(x, Term::sym(&format!("_.{i}")));
    }
    let answer = rn.walk_star(&NO_CELLS, &v);
    let mut extra: Vec<Term> = Vec::new();

    let mut fd: Vec<Vec<(Term, Term)>> = kept_ds
        .iter()
        .map(|d| {
            let mut d: Vec<(Term, Term)> = d
                .iter()
                .map(|(x, t)| {
                    let (l, r) = (
                        rn.walk_star(&NO_CELLS, &Term::Var(*x)),
                        rn.walk_star(&NO_CELLS, t),
                    );
                    if is_reified_var(&r) && sym_less(&r, &l) {
                        (r, l)
                    } else {
                        (l, r)
                    }
                })
                .collect();
            d.sort_by(lex_pair);
            d
        })
        .collect();
    fd.sort_by(|a, b| {
        let ta = Term::list(
            a.iter()
                .map(|(l, r)| Term::cons(l.clone(), r.clone()))
                .collect::<Vec<_>>(),
        );
        let tb = Term::list(
            b.iter()
                .map(|(l, r)| Term::cons(l.clone(), r.clone()))
                .collect::<Vec<_>>(),
        );
        lex_compare(&ta, &tb)
    });
    if !fd.is_empty() {
        let items: Vec<Term> = fd
            .into_iter()
            .map(|d| {
                Term::list(
                    d.into_iter()
                        .map(|(l, r)| Term::list([l, r]))
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        extra.push(Term::cons(Term::sym("=/="), Term::list(items)));
    }
    for ty in [Type::Num, Type::Str, Type::Sym] {
        let mut vs: Vec<Term> = order
            .iter()
            .filter(|x| ty_of(**x) == Some(ty))
            .map(|x| rn.walk_star(&NO_CELLS, &Term::Var(*x)))
            .collect();
        if !vs.is_empty() {
            vs.sort_by(lex_compare);
            extra.push(Term::cons(Term::sym(ty.reified()), Term::list(vs)));
        }
    }
    if !kept_abs.is_empty() {
        let mut fa: Vec<(Term, Term)> = kept_abs
            .iter()
            .map(|(t, x)| {
                (
                    rn.walk_star(&NO_CELLS, t),
                    rn.walk_star(&NO_CELLS, &Term::Var(*x)),
                )
            })
            .collect();
        fa.sort_by(lex_pair);
        let items: Vec<Term> = fa.into_iter().map(|(l, r)| Term::list([l, r])).collect();
        extra.push(Term::cons(Term::sym("absento"), Term::list(items)));
    }
    if extra.is_empty() {
        answer
    } else {
        Term::cons(answer, Term::list(extra))
    }
}

/// `d1` is implied by `d2`: whenever `d1` would be violated, so would `d2`.
fn diseq_subsumed_by(d1: &[(Var, Term)], d2: &[(Var, Term)]) -> bool {
    let p1: Vec<(Term, Term)> = d1.iter().map(|(a, b)| (Term::Var(*a), b.clone())).collect();
    let Some((s, _)) = unify_all(&p1, &Subst::new(), &mut Cells::new()) else {
        return false;
    };
    let p2: Vec<(Term, Term)> = d2.iter().map(|(a, b)| (Term::Var(*a), b.clone())).collect();
    matches!(unify_all(&p2, &s, &mut Cells::new()), Some((_, added)) if added.is_empty())
}

/// Keeps the elements not subsumed by a later element or by one already kept.
fn remove_subsumed<T>(items: Vec<T>, by: impl Fn(&T, &T) -> bool) -> Vec<T> {
    let mut result: Vec<T> = Vec::new();
    let mut rest = items.into_iter().collect::<std::collections::VecDeque<T>>();
    while let Some(el) = rest.pop_front() {
        if rest.iter().any(|o| by(&el, o)) || result.iter().any(|o| by(&el, o)) {
            continue;
        }
        result.insert(0, el);
    }
    result
}

fn is_reified_var(t: &Term) -> bool {
    matches!(t, Term::Sym(s) if s.name().starts_with('_'))
}

fn sym_less(a: &Term, b: &Term) -> bool {
    match (a, b) {
        (Term::Sym(x), Term::Sym(y)) => *x.name() < *y.name(),
        _ => false,
    }
}

fn lex_pair(a: &(Term, Term), b: &(Term, Term)) -> Ordering {
    lex_compare(
        &Term::cons(a.0.clone(), a.1.clone()),
        &Term::cons(b.0.clone(), b.1.clone()),
    )
}

fn type_rank(t: &Term) -> u8 {
    match t {
        Term::Int(_) => 0,
        Term::Str(_) => 1,
        Term::Sym(_) => 2,
        Term::Bool(false) => 3,
        Term::Bool(true) => 4,
        Term::Nil => 5,
        Term::Pair(_) => 6,
        Term::Var(_) => 7,
    }
}

/// The canonical order of reified terms: numbers < strings < symbols < #f < #t < () < pairs.
pub fn lex_compare(a: &Term, b: &Term) -> Ordering {
    let mut stack = vec![(a, b)];
    while let Some((a, b)) = stack.pop() {
        let (ra, rb) = (type_rank(a), type_rank(b));
        if ra != rb {
            return ra.cmp(&rb);
        }
        let o = match (a, b) {
            (Term::Int(x), Term::Int(y)) => x.cmp(y),
            (Term::Str(x), Term::Str(y)) => x.cmp(y),
            (Term::Sym(x), Term::Sym(y)) => x.name().cmp(&y.name()),
            (Term::Var(x), Term::Var(y)) => x.cmp(y),
            (Term::Pair(x), Term::Pair(y)) => {
                stack.push((x.cdr(), y.cdr()));
                stack.push((x.car(), y.car()));
                Ordering::Equal
            }
            _ => Ordering::Equal,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}
