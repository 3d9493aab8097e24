//! The solver interface shared by every weft solver, and the reference solver
//! [`Enumerate`].
//!
//! A solver takes a [`Problem`] (one IR graph and its examples) and fills the holes: it returns
//! an [`Outcome`] that either carries an assignment, proves that none exists, or says why it
//! gave up. Solvers report progress through an [`Observer`] and never print.
//!
//! A key design decision: **no solver grades itself**. Whatever a solver believes about its
//! answer, a `Found` is only returned after the exact evaluator ([`weft_ir::Evaluator`]) has
//! checked it on every example ([`verify`]); a disagreement is a [`SolveError::Unsound`], a bug
//! in the solver, never a wrong answer handed to the user.
//!
//! ```
//! use weft_ir::{Assignment, Builder, Examples, Slot, SrcSpan};
//! use weft_solve::{Enumerate, NoopObserver, Outcome, Problem, Solve};
//!
//! // out = x xor h: find h from one example.
//! let mut b = Builder::new("flip");
//! let bool_d = b.bool_domain();
//! let slot = |name: &str| Slot { name: name.into(), decl: name.into(), index: vec![], domain: bool_d };
//! let x = b.input(slot("x"));
//! let h = b.hole_decl("h", vec![], bool_d, SrcSpan::default())[0];
//! let out = b.apply_fn("^", &[x, h], bool_d, |v| v[0] ^ v[1]);
//! b.output(slot("out"), out);
//! let graph = b.finish();
//! let mut examples = Examples::with_slots(1, 1);
//! examples.push(&[0], &[Some(1)], "example 1");
//!
//! let problem = Problem { graph: &graph, examples: &examples };
//! let outcome = Enumerate::default().solve(&problem, &mut NoopObserver).unwrap();
//! assert!(matches!(outcome, Outcome::Found { assignment, .. } if assignment == Assignment(vec![1])));
//! ```

pub mod enumerate;
pub mod local;

use std::time::Duration;

use thiserror::Error;
use weft_ir::{Assignment, EvalError, Evaluator, Examples, Graph};

pub use enumerate::{Enumerate, EnumerateConfig};
pub use local::{Local, LocalConfig, LocalSearch};

/// What a solver is asked to do: fill the holes of `graph` so that every example passes.
#[derive(Clone, Copy, Debug)]
pub struct Problem<'a> {
    pub graph: &'a Graph,
    pub examples: &'a Examples,
}

/// How much work a solve took.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Candidates examined (assignments for enumeration; a solver-specific unit otherwise).
    pub explored: u64,
    pub elapsed: Duration,
    /// Which engine of a portfolio found the answer (`weft-sat`: the local search racing
    /// CaDiCaL, or CaDiCaL searching around the local search's assignment); `None` when the
    /// solver's main engine did.
    pub found_by: Option<&'static str>,
}

/// The result of a solve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// An assignment that passes every example, checked by the exact evaluator.
    Found {
        assignment: Assignment,
        /// Its total cost, as the exact evaluator computes it.
        cost: i64,
        /// The solver proved that no passing assignment costs less (only when it was asked to
        /// minimise and finished; `false` for a first solution or a search cut short).
        optimal: bool,
        stats: Stats,
    },
    /// Proved: no assignment passes every example (the whole space was searched).
    NoSolution { stats: Stats },
    /// Neither found nor proved: a limit, deadline or cancellation stopped the search.
    GaveUp { reason: String, stats: Stats },
}

impl Outcome {
    pub fn stats(&self) -> &Stats {
        match self {
            Outcome::Found { stats, .. }
            | Outcome::NoSolution { stats }
            | Outcome::GaveUp { stats, .. } => stats,
        }
    }
    /// The assignment, for `Found`.
    pub fn assignment(&self) -> Option<&Assignment> {
        match self {
            Outcome::Found { assignment, .. } => Some(assignment),
            _ => None,
        }
    }
}

/// Why a solver could not run (as opposed to running and finding nothing).
#[derive(Clone, Debug, PartialEq, Error)]
pub enum SolveError {
    /// The search space is larger than the solver is configured to search.
    #[error(
        "the search space has {} assignments, more than the limit of {}; raise the limit \
         (--limit) or use another solver",
        weft_ir::dump::show_space(*space),
        weft_ir::dump::show_space(*limit)
    )]
    TooLarge { space: f64, limit: f64 },
    /// The graph, the examples or an assignment cannot be evaluated.
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// A solver's answer failed the exact evaluator: a bug in that solver.
    #[error("solver {solver} returned an answer the exact evaluator rejects: {detail}")]
    Unsound {
        solver: &'static str,
        detail: String,
    },
}

/// Receives progress reports; every method has a do-nothing default.
pub trait Observer {
    /// `done` units of work out of `total`, when the total is known.
    fn progress(&mut self, _done: u64, _total: Option<u64>) {}
    /// A better answer was found while minimising (its cost).
    fn improved(&mut self, _cost: i64) {}
    /// Polled now and then: `true` asks the solver to stop and give up (Ctrl-C).
    fn cancelled(&mut self) -> bool {
        false
    }
}

/// An observer that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoopObserver;

impl Observer for NoopObserver {}

/// A solver: fills the holes of a problem.
pub trait Solve {
    /// A short name for messages and `--solver`.
    fn name(&self) -> &'static str;
    fn solve(&mut self, p: &Problem, obs: &mut dyn Observer) -> Result<Outcome, SolveError>;
}

/// Checks an answer with the exact evaluator and returns its total cost; an answer that fails
/// any example is [`SolveError::Unsound`]. Every solver calls this before returning `Found`.
pub fn verify(p: &Problem, solver: &'static str, a: &Assignment) -> Result<i64, SolveError> {
    let mut ev = Evaluator::new(p.graph)?;
    verify_with(&mut ev, p, solver, a)
}

/// [`verify`] with an evaluator the caller already has.
pub fn verify_with(
    ev: &mut Evaluator,
    p: &Problem,
    solver: &'static str,
    a: &Assignment,
) -> Result<i64, SolveError> {
    let r = ev.evaluate(p.graph, a, p.examples)?;
    match r.first_failure() {
        None => Ok(r.cost),
        Some(e) => {
            let origin = p
                .examples
                .origins
                .get(e)
                .map(|o| format!(" ({o})"))
                .unwrap_or_default();
            Err(SolveError::Unsound {
                solver,
                detail: format!("example {e}{origin} fails"),
            })
        }
    }
}
