//! Clause sinks: where an encoding goes. [`Cnf`] keeps the clauses (for DIMACS export and
//! tests); `Cadical` feeds them straight into the CaDiCaL solver.
//!
//! Literals are DIMACS integers (`-3` is "not variable 3"). Variable 1 is reserved for the
//! constant *true* ([`TRUE`]); every sink receives the unit clause `1` first. Sinks simplify
//! each clause as it arrives: a clause with `TRUE` (or with both `x` and `-x`) is dropped,
//! `FALSE` literals are removed. That is what makes constant folding free in the encoder: a
//! clause over example inputs (constants) collapses to what actually constrains the holes.
//!
//! A key design decision: CaDiCaL is driven directly through the `cadical` crate (five calls:
//! add, assume, solve, value, failed, plus its terminate callback), and `rustsat` is used for
//! what it is good at, the encodings (totalizers, at-most-one). rustsat's own solver traits
//! return `anyhow` errors and would add a layer this crate does not need; its encodings only
//! need a [`rustsat::encodings::CollectClauses`] and a variable manager, which [`Collect`]
//! provides over any sink.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rustsat::encodings::CollectClauses;
use rustsat::types::{Clause, Lit};

/// The literal that is always true (variable 1, fixed by a unit clause).
pub const TRUE: i32 = 1;
/// The literal that is always false.
pub const FALSE: i32 = -1;

/// Receives clauses.
pub trait Sink {
    /// Adds a clause (already simplified by [`simplify`]).
    fn push(&mut self, clause: &[i32]);
    /// Clauses received so far.
    fn n_clauses(&self) -> usize;
    /// Why encoding should stop now ("deadline", "cancelled"), if it should: a large encoding
    /// checks this between nodes, so that `--timeout` and Ctrl-C hold while it is built.
    fn stop_reason(&mut self) -> Option<&'static str> {
        None
    }
}

/// Simplifies a clause: `None` when it is satisfied (contains `TRUE` or a complementary pair),
/// otherwise the clause without `FALSE` and without repeated literals.
pub fn simplify(clause: &[i32], buf: &mut Vec<i32>) -> bool {
    buf.clear();
    for &l in clause {
        if l == TRUE {
            return false;
        }
        if l == FALSE || buf.contains(&l) {
            continue;
        }
        if buf.contains(&-l) {
            return false;
        }
        buf.push(l);
    }
    true
}

/// A clause list in memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cnf {
    pub clauses: Vec<Vec<i32>>,
}

impl Sink for Cnf {
    fn push(&mut self, clause: &[i32]) {
        self.clauses.push(clause.to_vec());
    }
    fn n_clauses(&self) -> usize {
        self.clauses.len()
    }
}

impl Cnf {
    /// Whether a model (`model[v]` is variable `v`'s value, index 0 unused) satisfies every
    /// clause.
    pub fn satisfied_by(&self, model: &[bool]) -> bool {
        self.clauses.iter().all(|c| {
            c.iter().any(|&l| {
                let v = model
                    .get(l.unsigned_abs() as usize)
                    .copied()
                    .unwrap_or(false);
                v == (l > 0)
            })
        })
    }
}

/// CaDiCaL's configuration presets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Preset {
    /// CaDiCaL's defaults.
    Default,
    /// Tuned for satisfiable instances (the default here: synthesis problems with a program
    /// are satisfiable, and the hard TerpreT circuits solve several times faster with it;
    /// numbers in ARCHITECTURE.md).
    #[default]
    Sat,
    /// Tuned for unsatisfiable instances.
    Unsat,
    /// No preprocessing or inprocessing.
    Plain,
}

impl Preset {
    pub fn name(self) -> &'static str {
        match self {
            Preset::Default => "default",
            Preset::Sat => "sat",
            Preset::Unsat => "unsat",
            Preset::Plain => "plain",
        }
    }
}

/// Why CaDiCaL was asked to stop.
pub(crate) struct Stop<'o> {
    pub obs: &'o mut dyn weft_solve::Observer,
    pub deadline: Option<Instant>,
    pub calls: u32,
    /// Set when the callback asked CaDiCaL to stop: "deadline", "cancelled" or [`RACE`].
    pub reason: Option<&'static str>,
    /// Set by the local search racing beside CaDiCaL when it has a program.
    pub race: Option<Arc<AtomicBool>>,
}

/// The stop reason when the local search racing beside CaDiCaL found a program first.
pub const RACE: &str = "race";

impl cadical::Callbacks for Stop<'_> {
    fn terminate(&mut self) -> bool {
        self.calls = self.calls.wrapping_add(1);
        if self.reason.is_some() {
            return true;
        }
        // The callback runs very often; the clock and the observer are read every 64 calls.
        if self.calls % 64 != 0 {
            return false;
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            self.reason = Some("deadline");
        } else if self.obs.cancelled() {
            self.reason = Some("cancelled");
        } else if self
            .race
            .as_ref()
            .is_some_and(|r| r.load(Ordering::Relaxed))
        {
            self.reason = Some(RACE);
        }
        self.reason.is_some()
    }
}

/// CaDiCaL as a sink, with the observer and deadline in its terminate callback.
pub(crate) struct Cadical<'o> {
    pub sat: cadical::Solver<Stop<'o>>,
    pub clauses: usize,
    /// Every solve call stops after this many conflicts (returning `None` with no stop
    /// reason) while it is set.
    pub conflict_limit: Option<i32>,
}

impl<'o> Cadical<'o> {
    pub fn new(
        obs: &'o mut dyn weft_solve::Observer,
        deadline: Option<Instant>,
        preset: Preset,
    ) -> Self {
        // The preset names are CaDiCaL's own; a refused name falls back to the default.
        let mut sat = cadical::Solver::with_config(preset.name()).unwrap_or_default();
        sat.set_callbacks(Some(Stop {
            obs,
            deadline,
            calls: 0,
            reason: None,
            race: None,
        }));
        Cadical {
            sat,
            clauses: 0,
            conflict_limit: None,
        }
    }

    pub fn stop(&mut self) -> &mut Stop<'o> {
        // The callbacks are set in `new` and never removed.
        self.sat.get_callbacks().expect("callbacks are set in new")
    }

    /// `Some(true)`: satisfiable; `Some(false)`: unsatisfiable under the assumptions; `None`:
    /// stopped (see [`Stop::reason`]).
    pub fn solve(&mut self, assumptions: &[i32]) -> Option<bool> {
        if self.stop().reason.is_some() {
            return None;
        }
        if self.stop().deadline.is_some_and(|d| Instant::now() >= d) {
            self.stop().reason = Some("deadline");
            return None;
        }
        // "conflicts" is one of CaDiCaL's limit names (-1: none); set before every call, so
        // that a limit never outlives the phase that set it.
        let _ = self
            .sat
            .set_limit("conflicts", self.conflict_limit.unwrap_or(-1));
        self.sat.solve_with(assumptions.iter().copied())
    }

    /// The value of a literal in the last model (`TRUE`/`FALSE` included).
    pub fn value(&self, lit: i32) -> bool {
        self.sat.value(lit) == Some(true)
    }

    pub fn observer(&mut self) -> &mut dyn weft_solve::Observer {
        self.stop().obs
    }
}

impl Sink for Cadical<'_> {
    fn push(&mut self, clause: &[i32]) {
        self.clauses += 1;
        self.sat.add_clause(clause.iter().copied());
    }
    fn n_clauses(&self) -> usize {
        self.clauses
    }
    fn stop_reason(&mut self) -> Option<&'static str> {
        let s = self.stop();
        if s.reason.is_none() {
            if s.deadline.is_some_and(|d| Instant::now() >= d) {
                s.reason = Some("deadline");
            } else if s.obs.cancelled() {
                s.reason = Some("cancelled");
            }
        }
        s.reason
    }
}

/// Lets rustsat's encodings write into any [`Sink`].
pub struct Collect<'s, S: Sink + ?Sized> {
    pub sink: &'s mut S,
    buf: Vec<i32>,
    raw: Vec<i32>,
}

impl<'s, S: Sink + ?Sized> Collect<'s, S> {
    pub fn new(sink: &'s mut S) -> Self {
        Collect {
            sink,
            buf: Vec::new(),
            raw: Vec::new(),
        }
    }
}

impl<S: Sink + ?Sized> CollectClauses for Collect<'_, S> {
    fn n_clauses(&self) -> usize {
        self.sink.n_clauses()
    }
    fn extend_clauses<T>(&mut self, cl_iter: T) -> Result<(), rustsat::OutOfMemory>
    where
        T: IntoIterator<Item = Clause>,
    {
        for cl in cl_iter {
            self.raw.clear();
            self.raw.extend(cl.iter().map(|l| l.to_ipasir()));
            if simplify(&self.raw, &mut self.buf) {
                self.sink.push(&self.buf);
            }
        }
        Ok(())
    }
}

/// A DIMACS literal as a rustsat literal (`lit != 0`).
pub fn to_lit(lit: i32) -> Lit {
    Lit::new(lit.unsigned_abs() - 1, lit < 0)
}
