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

use std::rc::Rc;

use crate::constraint::State;
use crate::goal::{Env, Goal, GoalId, Program};
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
pub(crate) enum Stream {
    Empty,
    Unit(State),
    Choice(State, Thunk),
    Inc(Thunk),
}

/// A suspended computation producing a stream when forced.
pub(crate) enum Thunk {
    /// The inside of a `fresh` or `conde` suspension (or any goal, applied when forced).
    Suspend(GoalId, Env, State),
    /// The clauses of a `conde` from the given index on.
    CondeRest(GoalId, u32, Env, State),
    /// Force the first, then `mplus` its stream with the second.
    Mplus(Box<Thunk>, Box<Thunk>),
    /// Force the thunk, then `bind` its stream with the goal.
    Bind(Box<Thunk>, GoalId, Env),
    /// The tail after the last answer of a `run` (`(lambda () (lambda () #f))`).
    Tail(u8),
    /// A stream already computed (used by policy-driven expansion).
    Ready(Box<Stream>),
}

/// Frees a thunk tree without recursion.
pub(crate) fn teardown(t: Thunk) {
    let mut stack = vec![t];
    while let Some(t) = stack.pop() {
        match t {
            Thunk::Mplus(a, b) => {
                stack.push(*a);
                stack.push(*b);
            }
            Thunk::Bind(a, _, _) => stack.push(*a),
            Thunk::Ready(s) => match *s {
                Stream::Choice(_, f) | Stream::Inc(f) => stack.push(f),
                _ => {}
            },
            _ => {}
        }
    }
}

enum Kont {
    Bind(GoalId, Env),
    Mplus(Thunk),
}

enum Task {
    Apply(GoalId, Env, State),
    Force(Thunk),
    Ret(Stream),
}

/// Budgets for one search.
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    /// Stop after this many steps (forcings and relation calls).
    pub max_steps: Option<u64>,
    /// Stop after allocating this many logic variables.
    pub max_vars: Option<u64>,
}

/// The machine: the program, the variable counter and the budgets.
pub(crate) struct Machine {
    pub prog: Rc<Program>,
    pub next_var: u32,
    pub steps: u64,
    pub limits: Limits,
    /// The continuation stack, kept between forcings to reuse its allocation.
    konts: Vec<Kont>,
}

impl Machine {
    pub fn new(prog: Rc<Program>, limits: Limits) -> Machine {
        Machine {
            prog,
            next_var: 0,
            steps: 0,
            limits,
            konts: Vec::new(),
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
                Task::Apply(g, env, st) => self.apply(&prog, g, env, st, konts)?,
                Task::Force(t) => {
                    self.tick()?;
                    self.force_one(&prog, t, konts)?
                }
                Task::Ret(s) => match konts.pop() {
                    None => return Ok(s),
                    Some(Kont::Bind(g, env)) => match s {
                        Stream::Empty => Task::Ret(Stream::Empty),
                        Stream::Inc(f) => Task::Ret(Stream::Inc(Thunk::Bind(Box::new(f), g, env))),
                        Stream::Unit(c) => Task::Apply(g, env, c),
                        Stream::Choice(c, f) => {
                            konts.push(Kont::Mplus(Thunk::Bind(Box::new(f), g, env.clone())));
                            Task::Apply(g, env, c)
                        }
                    },
                    Some(Kont::Mplus(f)) => match s {
                        Stream::Empty => Task::Force(f),
                        Stream::Inc(f2) => {
                            Task::Ret(Stream::Inc(Thunk::Mplus(Box::new(f), Box::new(f2))))
                        }
                        Stream::Unit(c) => Task::Ret(Stream::Choice(c, f)),
                        Stream::Choice(c, f2) => {
                            Task::Ret(Stream::Choice(c, Thunk::Mplus(Box::new(f), Box::new(f2))))
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

    fn apply(
        &mut self,
        prog: &Program,
        g: GoalId,
        env: Env,
        st: State,
        konts: &mut Vec<Kont>,
    ) -> Result<Task, Stop> {
        Ok(match prog.goal(g) {
            Goal::Succeed => Task::Ret(Stream::Unit(st)),
            Goal::Fail => Task::Ret(Stream::Empty),
            Goal::Eq(a, b) => Self::unit(st.unify(&a.build(&env), &b.build(&env))),
            Goal::Neq(a, b) => Self::unit(st.diseq(&a.build(&env), &b.build(&env))),
            Goal::Type(ty, a) => Self::unit(st.typed(*ty, &a.build(&env))),
            Goal::Absento(a, b) => Self::unit(st.absento(&a.build(&env), &b.build(&env))),
            Goal::Conj(gs) => match gs.split_first() {
                None => Task::Ret(Stream::Unit(st)),
                Some((first, rest)) => {
                    for r in rest.iter().rev() {
                        konts.push(Kont::Bind(*r, env.clone()));
                    }
                    Task::Apply(*first, env, st)
                }
            },
            Goal::Fresh { .. } | Goal::Conde(_) => {
                Task::Ret(Stream::Inc(Thunk::Suspend(g, env, st)))
            }
            Goal::Call { rel, args } => {
                self.tick()?;
                match prog.rel(*rel) {
                    Some(r) if r.arity == args.len() => {
                        let frame: Env = r
                            .frame
                            .iter()
                            .enumerate()
                            .map(|(i, t)| match args.get(i) {
                                Some(a) => a.build(&env),
                                None => t.clone(),
                            })
                            .collect();
                        Task::Apply(r.body, frame, st)
                    }
                    _ => Task::Ret(Stream::Empty),
                }
            }
            Goal::Reify => Task::Ret(Stream::Choice(st, Thunk::Tail(2))),
        })
    }

    fn force_one(&mut self, prog: &Program, t: Thunk, konts: &mut Vec<Kont>) -> Result<Task, Stop> {
        Ok(match t {
            Thunk::Suspend(g, env, st) => match prog.goal(g) {
                Goal::Fresh { slots, body } => {
                    // Variables are numbered in declaration order (slots are increasing),
                    // and the new frame is built in one allocation.
                    let base = self.next_var;
                    let next = u64::from(base) + slots.len() as u64;
                    if let Some(m) = self.limits.max_vars {
                        if next > m {
                            return Err(Stop::Vars(m));
                        }
                    }
                    self.next_var = u32::try_from(next).unwrap_or(u32::MAX);
                    let frame: Env = env
                        .iter()
                        .enumerate()
                        .map(|(i, t)| match slots.iter().position(|s| *s as usize == i) {
                            Some(k) => Term::Var(Var(base.saturating_add(k as u32))),
                            None => t.clone(),
                        })
                        .collect();
                    Task::Apply(*body, frame, st)
                }
                Goal::Conde(cs) => self.conde_from(g, cs, 0, env, st, konts),
                _ => Task::Apply(g, env, st),
            },
            Thunk::CondeRest(g, i, env, st) => match prog.goal(g) {
                Goal::Conde(cs) => self.conde_from(g, cs, i as usize, env, st, konts),
                _ => Task::Ret(Stream::Empty),
            },
            Thunk::Mplus(a, b) => {
                konts.push(Kont::Mplus(*b));
                Task::Force(*a)
            }
            Thunk::Bind(a, g, env) => {
                konts.push(Kont::Bind(g, env));
                Task::Force(*a)
            }
            Thunk::Tail(n) => {
                if n <= 1 {
                    Task::Ret(Stream::Empty)
                } else {
                    Task::Ret(Stream::Inc(Thunk::Tail(n - 1)))
                }
            }
            Thunk::Ready(s) => Task::Ret(*s),
        })
    }

    fn conde_from(
        &mut self,
        g: GoalId,
        cs: &[GoalId],
        i: usize,
        env: Env,
        st: State,
        konts: &mut Vec<Kont>,
    ) -> Task {
        let Some(&c) = cs.get(i) else {
            return Task::Ret(Stream::Empty);
        };
        if i + 1 < cs.len() {
            konts.push(Kont::Mplus(Thunk::CondeRest(
                g,
                i as u32 + 1,
                env.clone(),
                st.clone(),
            )));
        }
        Task::Apply(c, env, st)
    }
}
