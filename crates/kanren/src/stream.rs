//! The search: streams of states as plain data, and the machine that steps them.
//!
//! The stream shapes and the places where the search suspends are exactly those of
//! faster-miniKanren (`fresh` and `conde` suspend; `==` and relation calls do not; `bind`
//! and `mplus` swap on suspension), so under the default interleaving the answers come out
//! in the same order as there. The difference is that a suspension is not a closure but a
//! [`Thunk`] value: which goal, in which environment and state, wrapped in the `bind`s and
//! `mplus`es it is part of. Forcing one is a loop over an explicit continuation stack, so
//! neither deep conjunctions nor long chains of suspended disjunctions use the Rust stack,
//! and tearing a large search tree down is iterative too.
//!
//! Where the time went, and what was done about it (instruction counts, `*o` / twines):
//! goals that cannot suspend (`==`, `=/=`, the type constraints, `absento`) are applied on
//! the spot inside conjunctions and `conde` clauses instead of going through the
//! continuation stack, and a clause whose leading `==` fails is skipped without suspending
//! the rest (`mplus` of an empty stream forces the rest at once, so nothing observable
//! changes); `==` of a quasiquoted pattern is matched against the other side without
//! building the pattern where it meets pairs (`Tpl::unify_into`); the boxes of
//! `bind`/`mplus` nodes are recycled (they were three quarters of all allocations); states,
//! thunks and tasks were made smaller (they are moved on every step); a budget stop is a
//! task, not a `Result` around every task; the machine's values (and [`Term`]) are
//! `repr(C)`, which removed store-forwarding stalls (see `Stream`).

use std::rc::Rc;

use crate::constraint::State;
use crate::goal::{Env, Goal, GoalId, Program, Tpl};
use crate::subst::{Cells, Scope, Subst};
use crate::term::{Term, Var};

/// Why a search stopped before it was finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The step budget ran out.
    Steps(u64),
    /// The variable budget (a bound on memory) ran out.
    Vars(u64),
}

/// A stream of states, as in faster-miniKanren.
///
/// `Stream`, [`Thunk`], `Kont` and `Task` are `repr(C)` (and `Thunk::Tail` holds a `u32`,
/// not a `u8`): a tag word, then the fields in order, at aligned offsets. With Rust's
/// default layout the tags of the nested enums were packed into one word at odd offsets,
/// and the machine's loop wrote a task in 1-, 2- and 4-byte pieces and read it back in
/// 16-byte ones: store-forwarding stalls, a fifth of the machine's time under `perf` on
/// `*o`. `repr(C)` makes a task larger (112 bytes, not 96) and the search faster (with
/// `Term` also `repr(C)`, 21–26 % on every benchmark but appendo).
/// Pushing a `Kont` still stalls a little (its thunk sits at offset 8); tried and not
/// kept: continuation stacks split by kind (no faster), `mplus` continuations holding a
/// box (a 32-byte `Kont`, but slower).
#[repr(C)]
pub(crate) enum Stream {
    Empty,
    Unit(State),
    Choice(State, Thunk),
    Inc(Thunk),
}

/// A suspended computation producing a stream when forced.
#[repr(C)]
pub(crate) enum Thunk {
    /// The inside of a `fresh` or `conde` suspension (or any goal, applied when forced).
    Suspend(GoalId, Box<Susp>),
    /// The clauses of a `conde` from the given index on.
    CondeRest(GoalId, u32, Box<Susp>),
    /// Force the first, then `mplus` its stream with the second (one box for both).
    Mplus(Box<(Thunk, Thunk)>),
    /// Force the thunk, then `bind` its stream with each goal in turn: `Bind(f, [g1, g2])`
    /// is faster-miniKanren's `(bind (bind (f) g1) g2)`. A suspension bubbling up through
    /// a conjunction meets one `bind` per pending goal; they are collected in one node
    /// rather than nested (13 % fewer boxes on `*o`, though no measurable time: the chains
    /// are short).
    Bind(Box<(Thunk, Binds)>),
    /// The tail after the last answer of a `run` (`(lambda () (lambda () #f))`).
    Tail(u32),
    /// A stream already computed (used by policy-driven expansion).
    Ready(Box<Stream>),
}

/// The environment and state of a suspension, behind one pointer so that a thunk stays
/// small.
pub(crate) struct Susp {
    pub env: Env,
    pub st: State,
}

impl Thunk {
    pub(crate) fn suspend(g: GoalId, env: Env, st: State) -> Thunk {
        Thunk::Suspend(g, Box::new(Susp { env, st }))
    }
}

/// Frees a thunk tree without recursion.
pub(crate) fn teardown(t: Thunk) {
    let mut stack = vec![t];
    while let Some(t) = stack.pop() {
        match t {
            Thunk::Mplus(ab) => {
                let (a, b) = *ab;
                stack.push(a);
                stack.push(b);
            }
            Thunk::Bind(ab) => stack.push(ab.0),
            Thunk::Ready(s) => match *s {
                Stream::Choice(_, f) | Stream::Inc(f) => stack.push(f),
                _ => {}
            },
            _ => {}
        }
    }
}

/// Pending goals of a [`Thunk::Bind`], innermost first.
pub(crate) type Binds = Vec<(GoalId, Env)>;

/// At most this many spare boxes (and vectors of binds) are kept.
const SPARE_BOXES: usize = 1024;

#[repr(C)]
enum Kont {
    Bind(GoalId, Env),
    Mplus(Thunk),
}

/// What the machine does next. (Applying a goal is not a task: it is done on the spot,
/// which saves a trip round the loop for every goal.)
#[repr(C)]
enum Task {
    Force(Thunk),
    Ret(Stream),
    /// A budget ran out (a variant rather than a `Result` around every task: moving the
    /// larger `Result` through the loop cost store-forwarding stalls).
    Stop(Stop),
}

/// Budgets for one search.
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    /// Stop after this many steps (forcings and relation calls).
    pub max_steps: Option<u64>,
    /// Stop after allocating this many logic variables.
    pub max_vars: Option<u64>,
}

/// The machine: the program, the variables and the budgets.
pub(crate) struct Machine {
    pub prog: Rc<Program>,
    /// Every variable created so far, with the values bound to them in place.
    pub cells: Cells,
    /// The last scope handed out (a `conde` opens a new one; see [`Cells`]).
    scope: Scope,
    /// Scratch space for building terms from templates.
    scratch: Vec<Term>,
    /// Boxes of forced `bind`/`mplus` nodes, reused for the nodes built when their streams
    /// come back suspended. Without it, boxing thunks was three quarters of all
    /// allocations (460,000 on the twine benchmark). The boxes themselves are the point
    /// (they are handed back out as boxes), hence `Vec<Box<_>>`.
    #[allow(clippy::vec_box)]
    spare: Vec<Box<(Thunk, Binds)>>,
    #[allow(clippy::vec_box)]
    spare2: Vec<Box<(Thunk, Thunk)>>,
    /// Emptied vectors of [`Thunk::Bind`], for reuse.
    spare_binds: Vec<Binds>,
    /// Emptied boxes of suspensions (`Thunk::Suspend`/`CondeRest`), for reuse.
    #[allow(clippy::vec_box)]
    spare_susp: Vec<Box<Susp>>,
    /// The empty frame left in an emptied suspension box.
    nil_env: Env,
    pub steps: u64,
    pub limits: Limits,
    /// The continuation stack, kept between forcings to reuse its allocation.
    konts: Vec<Kont>,
}

impl Machine {
    pub fn new(prog: Rc<Program>, limits: Limits) -> Machine {
        Machine {
            prog,
            cells: Cells::new(),
            scope: 0,
            scratch: Vec::new(),
            spare: Vec::new(),
            spare2: Vec::new(),
            spare_binds: Vec::new(),
            spare_susp: Vec::new(),
            nil_env: Rc::from(Vec::new()),
            steps: 0,
            limits,
            konts: Vec::new(),
        }
    }

    /// A box holding `t`, reusing a spare one if there is one.
    #[inline]
    fn boxed(&mut self, t: Thunk, gs: Binds) -> Box<(Thunk, Binds)> {
        match self.spare.pop() {
            Some(mut b) => {
                // The spare holds a `Tail` placeholder and an empty vector: nothing to
                // drop, so skip its drop glue (a call per box otherwise).
                std::mem::forget(std::mem::replace(&mut *b, (t, gs)));
                b
            }
            None => Box::new((t, gs)),
        }
    }

    /// The thunk and goals in `b`; the box is kept for [`Machine::boxed`].
    #[inline]
    fn unbox(&mut self, mut b: Box<(Thunk, Binds)>) -> (Thunk, Binds) {
        let t = std::mem::replace(&mut *b, (Thunk::Tail(0), Vec::new()));
        if self.spare.len() < SPARE_BOXES {
            self.spare.push(b);
        }
        t
    }

    /// A box holding `(a, b)`, reusing a spare one if there is one.
    #[inline]
    fn boxed2(&mut self, a: Thunk, b: Thunk) -> Box<(Thunk, Thunk)> {
        match self.spare2.pop() {
            Some(mut bx) => {
                std::mem::forget(std::mem::replace(&mut *bx, (a, b)));
                bx
            }
            None => Box::new((a, b)),
        }
    }

    /// The thunks in `bx`; the box is kept for [`Machine::boxed2`].
    #[inline]
    fn unbox2(&mut self, mut bx: Box<(Thunk, Thunk)>) -> (Thunk, Thunk) {
        let ab = std::mem::replace(&mut *bx, (Thunk::Tail(0), Thunk::Tail(0)));
        if self.spare2.len() < SPARE_BOXES {
            self.spare2.push(bx);
        }
        ab
    }

    /// A box holding a suspension's frame and state, reusing a spare one if there is one.
    #[inline]
    fn susp(&mut self, env: Env, st: State) -> Box<Susp> {
        match self.spare_susp.pop() {
            Some(mut b) => {
                *b = Susp { env, st };
                b
            }
            None => Box::new(Susp { env, st }),
        }
    }

    /// The frame and state in `b`; the box is kept for [`Machine::susp`].
    #[inline]
    fn unsusp(&mut self, mut b: Box<Susp>) -> (Env, State) {
        let placeholder = Susp {
            env: self.nil_env.clone(),
            st: State {
                subst: Subst::default(),
                store: None,
            },
        };
        let Susp { env, st } = std::mem::replace(&mut *b, placeholder);
        if self.spare_susp.len() < SPARE_BOXES {
            self.spare_susp.push(b);
        }
        (env, st)
    }

    fn binds(&mut self) -> Binds {
        self.spare_binds.pop().unwrap_or_default()
    }

    fn recycle(&mut self, b: Binds) {
        if self.spare_binds.len() < SPARE_BOXES && b.is_empty() {
            self.spare_binds.push(b);
        }
    }

    fn tick(&mut self) -> Result<(), Stop> {
        self.steps += 1;
        if let Some(m) = self.limits.max_steps {
            if self.steps > m {
                return Err(Stop::Steps(m));
            }
        }
        Ok(())
    }

    /// Forces a thunk to a stream.
    pub fn force(&mut self, t: Thunk) -> Result<Stream, Stop> {
        self.exec(Task::Force(t))
    }

    fn exec(&mut self, task: Task) -> Result<Stream, Stop> {
        let mut konts = std::mem::take(&mut self.konts);
        let r = self.exec_with(task, &mut konts);
        for k in konts.drain(..) {
            if let Kont::Mplus(t) = k {
                teardown(t);
            }
        }
        self.konts = konts;
        r
    }

    fn exec_with(&mut self, mut task: Task, konts: &mut Vec<Kont>) -> Result<Stream, Stop> {
        let prog = Rc::clone(&self.prog);
        loop {
            task = match task {
                Task::Force(t) => match self.tick() {
                    Ok(()) => self.force_one(&prog, t, konts),
                    Err(e) => {
                        teardown(t);
                        return Err(e);
                    }
                },
                Task::Stop(e) => return Err(e),
                Task::Ret(s) => match konts.pop() {
                    None => return Ok(s),
                    Some(Kont::Bind(g, env)) => match s {
                        Stream::Empty => Task::Ret(Stream::Empty),
                        Stream::Inc(f) => {
                            // This and every `bind` right above it wrap the suspension.
                            let mut gs = self.binds();
                            gs.push((g, env));
                            while let Some(Kont::Bind(..)) = konts.last() {
                                if let Some(Kont::Bind(g, env)) = konts.pop() {
                                    gs.push((g, env));
                                }
                            }
                            let t = match f {
                                Thunk::Bind(mut inner) => {
                                    inner.1.append(&mut gs);
                                    self.recycle(gs);
                                    Thunk::Bind(inner)
                                }
                                f => Thunk::Bind(self.boxed(f, gs)),
                            };
                            Task::Ret(Stream::Inc(t))
                        }
                        Stream::Unit(c) => self.apply(&prog, g, env, c, konts),
                        Stream::Choice(c, f) => {
                            let mut gs = self.binds();
                            gs.push((g, env.clone()));
                            konts.push(Kont::Mplus(Thunk::Bind(self.boxed(f, gs))));
                            self.apply(&prog, g, env, c, konts)
                        }
                    },
                    Some(Kont::Mplus(f)) => match s {
                        Stream::Empty => match self.tick() {
                            Ok(()) => self.force_one(&prog, f, konts),
                            Err(e) => {
                                teardown(f);
                                return Err(e);
                            }
                        },
                        Stream::Inc(f2) => Task::Ret(Stream::Inc(Thunk::Mplus(self.boxed2(f, f2)))),
                        Stream::Unit(c) => Task::Ret(Stream::Choice(c, f)),
                        Stream::Choice(c, f2) => {
                            Task::Ret(Stream::Choice(c, Thunk::Mplus(self.boxed2(f, f2))))
                        }
                    },
                },
            }
        }
    }

    fn unit(st: Option<State>) -> Task {
        Task::Ret(match st {
            Some(st) => Stream::Unit(st),
            None => Stream::Empty,
        })
    }

    /// Applies a goal that never suspends ([`Goal::is_immediate`]): its stream is at most
    /// one state. Other goals leave the state as it is.
    fn immediate(&mut self, goal: &Goal, env: &[Term], st: State) -> Option<State> {
        let scratch = &mut self.scratch;
        match goal {
            Goal::Fail => None,
            // A pattern against a term: matched without building what meets pairs.
            Goal::Eq(p @ Tpl::Build(_), t) | Goal::Eq(t, p @ Tpl::Build(_))
                if !matches!(t, Tpl::Build(_)) =>
            {
                let t = t.build_in(env, scratch);
                st.unify_tpl(&mut self.cells, p, env, &t, scratch)
            }
            Goal::Eq(a, b) => {
                let (a, b) = (a.build_in(env, scratch), b.build_in(env, scratch));
                st.unify(&mut self.cells, &a, &b)
            }
            Goal::Neq(a, b) => {
                let (a, b) = (a.build_in(env, scratch), b.build_in(env, scratch));
                st.diseq(&mut self.cells, &a, &b)
            }
            Goal::Type(ty, a) => st.typed(&self.cells, *ty, &a.build_in(env, scratch)),
            Goal::Absento(a, b) => {
                let (a, b) = (a.build_in(env, scratch), b.build_in(env, scratch));
                st.absento(&mut self.cells, &a, &b)
            }
            _ => Some(st),
        }
    }

    /// Applies goal `g` in `env` to `st`. Conjunctions and relation calls continue here
    /// with their first goal or body rather than going round the machine's loop.
    fn apply(
        &mut self,
        prog: &Program,
        g: GoalId,
        env: Env,
        st: State,
        konts: &mut Vec<Kont>,
    ) -> Task {
        let (mut g, mut env, mut st) = (g, env, st);
        loop {
            let goal = prog.goal(g);
            (g, env, st) = match goal {
                Goal::Succeed
                | Goal::Fail
                | Goal::Eq(..)
                | Goal::Neq(..)
                | Goal::Type(..)
                | Goal::Absento(..) => return Self::unit(self.immediate(goal, &env, st)),
                Goal::Conj(gs) => match self.immediates(prog, gs, &env, st) {
                    (_, None) => return Task::Ret(Stream::Empty),
                    (n, Some(st)) => match gs[n..].split_first() {
                        None => return Task::Ret(Stream::Unit(st)),
                        Some((&first, rest)) => {
                            for r in rest.iter().rev() {
                                konts.push(Kont::Bind(*r, env.clone()));
                            }
                            (first, env, st)
                        }
                    },
                },
                Goal::Fresh { .. } | Goal::Conde(_) => {
                    return Task::Ret(Stream::Inc(Thunk::Suspend(g, self.susp(env, st))))
                }
                Goal::Call { rel, args } => {
                    if let Err(e) = self.tick() {
                        return Task::Stop(e);
                    }
                    match prog.rel(*rel) {
                        Some(r) if r.arity == args.len() => {
                            let scratch = &mut self.scratch;
                            let frame: Env = r
                                .frame
                                .iter()
                                .enumerate()
                                .map(|(i, t)| match args.get(i) {
                                    Some(a) => a.build_in(&env, scratch),
                                    None => t.clone(),
                                })
                                .collect();
                            (r.body, frame, st)
                        }
                        _ => return Task::Ret(Stream::Empty),
                    }
                }
                Goal::Reify => return Task::Ret(Stream::Choice(st, Thunk::Tail(2))),
            };
        }
    }

    fn force_one(&mut self, prog: &Program, t: Thunk, konts: &mut Vec<Kont>) -> Task {
        // Down through `mplus` and `bind` nodes without going round the machine's loop
        // (each still counts as a step, as forcing it separately would).
        let mut t = t;
        let t = loop {
            t = match t {
                Thunk::Mplus(ab) => {
                    let (a, b) = self.unbox2(ab);
                    konts.push(Kont::Mplus(b));
                    a
                }
                Thunk::Bind(b) => {
                    let (a, mut gs) = self.unbox(b);
                    // Outermost first, so that the innermost is on top.
                    while let Some((g, env)) = gs.pop() {
                        konts.push(Kont::Bind(g, env));
                    }
                    self.recycle(gs);
                    a
                }
                other => break other,
            };
            if let Err(e) = self.tick() {
                teardown(t);
                return Task::Stop(e);
            }
        };
        match t {
            Thunk::Suspend(g, b) => {
                let (env, st) = self.unsusp(b);
                match prog.goal(g) {
                    Goal::Fresh { slots, body } => {
                        // Variables are numbered in declaration order (slots are increasing),
                        // and the new frame is built in one allocation.
                        let next = self.cells.len() as u64 + slots.len() as u64;
                        let cap = self.limits.max_vars.unwrap_or(u64::from(u32::MAX));
                        if next > cap {
                            return Task::Stop(Stop::Vars(cap));
                        }
                        let base = self.cells.fresh(slots.len(), st.subst.scope).0;
                        let mut env = env;
                        // The frame is usually this activation's own (a relation whose body is a
                        // `fresh`): then the variables are written into it; otherwise (a `fresh`
                        // inside a `conde` clause, whose frame the other clauses share) it is
                        // copied, in one allocation.
                        if Rc::get_mut(&mut env).is_none() {
                            env = Rc::from(&env[..]);
                        }
                        if let Some(frame) = Rc::get_mut(&mut env) {
                            for (k, s) in slots.iter().enumerate() {
                                if let Some(t) = frame.get_mut(*s as usize) {
                                    *t = Term::Var(Var(base.saturating_add(k as u32)));
                                }
                            }
                        }
                        self.apply(prog, *body, env, st, konts)
                    }
                    Goal::Conde(cs) => {
                        // Every state leaving a `conde` is in a new scope: variables made
                        // before it can no longer be bound in place.
                        let mut st = st;
                        self.scope += 1;
                        st.subst.scope = self.scope;
                        self.conde_from(g, cs, 0, env, st, konts)
                    }
                    _ => self.apply(prog, g, env, st, konts),
                }
            }
            Thunk::CondeRest(g, i, b) => match prog.goal(g) {
                Goal::Conde(cs) => {
                    let (env, st) = self.unsusp(b);
                    self.conde_from(g, cs, i as usize, env, st, konts)
                }
                _ => Task::Ret(Stream::Empty),
            },
            // (Not reached: taken apart above.)
            t @ (Thunk::Mplus(_) | Thunk::Bind(..)) => Task::Force(t),
            Thunk::Tail(n) => {
                if n <= 1 {
                    Task::Ret(Stream::Empty)
                } else {
                    Task::Ret(Stream::Inc(Thunk::Tail(n - 1)))
                }
            }
            Thunk::Ready(s) => Task::Ret(*s),
        }
    }

    /// Applies the leading goals of `gs` that never suspend ([`Goal::is_immediate`]) on the
    /// spot: `bind` of a single state is just the goal applied to it. Returns how many were
    /// applied and the state (`None` if one failed).
    fn immediates(
        &mut self,
        prog: &Program,
        gs: &[GoalId],
        env: &[Term],
        st: State,
    ) -> (usize, Option<State>) {
        let mut st = st;
        let mut n = 0;
        for &h in gs {
            let goal = prog.goal(h);
            if !goal.is_immediate() {
                break;
            }
            match self.immediate(goal, env, st) {
                Some(s) => st = s,
                None => return (n, None),
            }
            n += 1;
        }
        (n, Some(st))
    }

    /// The conjunction `gs` in `st`: the first goal is applied, the others wait on the
    /// continuation stack.
    fn conj_rest(
        &mut self,
        prog: &Program,
        gs: &[GoalId],
        env: Env,
        st: State,
        konts: &mut Vec<Kont>,
    ) -> Task {
        match gs.split_first() {
            None => Task::Ret(Stream::Unit(st)),
            Some((&first, rest)) => {
                for r in rest.iter().rev() {
                    konts.push(Kont::Bind(*r, env.clone()));
                }
                self.apply(prog, first, env, st, konts)
            }
        }
    }

    /// The clauses of `conde` `g` from number `i` on. A clause whose leading goals never
    /// suspend is tried on the spot, and skipped if they fail: `mplus` of an empty stream
    /// is the rest, forced at once, so this changes no answer and no order, and saves the
    /// suspension of the remaining clauses (most clauses of the arithmetic relations fail
    /// on their first `==`).
    fn conde_from(
        &mut self,
        g: GoalId,
        cs: &[GoalId],
        i: usize,
        env: Env,
        st: State,
        konts: &mut Vec<Kont>,
    ) -> Task {
        let prog = Rc::clone(&self.prog);
        let mut i = i;
        while let Some(&c) = cs.get(i) {
            let last = i + 1 >= cs.len();
            let gs: &[GoalId] = match prog.goal(c) {
                Goal::Conj(gs) => gs,
                _ => std::slice::from_ref(&c),
            };
            let leading = gs
                .iter()
                .take_while(|h| prog.goal(**h).is_immediate())
                .count();
            if leading == 0 {
                if !last {
                    konts.push(Kont::Mplus(self.conde_rest(g, i + 1, &env, &st)));
                }
                return self.apply(&prog, c, env, st, konts);
            }
            if last {
                return match self.immediates(&prog, &gs[..leading], &env, st) {
                    (_, Some(st2)) => self.conj_rest(&prog, &gs[leading..], env, st2, konts),
                    (_, None) => Task::Ret(Stream::Empty),
                };
            }
            if let (_, Some(st2)) = self.immediates(&prog, &gs[..leading], &env, st.clone()) {
                konts.push(Kont::Mplus(self.conde_rest(g, i + 1, &env, &st)));
                return self.conj_rest(&prog, &gs[leading..], env, st2, konts);
            }
            i += 1;
        }
        Task::Ret(Stream::Empty)
    }

    fn conde_rest(&mut self, g: GoalId, i: usize, env: &Env, st: &State) -> Thunk {
        Thunk::CondeRest(
            g,
            u32::try_from(i).unwrap_or(u32::MAX),
            self.susp(env.clone(), st.clone()),
        )
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    /// The search moves states, thunks and streams by value all the time; growing them
    /// costs (a 24-byte `Term`, a two-word store and a `Result` around each task were each
    /// measurable).
    #[test]
    fn search_values_stay_small() {
        use std::mem::size_of;
        assert_eq!(size_of::<Term>(), 16);
        assert!(size_of::<State>() <= 32, "{}", size_of::<State>());
        // A suspension's frame and state, and a `bind`'s goals, sit behind one pointer.
        assert!(size_of::<Thunk>() <= 24, "{}", size_of::<Thunk>());
        assert!(size_of::<Kont>() <= 32, "{}", size_of::<Kont>());
        assert!(size_of::<Task>() <= 72, "{}", size_of::<Task>());
    }
}
