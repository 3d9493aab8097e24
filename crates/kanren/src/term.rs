//! Terms: the values logic variables range over.
//!
//! A term is 16 bytes: atoms are stored inline (symbols are interned to a `u32`), pairs are
//! reference-counted so that a substitution, a pending goal and an answer can all share the
//! same structure without copying. Dropping a long list is iterative (see [`Pair`]'s `Drop`),
//! so a million-element list built by a relation cannot overflow the stack when it dies.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::mem::ManuallyDrop;
use std::rc::Rc;

/// A logic variable: an index handed out in allocation order (the order matters, as in
/// faster-miniKanren: when two variables are unified the younger one points at the older).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Var(pub u32);

/// An interned symbol. Interning is per thread; symbols compare by index.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Sym(u32);

#[derive(Default)]
struct Interner {
    ids: HashMap<Rc<str>, u32>,
    names: Vec<Rc<str>>,
}

thread_local! {
    static SYMS: RefCell<Interner> = RefCell::new(Interner::default());
}

impl Sym {
    /// The symbol with this name.
    pub fn new(name: &str) -> Sym {
        SYMS.with(|s| {
            let mut s = s.borrow_mut();
            if let Some(&id) = s.ids.get(name) {
                return Sym(id);
            }
            let id = s.names.len() as u32;
            let rc: Rc<str> = Rc::from(name);
            s.names.push(rc.clone());
            s.ids.insert(rc, id);
            Sym(id)
        })
    }

    /// The symbol's name.
    pub fn name(self) -> Rc<str> {
        SYMS.with(|s| {
            s.borrow()
                .names
                .get(self.0 as usize)
                .cloned()
                .unwrap_or_else(|| Rc::from("?"))
        })
    }
}

/// A miniKanren term.
///
/// `repr(C)`: the tag is a 4-byte word and the payload sits at offset 8 in every variant.
/// With Rust's own layout (a 1-byte tag, `Bool` at offset 1, `Var`/`Sym` at 4) a term was
/// copied in 1-, 2-, 4- and 8-byte pieces, some overlapping, and read back whole, stalling
/// on store forwarding in unification (`perf annotate`). With the search's enums made
/// `repr(C)` too (see `stream`), every benchmark but appendo got 21–26 % faster. Same
/// size, and `Option<Term>` still uses a spare tag value.
#[derive(Clone)]
#[repr(C)]
pub enum Term {
    Var(Var),
    Sym(Sym),
    Int(i64),
    /// A string (behind a thin pointer, so that a term is two words).
    Str(Rc<String>),
    Bool(bool),
    Nil,
    Pair(Pair),
}

// Terms travel everywhere (frames, tries, pairs): keep them two words.
const _: () = assert!(std::mem::size_of::<Term>() == 16);
const _: () = assert!(std::mem::size_of::<Option<Term>>() == 16);

/// A shared cons cell. `ManuallyDrop` lets `Drop` take the `Rc` out and free long spines
/// with an explicit stack instead of recursion.
pub struct Pair(ManuallyDrop<Rc<(Term, Term)>>);

impl Clone for Pair {
    fn clone(&self) -> Self {
        Pair(ManuallyDrop::new(Rc::clone(&self.0)))
    }
}

impl Pair {
    pub fn car(&self) -> &Term {
        &self.0 .0
    }
    pub fn cdr(&self) -> &Term {
        &self.0 .1
    }
    /// Whether two pairs are the same cell (Scheme's `eq?`).
    pub fn ptr_eq(&self, other: &Pair) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
    fn steal(mut self) -> Rc<(Term, Term)> {
        // SAFETY: the Rc is moved out exactly once and `self` is forgotten, so the
        // `ManuallyDrop` is never used (or dropped) again.
        let rc = unsafe { ManuallyDrop::take(&mut self.0) };
        std::mem::forget(self);
        rc
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        // SAFETY: `drop` runs once; the field is not touched afterwards.
        let rc = unsafe { ManuallyDrop::take(&mut self.0) };
        let Ok(cell) = Rc::try_unwrap(rc) else { return };
        let mut pending: Vec<(Term, Term)> = Vec::new();
        let mut cur = cell;
        loop {
            let (a, b) = cur;
            for t in [a, b] {
                if let Term::Pair(p) = t {
                    if let Ok(c) = Rc::try_unwrap(p.steal()) {
                        pending.push(c);
                    }
                }
            }
            match pending.pop() {
                Some(c) => cur = c,
                None => break,
            }
        }
    }
}

impl Term {
    pub fn sym(name: &str) -> Term {
        Term::Sym(Sym::new(name))
    }
    pub fn str(s: &str) -> Term {
        Term::Str(Rc::new(s.to_string()))
    }
    pub fn cons(a: Term, d: Term) -> Term {
        Term::Pair(Pair(ManuallyDrop::new(Rc::new((a, d)))))
    }
    /// A proper list of the given elements.
    pub fn list<I>(items: I) -> Term
    where
        I: IntoIterator<Item = Term>,
        I::IntoIter: DoubleEndedIterator,
    {
        Term::list_with_tail(items, Term::Nil)
    }
    /// A list of the given elements ending in `tail`.
    pub fn list_with_tail<I>(items: I, tail: Term) -> Term
    where
        I: IntoIterator<Item = Term>,
        I::IntoIter: DoubleEndedIterator,
    {
        let mut t = tail;
        for x in items.into_iter().rev() {
            t = Term::cons(x, t);
        }
        t
    }
    pub fn is_var(&self) -> bool {
        matches!(self, Term::Var(_))
    }
    pub fn as_var(&self) -> Option<Var> {
        match self {
            Term::Var(v) => Some(*v),
            _ => None,
        }
    }

    /// Scheme's `eq?` as faster-miniKanren relies on it: atoms by value, pairs by identity.
    pub fn is_eq(&self, other: &Term) -> bool {
        match (self, other) {
            (Term::Pair(a), Term::Pair(b)) => a.ptr_eq(b),
            _ => self.atom_eq(other),
        }
    }

    /// Equality of atoms (and of variables); `false` for pairs.
    pub fn atom_eq(&self, other: &Term) -> bool {
        match (self, other) {
            (Term::Var(a), Term::Var(b)) => a == b,
            (Term::Sym(a), Term::Sym(b)) => a == b,
            (Term::Int(a), Term::Int(b)) => a == b,
            (Term::Str(a), Term::Str(b)) => a == b,
            (Term::Bool(a), Term::Bool(b)) => a == b,
            (Term::Nil, Term::Nil) => true,
            _ => false,
        }
    }

    /// Calls `f` on every variable in the term, left to right (car before cdr).
    pub fn for_each_var(&self, mut f: impl FnMut(Var)) {
        let mut stack = vec![self];
        while let Some(t) = stack.pop() {
            match t {
                Term::Var(v) => f(*v),
                Term::Pair(p) => {
                    stack.push(p.cdr());
                    stack.push(p.car());
                }
                _ => {}
            }
        }
    }

    /// Structural equality (Scheme's `equal?`), iterative.
    pub fn equal(&self, other: &Term) -> bool {
        let mut stack = vec![(self, other)];
        while let Some((a, b)) = stack.pop() {
            match (a, b) {
                (Term::Pair(x), Term::Pair(y)) => {
                    if !x.ptr_eq(y) {
                        stack.push((x.cdr(), y.cdr()));
                        stack.push((x.car(), y.car()));
                    }
                }
                _ => {
                    if !a.atom_eq(b) {
                        return false;
                    }
                }
            }
        }
        true
    }

    /// Whether `needle` occurs (by `equal`) anywhere inside `self`, `self` included.
    pub fn contains(&self, needle: &Term) -> bool {
        let mut stack = vec![self];
        while let Some(t) = stack.pop() {
            if t.equal(needle) {
                return true;
            }
            if let Term::Pair(p) = t {
                stack.push(p.cdr());
                stack.push(p.car());
            }
        }
        false
    }
}

impl PartialEq for Term {
    fn eq(&self, other: &Self) -> bool {
        self.equal(other)
    }
}

impl From<i64> for Term {
    fn from(n: i64) -> Term {
        Term::Int(n)
    }
}
impl From<bool> for Term {
    fn from(b: bool) -> Term {
        Term::Bool(b)
    }
}
impl From<&str> for Term {
    /// A symbol.
    fn from(s: &str) -> Term {
        Term::sym(s)
    }
}

/// How variables are written when a term is printed.
#[derive(Clone, Copy)]
pub(crate) enum VarStyle {
    /// `#(var 12)`: unreified variables, in choice points.
    Raw,
}

fn write_string(f: &mut dyn fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

/// Writes a term as Scheme's `write` does (without the `'x` abbreviation), iteratively.
pub(crate) fn write_term(f: &mut dyn fmt::Write, t: &Term, style: VarStyle) -> fmt::Result {
    enum Job<'a> {
        Term(&'a Term),
        /// Continue a list whose remaining spine is this term.
        Tail(&'a Term),
        Str(&'static str),
    }
    let mut stack = vec![Job::Term(t)];
    while let Some(job) = stack.pop() {
        match job {
            Job::Str(s) => f.write_str(s)?,
            Job::Term(t) => match t {
                Term::Var(v) => match style {
                    VarStyle::Raw => write!(f, "#(var {})", v.0)?,
                },
                Term::Sym(s) => f.write_str(&s.name())?,
                Term::Int(n) => write!(f, "{n}")?,
                Term::Str(s) => write_string(f, s)?,
                Term::Bool(true) => f.write_str("#t")?,
                Term::Bool(false) => f.write_str("#f")?,
                Term::Nil => f.write_str("()")?,
                Term::Pair(p) => {
                    f.write_char('(')?;
                    stack.push(Job::Tail(p.cdr()));
                    stack.push(Job::Term(p.car()));
                }
            },
            Job::Tail(t) => match t {
                Term::Nil => f.write_char(')')?,
                Term::Pair(p) => {
                    f.write_char(' ')?;
                    stack.push(Job::Tail(p.cdr()));
                    stack.push(Job::Term(p.car()));
                }
                other => {
                    f.write_str(" . ")?;
                    stack.push(Job::Str(")"));
                    stack.push(Job::Term(other));
                }
            },
        }
    }
    Ok(())
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_term(f, self, VarStyle::Raw)
    }
}

impl fmt::Debug for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_term(f, self, VarStyle::Raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_scheme() {
        let t = Term::list_with_tail(
            [Term::Int(1), Term::sym("a"), Term::str("x\"y")],
            Term::Int(3),
        );
        assert_eq!(t.to_string(), "(1 a \"x\\\"y\" . 3)");
        let t = Term::list([Term::Nil, Term::Bool(true), Term::list([Term::Bool(false)])]);
        assert_eq!(t.to_string(), "(() #t (#f))");
    }

    #[test]
    fn deep_lists_drop_and_print_without_overflow() {
        let mut t = Term::Nil;
        for i in 0..1_000_000 {
            t = Term::cons(Term::Int(i), t);
        }
        assert!(t.to_string().len() > 1_000_000);
        let mut deep = Term::Nil;
        for _ in 0..1_000_000 {
            deep = Term::cons(deep, Term::Nil);
        }
        assert!(deep.equal(&deep.clone()));
        drop(t);
        drop(deep);
    }
}
