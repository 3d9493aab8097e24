//! The substitution: a persistent map from variables to terms, and `walk`.
//!
//! Variables are dense integers handed out in order, so the map is a persistent radix trie
//! keyed by the variable's index (16-way, path copying): lookup is a handful of pointer hops
//! with no hashing, and extending it copies one short path, so every branch of the search
//! keeps its own substitution for free. faster-miniKanren makes the same choice (an intmap
//! keyed by variable index); a triangular association list was the classic alternative and
//! walks in time linear in the number of bindings.

use std::rc::Rc;

use crate::term::{Term, Var};

const BITS: u32 = 4;
const WIDTH: usize = 1 << BITS;
const MASK: u32 = (WIDTH as u32) - 1;

type Kids<V> = [Option<Rc<Node<V>>>; WIDTH];

/// Interior nodes hold children; the bottom level holds the values themselves (one
/// allocation per path level, none per value).
enum Node<V> {
    Branch(Kids<V>),
    Leaves([Option<V>; WIDTH]),
}

/// A persistent map from `u32` keys to values.
pub struct IntMap<V> {
    root: Option<Rc<Node<V>>>,
    /// The shift of the root's digit; keys up to `1 << (shift + BITS)` fit.
    shift: u32,
    len: u32,
}

impl<V> Clone for IntMap<V> {
    fn clone(&self) -> Self {
        IntMap {
            root: self.root.clone(),
            shift: self.shift,
            len: self.len,
        }
    }
}

impl<V> Default for IntMap<V> {
    fn default() -> Self {
        IntMap {
            root: None,
            shift: 0,
            len: 0,
        }
    }
}

fn empty_branch<V>() -> [Option<Rc<Node<V>>>; WIDTH] {
    std::array::from_fn(|_| None)
}

impl<V: Clone> IntMap<V> {
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of keys bound.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, key: u32) -> Option<&V> {
        if self.shift + BITS < 32 && key >> (self.shift + BITS) != 0 {
            return None;
        }
        let mut node = self.root.as_deref()?;
        let mut shift = self.shift;
        loop {
            let idx = ((key >> shift) & MASK) as usize;
            match node {
                Node::Leaves(vals) => return vals[idx].as_ref(),
                Node::Branch(kids) => {
                    node = kids[idx].as_deref()?;
                    shift = shift.checked_sub(BITS)?;
                }
            }
        }
    }

    fn insert_at(
        node: Option<&Rc<Node<V>>>,
        shift: u32,
        key: u32,
        value: V,
        added: &mut bool,
    ) -> Rc<Node<V>> {
        let idx = ((key >> shift) & MASK) as usize;
        if shift == 0 {
            let mut vals: [Option<V>; WIDTH] = match node.map(|n| &**n) {
                Some(Node::Leaves(v)) => v.clone(),
                _ => std::array::from_fn(|_| None),
            };
            *added = vals[idx].is_none();
            vals[idx] = Some(value);
            return Rc::new(Node::Leaves(vals));
        }
        let mut kids: Kids<V> = match node.map(|n| &**n) {
            Some(Node::Branch(k)) => k.clone(),
            _ => empty_branch(),
        };
        let child = Self::insert_at(kids[idx].as_ref(), shift - BITS, key, value, added);
        kids[idx] = Some(child);
        Rc::new(Node::Branch(kids))
    }

    /// A map with `key` bound to `value` (replacing any old binding).
    pub fn insert(&self, key: u32, value: V) -> Self {
        let mut root = self.root.clone();
        let mut shift = self.shift;
        if root.is_none() {
            shift = 0;
        }
        while shift + BITS < 32 && key >> (shift + BITS) != 0 {
            if let Some(r) = root.take() {
                let mut kids = empty_branch();
                kids[0] = Some(r);
                root = Some(Rc::new(Node::Branch(kids)));
            }
            shift += BITS;
        }
        // Copy the path from the root down to the leaf. The recursion is bounded by the
        // key width (at most 8 levels), not by any input.
        let mut added = true;
        let built = Some(Self::insert_at(
            root.as_ref(),
            shift,
            key,
            value,
            &mut added,
        ));
        IntMap {
            root: built,
            shift,
            len: self.len.saturating_add(u32::from(added)),
        }
    }
}

/// Variables bound to terms.
#[derive(Clone, Default)]
pub struct Subst {
    map: IntMap<Term>,
}

impl Subst {
    pub fn new() -> Subst {
        Subst::default()
    }

    /// The number of bindings.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn lookup(&self, v: Var) -> Option<&Term> {
        self.map.get(v.0)
    }

    /// Binds `v` (which must be unbound) to `t`.
    pub fn extend(&self, v: Var, t: Term) -> Subst {
        Subst {
            map: self.map.insert(v.0, t),
        }
    }

    /// Follows variable bindings until reaching a non-variable or an unbound variable.
    pub fn walk<'a>(&'a self, t: &'a Term) -> &'a Term {
        let mut t = t;
        while let Term::Var(v) = t {
            match self.map.get(v.0) {
                Some(next) => t = next,
                None => break,
            }
        }
        t
    }

    /// The term with every bound variable replaced by its value, at any depth (iterative).
    pub fn walk_star(&self, t: &Term) -> Term {
        // Post-order rebuild with an explicit stack.
        enum Job<'a> {
            Visit(&'a Term),
            Build(&'a Term),
        }
        let mut jobs = vec![Job::Visit(t)];
        let mut out: Vec<Term> = Vec::new();
        while let Some(job) = jobs.pop() {
            match job {
                Job::Visit(t) => {
                    let t = self.walk(t);
                    match t {
                        Term::Pair(p) => {
                            jobs.push(Job::Build(t));
                            jobs.push(Job::Visit(p.cdr()));
                            jobs.push(Job::Visit(p.car()));
                        }
                        other => out.push(other.clone()),
                    }
                }
                Job::Build(orig) => {
                    let d = out.pop().unwrap_or(Term::Nil);
                    let a = out.pop().unwrap_or(Term::Nil);
                    // Keep sharing when nothing changed underneath.
                    if let Term::Pair(p) = orig {
                        if p.car().is_eq(&a) && p.cdr().is_eq(&d) {
                            out.push(orig.clone());
                            continue;
                        }
                    }
                    out.push(Term::cons(a, d));
                }
            }
        }
        out.pop().unwrap_or(Term::Nil)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intmap_is_persistent() {
        let mut m = IntMap::new();
        let mut olds = Vec::new();
        for k in 0..5000u32 {
            olds.push(m.clone());
            m = m.insert(k * 7 % 5003, k);
        }
        assert_eq!(m.len(), 5000);
        for k in 0..5000u32 {
            assert_eq!(m.get(k * 7 % 5003), Some(&k));
        }
        assert_eq!(olds[10].len(), 10);
        assert_eq!(olds[10].get(70), None);
        assert_eq!(m.insert(0, 9).get(0), Some(&9));
        assert_eq!(m.get(u32::MAX), None);
        let big = IntMap::new().insert(u32::MAX, 1).insert(3, 2);
        assert_eq!(big.get(u32::MAX), Some(&1));
        assert_eq!(big.get(3), Some(&2));
    }

    #[test]
    fn walk_star_deep() {
        let mut s = Subst::new();
        let mut t = Term::Var(Var(0));
        for i in 0..200_000u32 {
            s = s.extend(
                Var(i),
                Term::cons(Term::Int(i as i64), Term::Var(Var(i + 1))),
            );
        }
        s = s.extend(Var(200_000), Term::Nil);
        t = s.walk_star(&t);
        assert!(t.to_string().starts_with("(0 1 2 3"));
    }
}
