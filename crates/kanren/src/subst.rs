//! The substitution: a persistent map from variables to terms, variables bound in place,
//! and `walk`.
//!
//! Two stores hold bindings, as in faster-miniKanren:
//!
//! - [`Cells`], one per search: a slot per variable, written *in place*. A variable may be
//!   bound there when the state binding it is in the same *scope* as the one the variable
//!   was created in, i.e. no `conde` has branched since the variable was made. Then no
//!   other branch of the search can hold the variable (branches only split at a `conde`,
//!   which gives every state flowing through it a new scope), so the write is seen by
//!   nobody else. This is faster-miniKanren's `set-var-val!` trick; it removes most
//!   substitution writes. The price: a slot per variable for the whole search, kept even
//!   when the branch that made it has died (faster-miniKanren's garbage collector would
//!   reclaim it; here `Limits::max_vars` bounds it).
//! - [`IntMap`], persistent and per state: every other binding. Variables are dense
//!   integers, so it is a trie on the variable's index, least significant digit first,
//!   16-way, with nodes only as long as their highest used slot and keys stored in leaves
//!   (a leaf sits at the shallowest level where its key is alone). Its depth grows with the
//!   number of bindings it holds, not with the largest variable index; an insert copies one
//!   short path. (faster-miniKanren's `mk-vicare.scm` trie has the same shape. The previous
//!   map here was keyed most significant digit first with full 16-slot nodes: every insert
//!   copied `log16(#variables)` full nodes, 24 % of the instructions on `*o`.)

use std::rc::Rc;

use crate::term::{Term, Var};

const BITS: u32 = 4;
const WIDTH: u32 = 1 << BITS;
const MASK: u32 = WIDTH - 1;

/// One slot of a trie node.
enum Entry<V> {
    Empty,
    /// A value and what is left of its key below this level.
    Leaf(u32, V),
    Node(Rc<[Entry<V>]>),
}

impl<V: Clone> Clone for Entry<V> {
    fn clone(&self) -> Self {
        match self {
            Entry::Empty => Entry::Empty,
            Entry::Leaf(k, v) => Entry::Leaf(*k, v.clone()),
            Entry::Node(n) => Entry::Node(Rc::clone(n)),
        }
    }
}

/// A persistent map from `u32` keys to values. Two words: states, which hold two maps, are
/// moved around the search a lot.
pub struct IntMap<V> {
    root: Option<Rc<[Entry<V>]>>,
}

impl<V> Clone for IntMap<V> {
    fn clone(&self) -> Self {
        IntMap {
            root: self.root.clone(),
        }
    }
}

impl<V> Default for IntMap<V> {
    fn default() -> Self {
        IntMap { root: None }
    }
}

impl<V: Clone> IntMap<V> {
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of keys bound (counted: for tests and diagnostics).
    pub fn len(&self) -> usize {
        fn count<V>(node: &[Entry<V>]) -> usize {
            // Recursion bounded by the key width (8 levels).
            node.iter()
                .map(|e| match e {
                    Entry::Empty => 0,
                    Entry::Leaf(..) => 1,
                    Entry::Node(n) => count(n),
                })
                .sum()
        }
        self.root.as_deref().map_or(0, count)
    }

    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    pub fn get(&self, key: u32) -> Option<&V> {
        let mut node: &[Entry<V>] = self.root.as_deref()?;
        let mut k = key;
        loop {
            match node.get((k & MASK) as usize)? {
                Entry::Empty => return None,
                Entry::Leaf(rest, v) => return (*rest == k >> BITS).then_some(v),
                Entry::Node(n) => {
                    node = n;
                    k >>= BITS;
                }
            }
        }
    }

    /// A copy of `node` (empty if `None`) with slot `k & MASK` set to what `f` makes of the
    /// old entry there.
    fn with_slot(
        node: Option<&[Entry<V>]>,
        k: u32,
        f: impl FnOnce(Option<&Entry<V>>) -> Entry<V>,
    ) -> Rc<[Entry<V>]> {
        let old: &[Entry<V>] = node.unwrap_or(&[]);
        let i = (k & MASK) as usize;
        let len = old.len().max(i + 1);
        let mut new = Some(f(old.get(i)));
        // One allocation: `Range::map` has an exact length.
        (0..len)
            .map(|j| {
                if j == i {
                    new.take().unwrap_or(Entry::Empty)
                } else {
                    old.get(j).cloned().unwrap_or(Entry::Empty)
                }
            })
            .collect()
    }

    /// `node` with `k` bound to `value`. Recursion is bounded by the key width (at most 8
    /// levels), not by any input.
    fn insert_at(node: Option<&[Entry<V>]>, k: u32, value: V) -> Rc<[Entry<V>]> {
        let rest = k >> BITS;
        Self::with_slot(node, k, |old| match old {
            None | Some(Entry::Empty) => Entry::Leaf(rest, value),
            Some(Entry::Leaf(r, _)) if *r == rest => Entry::Leaf(rest, value),
            Some(Entry::Leaf(r, v)) => {
                // Two keys share this slot: push the old one down a level.
                let below = Self::with_slot(None, *r, |_| Entry::Leaf(*r >> BITS, v.clone()));
                Entry::Node(Self::insert_at(Some(&below), rest, value))
            }
            Some(Entry::Node(n)) => Entry::Node(Self::insert_at(Some(n), rest, value)),
        })
    }

    /// A map with `key` bound to `value` (replacing any old binding).
    pub fn insert(&self, key: u32, value: V) -> Self {
        IntMap {
            root: Some(Self::insert_at(self.root.as_deref(), key, value)),
        }
    }

    /// Binds `key` to `value` in this map. Nodes that no other map shares are written in
    /// place; shared ones are copied first (path copying, as [`IntMap::insert`]). A search
    /// state is often the only owner of the nodes it wrote since the last `conde`, so many
    /// writes copy little (measured: 5 % fewer instructions in all on `*o` than always
    /// copying the path).
    pub fn insert_mut(&mut self, key: u32, value: V) {
        let mut cur: &mut Rc<[Entry<V>]> = self.root.get_or_insert_with(|| Rc::from(Vec::new()));
        let mut k = key;
        loop {
            let i = (k & MASK) as usize;
            let rest = k >> BITS;
            let Some(e) = Self::own(cur, i + 1).get_mut(i) else {
                return;
            };
            match e {
                Entry::Empty => {
                    *e = Entry::Leaf(rest, value);
                    return;
                }
                Entry::Leaf(r, v) if *r == rest => {
                    *v = value;
                    return;
                }
                Entry::Leaf(..) => {
                    // Two keys share this slot: push the old one down a level.
                    if let Entry::Leaf(r, v) = std::mem::replace(e, Entry::Empty) {
                        *e = Entry::Node(Self::with_slot(None, r, |_| Entry::Leaf(r >> BITS, v)));
                    }
                }
                Entry::Node(_) => {}
            }
            match e {
                Entry::Node(n) => cur = n,
                _ => return,
            }
            k = rest;
        }
    }

    /// `node`'s entries, made this map's own (copied if shared) and at least `len` long.
    fn own(node: &mut Rc<[Entry<V>]>, len: usize) -> &mut [Entry<V>] {
        if Rc::get_mut(node).is_none_or(|n| n.len() < len) {
            let old: &[Entry<V>] = node;
            // Usually the node is long enough and only shared: a plain slice copy (a
            // tighter loop than filling in missing slots).
            let copy: Rc<[Entry<V>]> = if old.len() >= len {
                Rc::from(old)
            } else {
                (0..len)
                    .map(|j| old.get(j).cloned().unwrap_or(Entry::Empty))
                    .collect()
            };
            *node = copy;
        }
        Rc::get_mut(node).unwrap_or(&mut [])
    }
}

/// A scope: states that have not branched since a variable was created share its scope.
pub type Scope = u64;

/// The scope of substitutions that must never write in place (disequality solving,
/// reification): no variable is created in it.
pub const NONLOCAL: Scope = Scope::MAX;

/// A variable's slot: the scope it was created in and its in-place value.
#[derive(Clone)]
struct Slot {
    scope: Scope,
    val: Option<Term>,
}

/// The variables of one search, with the values bound to them in place.
#[derive(Clone, Default)]
pub struct Cells {
    slots: Vec<Slot>,
    /// Scratch stacks for unification, kept to reuse their allocations.
    pub(crate) pairs: Vec<(Term, Term)>,
    pub(crate) added: Vec<(Var, Term)>,
    /// Scratch for unifying templates ([`crate::goal::Tpl::unify_into`]).
    pub(crate) spans: Vec<u32>,
    pub(crate) open: Vec<u32>,
    pub(crate) work: Vec<(u32, Term)>,
    /// Whether unification lists the bindings it adds (see [`crate::unify::Added`]): not
    /// when the state has no constraints to wake (a clone, a push and a drop per binding).
    pub(crate) quiet: bool,
}

/// The most slots [`Cells::clear`] keeps allocated (24 MiB).
const KEPT_SLOTS: usize = 1 << 20;

/// No variables: for substitutions that never met a search (tests, reification's renaming).
pub const NO_CELLS: Cells = Cells {
    slots: Vec::new(),
    pairs: Vec::new(),
    added: Vec::new(),
    spans: Vec::new(),
    open: Vec::new(),
    work: Vec::new(),
    quiet: false,
};

impl Cells {
    pub fn new() -> Cells {
        Cells::default()
    }

    /// Forgets every variable, keeping the allocations (for the next search).
    pub(crate) fn clear(&mut self) {
        self.slots.clear();
        // A search's slots are kept for the next one (see `stream::Spares`), but not the
        // slots of a huge one: at most this many (24 bytes each) stay allocated.
        self.slots.shrink_to(KEPT_SLOTS);
        self.pairs.clear();
        self.added.clear();
        self.spans.clear();
        self.open.clear();
        self.work.clear();
    }

    /// The number of variables created.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Creates `n` variables in `scope`; returns the first.
    pub fn fresh(&mut self, n: usize, scope: Scope) -> Var {
        let base = Var(self.slots.len() as u32);
        self.slots.extend((0..n).map(|_| Slot { scope, val: None }));
        base
    }

    /// The value bound in place to `v`, if any.
    #[inline]
    pub fn get(&self, v: Var) -> Option<&Term> {
        self.slots.get(v.0 as usize)?.val.as_ref()
    }
}

/// Variables bound to terms.
#[derive(Clone)]
pub struct Subst {
    map: IntMap<Term>,
    /// This state's scope; see [`Cells`].
    pub scope: Scope,
}

impl Default for Subst {
    /// The empty substitution in [`NONLOCAL`] scope: it never binds in place.
    fn default() -> Self {
        Subst {
            map: IntMap::new(),
            scope: NONLOCAL,
        }
    }
}

impl Subst {
    pub fn new() -> Subst {
        Subst::default()
    }

    /// The number of bindings in the map (bindings made in place are not counted).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The same bindings in another scope.
    pub fn with_scope(&self, scope: Scope) -> Subst {
        Subst {
            map: self.map.clone(),
            scope,
        }
    }

    #[inline]
    pub fn lookup<'a>(&'a self, cells: &'a Cells, v: Var) -> Option<&'a Term> {
        match cells.slots.get(v.0 as usize) {
            Some(Slot { val: Some(t), .. }) => Some(t),
            // A variable still in the scope it was created in was never bound in the map.
            Some(Slot { scope, .. }) if *scope == self.scope => None,
            _ => self.map.get(v.0),
        }
    }

    /// Binds `v` (which must be unbound) to `t`: in place when `v` is of this scope.
    pub fn bind(&mut self, cells: &mut Cells, v: Var, t: Term) {
        if let Some(slot) = cells.slots.get_mut(v.0 as usize) {
            if slot.scope == self.scope {
                slot.val = Some(t);
                return;
            }
        }
        self.map.insert_mut(v.0, t);
    }

    /// Binds `v` to `t` in the map, whatever the scope.
    pub fn extend(&self, v: Var, t: Term) -> Subst {
        Subst {
            map: self.map.insert(v.0, t),
            scope: self.scope,
        }
    }

    /// Follows variable bindings until reaching a non-variable or an unbound variable.
    #[inline]
    pub fn walk<'a>(&'a self, cells: &'a Cells, t: &'a Term) -> &'a Term {
        let mut t = t;
        while let Term::Var(v) = t {
            match self.lookup(cells, *v) {
                Some(next) => t = next,
                None => break,
            }
        }
        t
    }

    /// The term with every bound variable replaced by its value, at any depth (iterative).
    pub fn walk_star(&self, cells: &Cells, t: &Term) -> Term {
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
                    let t = self.walk(cells, t);
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
        assert_eq!(m.insert(0, 9).len(), 5000);
        assert_eq!(m.get(u32::MAX), None);
        let big = IntMap::new().insert(u32::MAX, 1).insert(3, 2);
        assert_eq!(big.get(u32::MAX), Some(&1));
        assert_eq!(big.get(3), Some(&2));
        assert_eq!(big.get(u32::MAX - 16), None);
        let two = IntMap::new().insert(0, 1).insert(1 << 28, 2);
        assert_eq!(
            (two.get(0), two.get(1 << 28), two.get(1 << 24)),
            (Some(&1), Some(&2), None)
        );
    }

    #[test]
    fn binds_in_place_only_in_scope() {
        let mut cells = Cells::new();
        let x = cells.fresh(2, 0);
        let y = Var(x.0 + 1);
        let mut s = Subst::new().with_scope(0);
        s.bind(&mut cells, x, Term::Int(1));
        assert!(s.is_empty());
        let mut s2 = s.with_scope(1);
        s2.bind(&mut cells, y, Term::Int(2));
        assert_eq!(s2.len(), 1);
        assert!(s.lookup(&cells, y).is_none());
        assert!(s2.walk(&cells, &Term::Var(y)).equal(&Term::Int(2)));
        assert!(s2.walk(&cells, &Term::Var(x)).equal(&Term::Int(1)));
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
        t = s.walk_star(&NO_CELLS, &t);
        assert!(t.to_string().starts_with("(0 1 2 3"));
    }
}
