//! Gradient solvers for weft sketches: the continuous relaxation of TerpreT (FMGD) and its
//! variants, and gradient-guided discrete search (STE, Bop, GradSearch and its variants) —
//! every method of seed 001's Tables 1 and 2.
//!
//! A key design decision: **restarts are a batch dimension, and the innermost one**.
//! [`relax::Kernel`] compiles the IR graph once into a flat list of operations over `f32`
//! rows whose columns are restarts (times examples, for per-example nodes); one forward and
//! one backward sweep serve all restarts, and every inner loop is a plain loop over a row that
//! the compiler vectorises. Two-argument Boolean tables (the bulk of every Boolean sketch) get
//! fused kernels. The driver keeps every parameter, moment and running average in the same
//! column layout, so the updates vectorise too; a restart that has succeeded leaves the batch;
//! the restarts are split over threads, each chunk a batch of its own. Methods only differ in
//! how they turn their parameters into hole distributions and how they update them from the
//! gradient with respect to those distributions ([`run::run`]). The kernel is written by hand
//! rather than on a tensor crate: the graphs are thousands of tiny operations (a 2×2 table, a
//! 2-way mixture), where a framework's per-op overhead dominates; see `ARCHITECTURE.md` for
//! the measurements.
//!
//! **Success is exact success.** At every step the discrete program of every running restart
//! (the argmax of its parameters, or its current values for discrete methods) is checked
//! exactly when it has changed: the kernel's discrete sweep ([`relax::Kernel::violations`])
//! runs all programs at once and rules out those that violate something; the exact evaluator
//! ([`weft_ir::Evaluator::passes_all`]) judges the rest. A restart succeeds when the evaluator
//! says it passes every example, never because its loss is small.
//!
//! ```
//! use weft_grad::{run, Config, Method};
//! use weft_solve::{NoopObserver, Problem};
//!
//! let text = "param K = 8; hole x: [bool; K - 1];
//!     sketch chain() { let c = [false; K]; for i in 1..K { c[i] = x[i - 1]; }
//!                      for i in 0..K { observe c[i] == c[(i + 1) % K]; } }";
//! let mut map = weft_syntax::SourceMap::new();
//! let file = map.add("chain.wft", text);
//! let c = weft_sketch::compile(&map, file, &Default::default()).unwrap();
//! let p = Problem { graph: &c.graph, examples: &c.examples };
//! let cfg = Config::new(Method::GradSearchRa).with_restarts(10).with_steps(500).with_seed(1);
//! let report = run(&p, &cfg, &mut NoopObserver).unwrap();
//! assert_eq!(report.solved(), 10);
//! ```

pub mod config;
#[macro_use]
pub mod math;
mod pool;
pub mod relax;
pub mod run;

use thiserror::Error;
use weft_solve::{Observer, Outcome, Problem, Solve, SolveError, Stats};

pub use config::{Config, Method};
pub use relax::Kernel;
pub use run::{run, Report, RestartOutcome, RestartResult};

/// Why a gradient run could not start.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum GradError {
    /// A hyperparameter is out of range; the message names the flag.
    #[error("bad hyperparameter: {0}")]
    BadHyper(String),
    /// The graph or the examples cannot be evaluated.
    #[error("cannot relax the sketch: {0}")]
    Graph(String),
    /// The batch would not fit in memory.
    #[error(
        "{restarts} restarts of this sketch need about {:.1} GiB, more than the {:.1} GiB allowed \
         (three quarters of this machine's memory): use fewer restarts (--restarts), a \
         smaller network (--hidden) or a smaller sketch",
        *.bytes as f64 / (1u64 << 30) as f64,
        *.limit as f64 / (1u64 << 30) as f64
    )]
    TooLarge {
        restarts: usize,
        bytes: u64,
        limit: u64,
    },
}

/// A gradient method as a [`Solve`]r: runs the batch and returns the first restart that
/// succeeded (re-checked by [`weft_solve::verify`]).
#[derive(Clone, Debug)]
pub struct GradSolver {
    pub config: Config,
    /// The report of the last solve.
    pub last: Option<Report>,
}

impl GradSolver {
    pub fn new(config: Config) -> GradSolver {
        GradSolver { config, last: None }
    }
}

impl Solve for GradSolver {
    fn name(&self) -> &'static str {
        self.config.method.name()
    }

    fn solve(&mut self, p: &Problem, obs: &mut dyn Observer) -> Result<Outcome, SolveError> {
        let report = match run(p, &self.config, obs) {
            Ok(r) => r,
            // Bad hyperparameters or an unrelaxable graph: the solver could not run at all.
            Err(e) => {
                return Ok(Outcome::GaveUp {
                    reason: e.to_string(),
                    stats: Stats::default(),
                })
            }
        };
        let stats = Stats {
            explored: (report.steps_run * report.restarts.len()) as u64,
            elapsed: report.elapsed,
            found_by: None,
        };
        let outcome = match report.first() {
            Some((_, _, a)) => {
                let a = a.clone();
                let cost = weft_solve::verify(p, self.name(), &a)?;
                Outcome::Found {
                    assignment: a,
                    cost,
                    optimal: false,
                    stats,
                }
            }
            None => Outcome::GaveUp {
                reason: format!(
                    "{}: no restart of {} succeeded in {} steps{}",
                    self.name(),
                    report.restarts.len(),
                    report.steps_run,
                    match report.non_finite() {
                        0 => String::new(),
                        n => format!(" ({n} stopped on a non-finite loss)"),
                    }
                ),
                stats,
            },
        };
        self.last = Some(report);
        Ok(outcome)
    }
}
