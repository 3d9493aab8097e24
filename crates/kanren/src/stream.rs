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
//!
//! Fourth round (`perf`, cycles rather than instructions): a returned stream climbs the
//! continuation stack in a loop of its own shape instead of a trip round the machine per
//! continuation; `bind`/`mplus` nodes are carried as a two-word `Node` while climbing and
//! descending (as a `Thunk` they went through memory and stalled); a conjunction's pending
//! goals are one continuation (`Kont::Bind(g, k, env)`), moved as it is between the stack
//! and `bind` boxes; a `conde` clause that a leading `==` refutes at once is skipped
//! before its state is copied; and a finished search leaves its large allocations to the
//! next one (see `Spares`).
//!
//! Fifth round: a `conde` that a leading `==` narrows to one clause does not branch, so
//! its state keeps its scope (more bindings in place, fewer trie path copies) and no
//! suspension of the dead clauses is kept; an `mplus` continuation's thunk is read where
//! it lies on the stack (`pop_mplus`); unification lists what it binds only when there
//! are constraints to wake (`Cells::quiet`).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

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
    /// The time budget ([`Limits::max_time`]) ran out.
    Time(Duration),
    /// The search's [`Observer`] asked it to stop (Ctrl-C in the CLI).
    Cancelled,
}

/// How often, in steps, a search reads the clock and polls its [`Observer`]: every 2^10.
/// A step takes tens of nanoseconds (47 on `(defrel (f x) (f x))`), so a deadline or Ctrl-C
/// is seen within about 50 µs, and the poll is lost in the noise (quines-5 and twines-1:
/// 209.4 and 209.3 million instructions before and after, cachegrind). A step that binds a
/// variable to a very long list takes longer: the occurs check walks it (`unify::occurs`).
const POLL_MASK: u64 = (1 << 10) - 1;

/// What a running search reports to its caller and asks it, every 2^10 steps (see
/// [`crate::Search::with_observer`]). The same idea as `weft_solve::Observer`, which this
/// crate does not depend on. The search never prints: a caller that wants a progress line
/// draws it here.
pub trait Observer {
    /// `steps` taken so far.
    fn progress(&mut self, _steps: u64) {}
    /// `true` stops the search with [`Stop::Cancelled`] (Ctrl-C).
    fn cancelled(&mut self) -> bool {
        false
    }
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
    // The stack is kept between calls (see [`Spares`]).
    let stack = SPARES
        .try_with(|sp| {
            sp.try_borrow_mut()
                .map(|mut sp| std::mem::take(&mut sp.teardown))
        })
        .ok()
        .and_then(Result::ok);
    let mut stack = stack.unwrap_or_default();
    teardown_with(t, &mut stack);
    let _ = SPARES.try_with(|sp| {
        if let Ok(mut sp) = sp.try_borrow_mut() {
            if sp.teardown.capacity() < stack.capacity() {
                sp.teardown = stack;
            }
        }
    });
}

fn teardown_with(t: Thunk, stack: &mut Vec<Thunk>) {
    stack.clear();
    stack.push(t);
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

/// Pending goals of a [`Thunk::Bind`], innermost first. `(g, 0, env)` is the goal `g`;
/// `(g, k, env)` with `k > 0` stands for the goals of conjunction `g` from number `k` on,
/// each a `bind` of its own (`k` innermost), as [`Kont::Bind`] does.
///
/// The entries are `Kont::Bind`s, moved between a box and the continuation stack as they
/// are: rebuilt as tuples on each move, they were written in pieces and copied whole,
/// which stalled on store forwarding.
pub(crate) type Binds = Vec<Kont>;

/// The goals of `conde` clause `c` (a conjunction's, or `c` alone) and how many of them lead
/// that cannot suspend.
fn clause_goals<'a>(prog: &'a Program, c: &'a GoalId) -> (&'a [GoalId], usize) {
    let gs: &[GoalId] = match prog.goal(*c) {
        Goal::Conj(gs) => gs,
        _ => std::slice::from_ref(c),
    };
    let leading = gs
        .iter()
        .take_while(|h| prog.goal(**h).is_immediate())
        .count();
    (gs, leading)
}

/// The goals of conjunction `g` from number `k` on.
fn conj_goals(prog: &Program, g: GoalId, k: u32) -> &[GoalId] {
    match prog.goal(g) {
        Goal::Conj(gs) => gs.get(k as usize..).unwrap_or(&[]),
        _ => &[],
    }
}

/// The goals an entry of [`Binds`] stands for, innermost first.
pub(crate) fn pending(prog: &Program, (g, k): (GoalId, u32)) -> Vec<GoalId> {
    match k {
        0 => vec![g],
        k => conj_goals(prog, g, k).to_vec(),
    }
}

/// Takes the innermost goal out of `gs` (for a policy's expansion, which applies it).
pub(crate) fn take_innermost(prog: &Program, gs: &mut Binds) -> Option<(GoalId, Env)> {
    let (g, k, env) = match gs.first()? {
        Kont::Bind(g, k, env) => (*g, *k, env.clone()),
        Kont::Mplus(_) => return None,
    };
    if k == 0 {
        gs.remove(0);
        return Some((g, env));
    }
    let rest = conj_goals(prog, g, k);
    let (&h, more) = rest.split_first()?;
    if more.is_empty() {
        gs.remove(0);
    } else if let Some(Kont::Bind(_, k1, _)) = gs.first_mut() {
        *k1 = k + 1;
    }
    Some((h, env))
}

/// At most this many spare boxes (and vectors of binds) are kept.
const SPARE_BOXES: usize = 1024;

/// A continuation: `Bind(g, k, env)` is a `bind` of goal `g` (`k = 0`) or of the goals
/// of conjunction `g` from number `k` on, nested (one continuation instead of one per
/// goal: fewer to push, to collect when a suspension climbs past them and to push again
/// when it is forced); `Mplus(f)` an `mplus` with the thunk `f`.
#[repr(C)]
pub(crate) enum Kont {
    Bind(GoalId, u32, Env),
    Mplus(Thunk),
}

/// Takes the thunk of the top continuation if it is an `mplus`, reading it where it lies
/// on the stack (`None`: the stack is empty or its top is a `bind`, left in place).
/// Popping the whole continuation first copied it through the Rust stack in two 16-byte
/// halves and read the thunk back across them (offset 8): a store-forwarding stall, a
/// fifth of `force`'s cycles on `*o`. (An `Option`, not a `Result` with a flag: the flag
/// sat in the thunk's padding and the thunk was then copied in odd-sized pieces, which
/// stalled again.)
#[inline(always)]
fn pop_mplus(konts: &mut Vec<Kont>) -> Option<Thunk> {
    match konts.last_mut() {
        Some(Kont::Mplus(f)) => {
            let f = std::mem::replace(f, Thunk::Tail(0));
            // What is left owns nothing.
            std::mem::forget(konts.pop());
            Some(f)
        }
        _ => None,
    }
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

/// Allocations a finished search leaves to the next one on the same thread: the
/// variables' slots, the continuation stack, the spare boxes and `teardown`'s stack.
/// Freeing a block of 64 KiB or more makes glibc merge every small free chunk
/// (`malloc_consolidate`, 5 % of the samples over the suite), after which the next
/// search's small allocations take glibc's slow paths; a REPL or a benchmark runs many
/// searches in a row.
#[derive(Default)]
struct Spares {
    cells: Option<Cells>,
    konts: Vec<Kont>,
    #[allow(clippy::vec_box)]
    spare: Vec<Box<(Thunk, Binds)>>,
    #[allow(clippy::vec_box)]
    spare2: Vec<Box<(Thunk, Thunk)>>,
    #[allow(clippy::vec_box)]
    spare_susp: Vec<Box<Susp>>,
    teardown: Vec<Thunk>,
}

thread_local! {
    static SPARES: RefCell<Spares> = RefCell::new(Spares::default());
}

impl Drop for Machine {
    fn drop(&mut self) {
        self.keep_spares();
    }
}

/// A `bind` or `mplus` node of the search tree, as the machine carries it while climbing
/// or descending: two words.
enum Node {
    Bind(Box<(Thunk, Binds)>),
    Mplus(Box<(Thunk, Thunk)>),
}

impl Node {
    fn thunk(self) -> Thunk {
        match self {
            Node::Bind(b) => Thunk::Bind(b),
            Node::Mplus(m) => Thunk::Mplus(m),
        }
    }
}

/// Budgets for one search. None by default: a search runs until it has its answers, and a
/// relation that never ends runs for ever (the caller bounds it).
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    /// Stop after this many steps (forcings and relation calls).
    pub max_steps: Option<u64>,
    /// Stop after allocating this many logic variables.
    pub max_vars: Option<u64>,
    /// Stop this long after the search was created (checked every 2^10 steps; a duration
    /// too long to add to the clock is no limit).
    pub max_time: Option<Duration>,
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
    /// Emptied boxes of suspensions (`Thunk::Suspend`/`CondeRest`), for reuse.
    #[allow(clippy::vec_box)]
    spare_susp: Vec<Box<Susp>>,
    /// The empty frame left in an emptied suspension box.
    nil_env: Env,
    pub steps: u64,
    pub limits: Limits,
    /// When [`Limits::max_time`] runs out, if it does.
    deadline: Option<Instant>,
    pub observer: Option<Box<dyn Observer>>,
    /// The continuation stack, kept between forcings to reuse its allocation.
    konts: Vec<Kont>,
    /// Per `conde` goal: 0 not known yet, 1 it may narrow to one clause, 2 it cannot
    /// (see [`Machine::narrows`]).
    narrows: Vec<u8>,
}

impl Machine {
    pub fn new(prog: Rc<Program>, limits: Limits) -> Machine {
        let sp = SPARES
            .try_with(|sp| sp.try_borrow_mut().map(|mut sp| std::mem::take(&mut *sp)))
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        Machine {
            prog,
            cells: sp.cells.unwrap_or_default(),
            scope: 0,
            scratch: Vec::new(),
            spare: sp.spare,
            spare2: sp.spare2,
            spare_susp: sp.spare_susp,
            nil_env: Rc::from(Vec::new()),
            steps: 0,
            limits,
            deadline: limits.max_time.and_then(|d| Instant::now().checked_add(d)),
            observer: None,
            konts: sp.konts,
            narrows: Vec::new(),
        }
    }

    /// Hands this machine's allocations to the next search on this thread.
    fn keep_spares(&mut self) {
        let mut cells = std::mem::take(&mut self.cells);
        cells.clear();
        let mut konts = std::mem::take(&mut self.konts);
        for k in konts.drain(..) {
            if let Kont::Mplus(t) = k {
                teardown(t);
            }
        }
        // Keep a deep search's stack only up to a size that any search may reuse.
        konts.shrink_to(1 << 16);
        let sp = Spares {
            cells: Some(cells),
            konts,
            spare: std::mem::take(&mut self.spare),
            spare2: std::mem::take(&mut self.spare2),
            spare_susp: std::mem::take(&mut self.spare_susp),
            teardown: Vec::new(),
        };
        let _ = SPARES.try_with(|cur| {
            if let Ok(mut cur) = cur.try_borrow_mut() {
                let teardown = std::mem::take(&mut cur.teardown);
                *cur = Spares { teardown, ..sp };
            }
        });
    }

    /// A `bind` box holding `t` and no goals, reusing a spare one (and its vector) if
    /// there is one. The goals are pushed into the box's own vector: moving a vector's
    /// header in and out of the box (written in 8-byte pieces, copied in 16-byte ones)
    /// stalled on store forwarding, a quarter of the machine loop's samples on `*o`.
    #[inline]
    fn bind_box(&mut self, t: Thunk) -> Box<(Thunk, Binds)> {
        match self.spare.pop() {
            Some(mut b) => {
                // The spare holds a `Tail` placeholder: nothing to drop, so skip its drop
                // glue (a call per box otherwise).
                std::mem::forget(std::mem::replace(&mut b.0, t));
                b
            }
            None => Box::new((t, Vec::new())),
        }
    }

    /// Keeps an emptied `bind` box for [`Machine::bind_box`].
    #[inline]
    fn spare_bind_box(&mut self, b: Box<(Thunk, Binds)>) {
        if self.spare.len() < SPARE_BOXES && b.1.is_empty() {
            self.spare.push(b);
        }
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

    fn tick(&mut self) -> Result<(), Stop> {
        if let Some(m) = self.limits.max_steps {
            if self.steps >= m {
                return Err(Stop::Steps(m));
            }
        }
        self.steps += 1;
        if self.steps & POLL_MASK == 0 {
            return self.poll();
        }
        Ok(())
    }

    /// The clock and the observer, every 2^10 steps.
    #[cold]
    #[inline(never)]
    fn poll(&mut self) -> Result<(), Stop> {
        if let Some(d) = self.deadline {
            if Instant::now() >= d {
                return Err(Stop::Time(self.limits.max_time.unwrap_or_default()));
            }
        }
        if let Some(o) = &mut self.observer {
            o.progress(self.steps);
            if o.cancelled() {
                return Err(Stop::Cancelled);
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
        // Keep a deep search's stack only up to a size that any search may reuse.
        konts.shrink_to(1 << 16);
        self.konts = konts;
        r
    }

    fn exec_with(&mut self, task: Task, konts: &mut Vec<Kont>) -> Result<Stream, Stop> {
        let prog = Rc::clone(&self.prog);
        let mut task = task;
        // A stream travels up the continuation stack in the loop that matches its shape,
        // and goes back to the outer loop only when a goal is applied or a thunk forced:
        // a suspension climbs to the root, wrapped in every continuation on its way, without
        // a trip round the machine per continuation (moving the 72-byte task through the
        // loop on every trip was 8 % of the instructions on `*o`, and stalled).
        loop {
            let s = match task {
                Task::Ret(s) => s,
                Task::Force(t) => {
                    task = match self.tick() {
                        Ok(()) => self.force_one(&prog, t, konts),
                        Err(e) => {
                            teardown(t);
                            return Err(e);
                        }
                    };
                    continue;
                }
                Task::Stop(e) => return Err(e),
            };
            task = match s {
                Stream::Empty => loop {
                    match pop_mplus(konts) {
                        Some(f) => match self.tick() {
                            Ok(()) => break self.force_one(&prog, f, konts),
                            Err(e) => {
                                teardown(f);
                                return Err(e);
                            }
                        },
                        None => {
                            if konts.pop().is_none() {
                                return Ok(Stream::Empty);
                            }
                        }
                    }
                },
                Stream::Inc(f) => return Ok(Stream::Inc(self.climb(f, konts))),
                Stream::Unit(c) => match konts.pop() {
                    None => return Ok(Stream::Unit(c)),
                    Some(Kont::Bind(g, 0, env)) => self.apply(&prog, g, env, c, konts),
                    Some(Kont::Bind(g, k, env)) => self.conj_from(&prog, g, k, env, c, konts),
                    Some(Kont::Mplus(f)) => match self.choice(c, f, konts) {
                        Ok(s) => return Ok(s),
                        Err(t) => t,
                    },
                },
                Stream::Choice(c, f) => match self.choice(c, f, konts) {
                    Ok(s) => return Ok(s),
                    Err(t) => t,
                },
            };
        }
    }

    /// A suspension `f` returned to the continuations: it climbs to the root, wrapped in
    /// each (`bind` nodes collect the goals of consecutive `bind`s; an `mplus` swaps).
    /// After the first wrap the climbing thunk is a box of one of two kinds, carried as a
    /// [`Node`] (two words, kept in registers): carried as a `Thunk`, it went through
    /// memory on every step and was read back whole right after being written in pieces
    /// (a store-forwarding stall, the largest single cost of the climb).
    fn climb(&mut self, f: Thunk, konts: &mut Vec<Kont>) -> Thunk {
        let mut top = match konts.pop() {
            None => return f,
            Some(Kont::Mplus(f0)) => Node::Mplus(self.boxed2(f0, f)),
            Some(k) => {
                let b = match f {
                    Thunk::Bind(inner) => inner,
                    f => self.bind_box(f),
                };
                Node::Bind(Self::collect_binds(b, k, konts))
            }
        };
        loop {
            top = match pop_mplus(konts) {
                Some(f0) => Node::Mplus(self.boxed2(f0, top.thunk())),
                None => {
                    let Some(k) = konts.pop() else { break };
                    let b = match top {
                        Node::Bind(b) => b,
                        Node::Mplus(m) => self.bind_box(Thunk::Mplus(m)),
                    };
                    Node::Bind(Self::collect_binds(b, k, konts))
                }
            };
        }
        top.thunk()
    }

    /// `b` with the goals of `first` and of every `bind` right above it added, innermost
    /// first.
    #[inline]
    fn collect_binds(
        mut b: Box<(Thunk, Binds)>,
        first: Kont,
        konts: &mut Vec<Kont>,
    ) -> Box<(Thunk, Binds)> {
        b.1.push(first);
        while let Some(Kont::Bind(..)) = konts.last() {
            if let Some(k) = konts.pop() {
                b.1.push(k);
            }
        }
        b
    }

    /// An answer `c` with more to come from `f`, returned to the continuations: it climbs
    /// through `mplus` nodes to the first `bind`, which applies its goal to `c` (the task
    /// returned as `Err`), or to the root (the stream returned as `Ok`).
    fn choice(&mut self, c: State, f: Thunk, konts: &mut Vec<Kont>) -> Result<Stream, Task> {
        let mut f = f;
        loop {
            if let Some(f0) = pop_mplus(konts) {
                f = Thunk::Mplus(self.boxed2(f0, f));
                continue;
            }
            match konts.pop() {
                None => return Ok(Stream::Choice(c, f)),
                Some(Kont::Mplus(f0)) => f = Thunk::Mplus(self.boxed2(f0, f)),
                Some(Kont::Bind(g, k, env)) => {
                    // The innermost goal meets the stream; the conjunction's other goals
                    // stay below.
                    let prog = Rc::clone(&self.prog);
                    let h = match k {
                        0 => g,
                        _ => {
                            let gs = conj_goals(&prog, g, k);
                            if gs.len() > 1 {
                                konts.push(Kont::Bind(g, k + 1, env.clone()));
                            }
                            match gs.first() {
                                Some(&h) => h,
                                None => return Err(Task::Ret(Stream::Empty)),
                            }
                        }
                    };
                    let mut b = self.bind_box(f);
                    b.1.push(Kont::Bind(h, 0, env.clone()));
                    konts.push(Kont::Mplus(Thunk::Bind(b)));
                    return Err(self.apply(&prog, h, env, c, konts));
                }
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
        // Constants and slots are read in place; only built templates are made.
        let (mut ta, mut tb) = (None, None);
        macro_rules! term {
            ($tpl:expr, $slot:ident) => {
                match $tpl.get(env) {
                    Some(t) => t,
                    None => $slot.insert($tpl.build_in(env, scratch)),
                }
            };
        }
        match goal {
            Goal::Fail => None,
            // A pattern against a term: matched without building what meets pairs.
            Goal::Eq(p @ Tpl::Build(_), t) | Goal::Eq(t, p @ Tpl::Build(_))
                if !matches!(t, Tpl::Build(_)) =>
            {
                let t = term!(t, tb);
                st.unify_tpl(&mut self.cells, p, env, t, scratch)
            }
            Goal::Eq(a, b) => {
                let (a, b) = (term!(a, ta), term!(b, tb));
                st.unify(&mut self.cells, a, b)
            }
            Goal::Neq(a, b) => {
                let (a, b) = (term!(a, ta), term!(b, tb));
                st.diseq(&mut self.cells, a, b)
            }
            Goal::Type(ty, a) => st.typed(&self.cells, *ty, term!(a, ta)),
            Goal::Absento(a, b) => {
                let (a, b) = (term!(a, ta), term!(b, tb));
                st.absento(&mut self.cells, a, b)
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
                    (n, Some(st)) => match gs.get(n) {
                        None => return Task::Ret(Stream::Unit(st)),
                        Some(&first) => {
                            if n + 1 < gs.len() {
                                let k = u32::try_from(n + 1).unwrap_or(u32::MAX);
                                konts.push(Kont::Bind(g, k, env.clone()));
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
                            // The arguments, then the `fresh` placeholders (exact length:
                            // one allocation).
                            let rest = r.frame.get(args.len()..).unwrap_or(&[]);
                            let frame: Env = args
                                .iter()
                                .map(|a| a.build_in(&env, scratch))
                                .chain(rest.iter().cloned())
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
        // (each still counts as a step, as forcing it separately would), carrying the
        // node as a [`Node`] (see [`Machine::climb`]).
        let mut node = match t {
            Thunk::Mplus(m) => Node::Mplus(m),
            Thunk::Bind(b) => Node::Bind(b),
            leaf => return self.force_leaf(prog, leaf, konts),
        };
        loop {
            let next = match node {
                Node::Mplus(mut ab) => {
                    let b = std::mem::replace(&mut ab.1, Thunk::Tail(0));
                    konts.push(Kont::Mplus(b));
                    let a = std::mem::replace(&mut ab.0, Thunk::Tail(0));
                    if self.spare2.len() < SPARE_BOXES {
                        self.spare2.push(ab);
                    }
                    a
                }
                Node::Bind(mut b) => {
                    let a = std::mem::replace(&mut b.0, Thunk::Tail(0));
                    // Outermost first, so that the innermost is on top.
                    while let Some(k) = b.1.pop() {
                        konts.push(k);
                    }
                    self.spare_bind_box(b);
                    a
                }
            };
            if let Err(e) = self.tick() {
                teardown(next);
                return Task::Stop(e);
            }
            node = match next {
                Thunk::Mplus(m) => Node::Mplus(m),
                Thunk::Bind(b) => Node::Bind(b),
                leaf => return self.force_leaf(prog, leaf, konts),
            };
        }
    }

    /// Forces a thunk that is neither a `bind` nor an `mplus` node.
    fn force_leaf(&mut self, prog: &Program, t: Thunk, konts: &mut Vec<Kont>) -> Task {
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
                        // The first two clauses that a leading `==` does not refute (when
                        // all but one could be refuted at all; else the first two).
                        let narrows = self.narrows(prog, g, cs);
                        let mut viable = (0..cs.len()).filter(|&i| {
                            if narrows {
                                !self.clause_refuted(prog, cs[i], &env, &st)
                            } else {
                                i < 2
                            }
                        });
                        match (viable.next(), viable.next()) {
                            (None, _) => Task::Ret(Stream::Empty),
                            // Only clause `i` can succeed: the `conde` does not branch, so
                            // the state stays in its scope (variables made before it can
                            // still be bound in place) and no suspension of the other
                            // clauses is kept (forced, it would give nothing: `mplus`
                            // with an empty stream is the other stream).
                            (Some(i), None) => self.clause(prog, cs[i], env, st, konts),
                            (Some(i), Some(_)) => {
                                // Every state leaving a branching `conde` is in a new
                                // scope: variables made before it can no longer be bound
                                // in place.
                                let mut st = st;
                                self.scope += 1;
                                st.subst.scope = self.scope;
                                self.conde_from(g, cs, i, narrows, env, st, konts)
                            }
                        }
                    }
                    _ => self.apply(prog, g, env, st, konts),
                }
            }
            Thunk::CondeRest(g, i, b) => match prog.goal(g) {
                Goal::Conde(cs) => {
                    let (env, st) = self.unsusp(b);
                    self.conde_from(g, cs, i as usize, false, env, st, konts)
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

    /// The goals of conjunction `g` from number `k` on, in `st`, as nested `bind`s: those
    /// that never suspend are applied on the spot, the next one is applied and the rest
    /// wait on the continuation stack as one continuation.
    fn conj_from(
        &mut self,
        prog: &Program,
        g: GoalId,
        k: u32,
        env: Env,
        st: State,
        konts: &mut Vec<Kont>,
    ) -> Task {
        let gs = conj_goals(prog, g, k);
        let (n, st) = match self.immediates(prog, gs, &env, st) {
            (_, None) => return Task::Ret(Stream::Empty),
            (n, Some(st)) => (n, st),
        };
        match gs.get(n) {
            None => Task::Ret(Stream::Unit(st)),
            Some(&first) => {
                if n + 1 < gs.len() {
                    let k = k.saturating_add(u32::try_from(n + 1).unwrap_or(u32::MAX));
                    konts.push(Kont::Bind(g, k, env.clone()));
                }
                self.apply(prog, first, env, st, konts)
            }
        }
    }

    /// The clauses of `conde` `g` from number `i` on. A clause whose leading goals never
    /// suspend is tried on the spot, and skipped if they fail: `mplus` of an empty stream
    /// is the rest, forced at once, so this changes no answer and no order, and saves the
    /// suspension of the remaining clauses (most clauses of the arithmetic relations fail
    /// on their first `==`). `checked`: clause `i` is known not to be refuted by a leading
    /// `==` (see [`Machine::clause_refuted`]).
    #[allow(clippy::too_many_arguments)]
    fn conde_from(
        &mut self,
        g: GoalId,
        cs: &[GoalId],
        i: usize,
        checked: bool,
        env: Env,
        st: State,
        konts: &mut Vec<Kont>,
    ) -> Task {
        let prog = Rc::clone(&self.prog);
        let first = i;
        let mut i = i;
        while let Some(&c) = cs.get(i) {
            let last = i + 1 >= cs.len();
            let (gs, leading) = clause_goals(&prog, &c);
            if leading == 0 {
                if !last {
                    konts.push(Kont::Mplus(self.conde_rest(g, i + 1, &env, &st)));
                }
                return self.apply(&prog, c, env, st, konts);
            }
            if last {
                return match self.immediates(&prog, &gs[..leading], &env, st) {
                    (_, Some(st2)) => self.conj_tail(&prog, c, leading, env, st2, konts),
                    (_, None) => Task::Ret(Stream::Empty),
                };
            }
            // A clause that one of its leading `==`s refutes at once (two different atoms)
            // is skipped before the state is copied: it would fail anyway, since bindings
            // only ever add information (most clauses of the arithmetic relations, e.g.
            // seven of `full-addero`'s eight when its inputs are known).
            if !(checked && i == first)
                && gs[..leading]
                    .iter()
                    .any(|h| self.refutes(prog.goal(*h), &env, &st))
            {
                i += 1;
                continue;
            }
            if let (_, Some(st2)) = self.immediates(&prog, &gs[..leading], &env, st.clone()) {
                let rest = self.susp(env.clone(), st);
                let i = u32::try_from(i + 1).unwrap_or(u32::MAX);
                konts.push(Kont::Mplus(Thunk::CondeRest(g, i, rest)));
                return self.conj_tail(&prog, c, leading, env, st2, konts);
            }
            i += 1;
        }
        Task::Ret(Stream::Empty)
    }

    /// Whether all clauses but one of `conde` `g` could be refuted by a leading `==`
    /// ([`Machine::refutes`] needs a constant or a slot on both sides); computed once per
    /// `conde` and search. When not, looking for the clauses that may succeed is skipped.
    fn narrows(&mut self, prog: &Program, g: GoalId, cs: &[GoalId]) -> bool {
        let i = g.0 as usize;
        if self.narrows.len() <= i {
            self.narrows.resize(i + 1, 0);
        }
        if self.narrows[i] == 0 {
            let refutable = cs
                .iter()
                .filter(|&&c| {
                    let gs: &[GoalId] = match prog.goal(c) {
                        Goal::Conj(gs) => gs,
                        _ => std::slice::from_ref(&c),
                    };
                    gs.iter()
                        .map(|h| prog.goal(*h))
                        .take_while(|goal| goal.is_immediate())
                        .any(|goal| match goal {
                            Goal::Eq(a, b) => {
                                !matches!(a, Tpl::Build(_)) && !matches!(b, Tpl::Build(_))
                            }
                            _ => false,
                        })
                })
                .count();
            self.narrows[i] = if refutable + 1 >= cs.len() { 1 } else { 2 };
        }
        self.narrows[i] == 1
    }

    /// Whether `conde` clause `c` is refuted by one of its leading `==`s (see
    /// [`Machine::refutes`]).
    fn clause_refuted(&self, prog: &Program, c: GoalId, env: &[Term], st: &State) -> bool {
        let gs: &[GoalId] = match prog.goal(c) {
            Goal::Conj(gs) => gs,
            _ => std::slice::from_ref(&c),
        };
        gs.iter()
            .map(|h| prog.goal(*h))
            .take_while(|goal| goal.is_immediate())
            .any(|goal| self.refutes(goal, env, st))
    }

    /// Clause `c` of a `conde`, with nothing left after it.
    fn clause(
        &mut self,
        prog: &Program,
        c: GoalId,
        env: Env,
        st: State,
        konts: &mut Vec<Kont>,
    ) -> Task {
        let (gs, leading) = clause_goals(prog, &c);
        if leading == 0 {
            return self.apply(prog, c, env, st, konts);
        }
        match self.immediates(prog, &gs[..leading], &env, st) {
            (_, Some(st2)) => self.conj_tail(prog, c, leading, env, st2, konts),
            (_, None) => Task::Ret(Stream::Empty),
        }
    }

    /// Whether `goal` fails in `st` without looking further than the two sides of an `==`
    /// of constants and slots: both are atoms, or an atom and a pair, and differ.
    #[inline]
    fn refutes(&self, goal: &Goal, env: &[Term], st: &State) -> bool {
        let Goal::Eq(a, b) = goal else {
            return false;
        };
        let (Some(a), Some(b)) = (a.get(env), b.get(env)) else {
            return false;
        };
        let cells = &self.cells;
        match (st.subst.walk(cells, a), st.subst.walk(cells, b)) {
            (Term::Var(_), _) | (_, Term::Var(_)) | (Term::Pair(_), Term::Pair(_)) => false,
            (x, y) => !x.atom_eq(y),
        }
    }

    /// Clause `c` of a `conde` after its `leading` goals (which never suspend) succeeded.
    fn conj_tail(
        &mut self,
        prog: &Program,
        c: GoalId,
        leading: usize,
        env: Env,
        st: State,
        konts: &mut Vec<Kont>,
    ) -> Task {
        match prog.goal(c) {
            Goal::Conj(gs) if leading < gs.len() => {
                let k = u32::try_from(leading).unwrap_or(u32::MAX);
                self.conj_from(prog, c, k, env, st, konts)
            }
            _ => Task::Ret(Stream::Unit(st)),
        }
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
