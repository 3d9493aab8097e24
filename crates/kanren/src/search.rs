//! A running query: answers on demand, under a policy, with budgets.
//!
//! Under [`crate::Interleave`] a step is faster-miniKanren's `take` loop: force the root
//! suspension once. Under any other policy the search tree is opened up: its leaves (the
//! suspended goals, each with the `bind`s waiting above it) form the [`Frontier`], the
//! policy picks one, only that leaf is forced, and the tree is simplified back up to the
//! root (an answer that reaches the root is returned). Both work on the same [`Thunk`]s.

use std::fmt::Write as _;
use std::rc::Rc;

use crate::constraint::State;
use crate::goal::{Goal, GoalId, Program};
use crate::policy::Policy;
use crate::reify::reify;
use crate::stream::{
    pending, take_innermost, teardown, Binds, Kont, Limits, Machine, Observer, Stop, Stream, Thunk,
};
use crate::term::{write_term, Term, Var, VarStyle};

/// A query being answered.
pub struct Search {
    machine: Machine,
    root: Option<Thunk>,
}

impl Drop for Search {
    fn drop(&mut self) {
        if let Some(t) = self.root.take() {
            teardown(t);
        }
    }
}

/// One leaf of the search tree, addressed by its path from the root.
struct Leaf {
    path: Vec<u8>,
}

/// The current choice points of a search, in left-to-right order.
pub struct Frontier<'a> {
    search: &'a Search,
    leaves: Vec<Leaf>,
}

impl Frontier<'_> {
    pub fn len(&self) -> usize {
        self.leaves.len()
    }
    pub fn is_empty(&self) -> bool {
        self.leaves.is_empty()
    }
    /// The choice point as an s-expression:
    /// `(choice (depth D) (state Q) (goals G ...))`, where `Q` is the query as far as it is
    /// known in this branch and the goals are what remains to be proved there, innermost
    /// first, with variables written `#(var N)`.
    pub fn describe(&self, i: usize) -> String {
        match self.leaves.get(i) {
            Some(l) => self.search.describe(&l.path),
            None => String::new(),
        }
    }
}

impl Search {
    /// A search for the answers of `goal` (a goal whose first `fresh` allocates the query
    /// variable and which ends with [`Goal::Reify`]).
    pub(crate) fn new(prog: Rc<Program>, goal: GoalId, frame: &[Term], limits: Limits) -> Search {
        let root = Thunk::suspend(goal, frame.into(), State::new());
        Search {
            machine: Machine::new(prog, limits),
            root: Some(root),
        }
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.machine.steps
    }

    /// This search, reporting its progress to `observer` and stopping with
    /// [`Stop::Cancelled`] when it asks to (polled every 2^10 steps).
    pub fn with_observer(mut self, observer: Box<dyn Observer>) -> Search {
        self.machine.observer = Some(observer);
        self
    }

    fn answer(&mut self, st: &State) -> Term {
        reify(&Term::Var(Var(0)), st, &mut self.machine.cells)
    }

    /// The next answer under `policy`, `Ok(None)` when there are no more.
    pub fn next_with(&mut self, policy: &mut dyn Policy) -> Result<Option<Term>, Stop> {
        if policy.is_interleave() {
            return self.next_interleave();
        }
        loop {
            if self.root.is_none() {
                return Ok(None);
            }
            let f = self.frontier();
            if f.is_empty() {
                self.root = None;
                return Ok(None);
            }
            let i = policy.choose(&f).min(f.len() - 1);
            let path = f
                .leaves
                .into_iter()
                .nth(i)
                .map(|l| l.path)
                .unwrap_or_default();
            if let Some(a) = self.expand(&path)? {
                return Ok(Some(a));
            }
        }
    }

    /// The next answer in faster-miniKanren's order.
    pub fn next_interleave(&mut self) -> Result<Option<Term>, Stop> {
        loop {
            let Some(t) = self.root.take() else {
                return Ok(None);
            };
            match self.machine.force(t)? {
                Stream::Empty => return Ok(None),
                Stream::Inc(f) => self.root = Some(f),
                Stream::Unit(c) => return Ok(Some(self.answer(&c))),
                Stream::Choice(c, f) => {
                    self.root = Some(f);
                    return Ok(Some(self.answer(&c)));
                }
            }
        }
    }

    /// Lists the choice points.
    pub fn frontier(&self) -> Frontier<'_> {
        let mut leaves = Vec::new();
        if let Some(r) = &self.root {
            let mut stack: Vec<(&Thunk, Vec<u8>)> = vec![(r, Vec::new())];
            while let Some((t, path)) = stack.pop() {
                match t {
                    Thunk::Mplus(ab) => {
                        let (a, b) = &**ab;
                        let mut pb = path.clone();
                        pb.push(1);
                        stack.push((b, pb));
                        let mut pa = path;
                        pa.push(0);
                        stack.push((a, pa));
                    }
                    Thunk::Bind(ab) => {
                        let a = &ab.0;
                        let mut pa = path;
                        pa.push(0);
                        stack.push((a, pa));
                    }
                    _ => leaves.push(Leaf { path }),
                }
            }
        }
        Frontier {
            search: self,
            leaves,
        }
    }

    fn describe(&self, path: &[u8]) -> String {
        let prog = &self.machine.prog;
        // Outermost first; `depth` counts one level per `bind`, as nested `bind` nodes.
        let mut binds: Vec<(GoalId, &[Term])> = Vec::new();
        let mut depth = 0;
        let mut t = match &self.root {
            Some(t) => t,
            None => return String::new(),
        };
        for &d in path {
            t = match t {
                Thunk::Mplus(ab) => {
                    let (a, b) = &**ab;
                    depth += 1;
                    if d == 0 {
                        a
                    } else {
                        b
                    }
                }
                Thunk::Bind(ab) => {
                    let (a, gs) = &**ab;
                    // Outermost first (a conjunction's rest stands for one `bind` a goal).
                    for (g, k, env) in gs.iter().rev().filter_map(|k| match k {
                        Kont::Bind(g, k, env) => Some((g, k, env)),
                        Kont::Mplus(_) => None,
                    }) {
                        let goals = pending(prog, (*g, *k));
                        depth += goals.len();
                        binds.extend(goals.iter().rev().map(|h| (*h, &**env)));
                    }
                    a
                }
                _ => break,
            };
        }
        type Head<'a> = Option<(GoalId, &'a [Term], Option<u32>)>;
        let (st, first): (Option<&State>, Head<'_>) = match t {
            Thunk::Suspend(g, b) => (Some(&b.st), Some((*g, &b.env[..], None))),
            Thunk::CondeRest(g, i, b) => (Some(&b.st), Some((*g, &b.env[..], Some(*i)))),
            _ => (None, None),
        };
        let Some(st) = st else {
            return format!("(choice (depth {depth}) (done))");
        };
        let cells = &self.machine.cells;
        let walk = |t: &Term| st.subst.walk_star(cells, t);
        let mut out = format!("(choice (depth {depth}) (state ");
        let _ = write_term(&mut out, &walk(&Term::Var(Var(0))), VarStyle::Raw);
        out.push_str(") (goals");
        if let Some((g, env, from)) = first {
            out.push(' ');
            match (from, prog.goal(g)) {
                (Some(i), Goal::Conde(cs)) => {
                    out.push_str("(conde");
                    for c in cs.iter().skip(i as usize) {
                        out.push(' ');
                        prog.write_goal(&mut out, *c, env, &walk);
                    }
                    out.push(')');
                }
                _ => prog.write_goal(&mut out, g, env, &walk),
            }
        }
        for (g, env) in binds.iter().rev() {
            out.push(' ');
            prog.write_goal(&mut out, *g, env, &walk);
        }
        let _ = write!(out, "))");
        out
    }

    /// Forces the leaf at `path` and simplifies the tree; returns an answer if one reached
    /// the root.
    fn expand(&mut self, path: &[u8]) -> Result<Option<Term>, Stop> {
        let Some(mut t) = self.root.take() else {
            return Ok(None);
        };
        // Detach the spine: each parent keeps a placeholder where the child was.
        let mut spine: Vec<(Thunk, u8)> = Vec::new();
        for &d in path {
            match t {
                Thunk::Mplus(mut ab) => {
                    let child = if d == 0 {
                        std::mem::replace(&mut ab.0, Thunk::Tail(0))
                    } else {
                        std::mem::replace(&mut ab.1, Thunk::Tail(0))
                    };
                    spine.push((Thunk::Mplus(ab), d));
                    t = child;
                }
                Thunk::Bind(mut a) => {
                    let child = std::mem::replace(&mut a.0, Thunk::Tail(0));
                    spine.push((Thunk::Bind(a), 0));
                    t = child;
                }
                other => {
                    t = other;
                    break;
                }
            }
        }
        let s = match self.machine.force(t) {
            Ok(s) => s,
            Err(e) => {
                for (p, _) in spine {
                    teardown(p);
                }
                return Err(e);
            }
        };
        let mut node = Thunk::Ready(Box::new(s));
        while let Some((parent, d)) = spine.pop() {
            node = simplify(&self.machine.prog, parent, d, node);
        }
        match node {
            Thunk::Ready(s) => match *s {
                Stream::Empty => Ok(None),
                Stream::Inc(f) => {
                    self.root = Some(f);
                    Ok(None)
                }
                Stream::Unit(c) => Ok(Some(self.answer(&c))),
                Stream::Choice(c, f) => {
                    self.root = Some(f);
                    Ok(Some(self.answer(&c)))
                }
            },
            other => {
                self.root = Some(other);
                Ok(None)
            }
        }
    }
}

/// Puts `child` back into `parent` at `d` and applies the stream laws where the child is a
/// computed stream.
fn simplify(prog: &Program, parent: Thunk, d: u8, child: Thunk) -> Thunk {
    let child = match child {
        Thunk::Ready(s) => match *s {
            Stream::Inc(f) => f,
            s => Thunk::Ready(Box::new(s)),
        },
        c => c,
    };
    match parent {
        Thunk::Bind(ab) => {
            let mut gs = ab.1;
            // As if the binds were nested: the innermost meets the stream, the others
            // stay around the result.
            let wrap = |t: Thunk, rest: Binds| {
                if rest.is_empty() {
                    t
                } else {
                    Thunk::Bind(Box::new((t, rest)))
                }
            };
            match child {
                Thunk::Ready(s) if gs.is_empty() => Thunk::Ready(s),
                Thunk::Ready(s) => match *s {
                    Stream::Empty => Thunk::Ready(Box::new(Stream::Empty)),
                    Stream::Unit(c) => match take_innermost(prog, &mut gs) {
                        Some((g, env)) => wrap(Thunk::suspend(g, env, c), gs),
                        None => Thunk::Ready(Box::new(Stream::Empty)),
                    },
                    Stream::Choice(c, f) => match take_innermost(prog, &mut gs) {
                        Some((g, env)) => {
                            let inner = Thunk::Mplus(Box::new((
                                Thunk::suspend(g, env.clone(), c),
                                Thunk::Bind(Box::new((f, vec![Kont::Bind(g, 0, env)]))),
                            )));
                            wrap(inner, gs)
                        }
                        None => {
                            teardown(f);
                            Thunk::Ready(Box::new(Stream::Empty))
                        }
                    },
                    Stream::Inc(f) => Thunk::Bind(Box::new((f, gs))),
                },
                c => Thunk::Bind(Box::new((c, gs))),
            }
        }
        Thunk::Mplus(ab) => {
            let (a, b) = *ab;
            let other = if d == 0 { b } else { a };
            match child {
                Thunk::Ready(s) => match *s {
                    Stream::Empty => other,
                    Stream::Unit(c) => Thunk::Ready(Box::new(Stream::Choice(c, other))),
                    Stream::Choice(c, f) => Thunk::Ready(Box::new(Stream::Choice(
                        c,
                        Thunk::Mplus(Box::new((f, other))),
                    ))),
                    Stream::Inc(f) => Thunk::Mplus(Box::new((f, other))),
                },
                c => {
                    if d == 0 {
                        Thunk::Mplus(Box::new((c, other)))
                    } else {
                        Thunk::Mplus(Box::new((other, c)))
                    }
                }
            }
        }
        other => {
            teardown(other);
            child
        }
    }
}
