//! The SAT backend: a weft graph and its examples as CNF, solved by CaDiCaL.
//!
//! [`Sat`] implements [`weft_solve::Solve`]: it finds a program that fits every example, or
//! *proves* that none exists (CaDiCaL's unsatisfiability, not a search limit), and with
//! [`SatConfig::minimize`] finds one of least total cost with the proof of optimality
//! (solution-improving MaxSAT over rustsat's generalized totalizer, each better bound reported
//! through [`weft_solve::Observer::improved`]). [`Sat::max_fit`] fits as many examples as
//! possible; [`Sat::enumerate`] lists distinct programs with blocking clauses over the holes
//! that matter ([`relevant`]); [`miter::check_all_inputs`] proves that a program agrees with a
//! reference on every input; [`export`] writes the problem as DIMACS and SMT-LIB2.
//!
//! A key design decision of this crate: the encoding is **one-hot over the values a node can
//! actually take** ([`encode`]), computed while encoding, so constants and example inputs fold
//! away and a bool costs one variable; static nodes (holes and what depends on holes only) are
//! encoded once, the rest once per example. CaDiCaL is driven directly (the `cadical` crate,
//! compiled from source, no system library) and rustsat supplies the cardinality,
//! pseudo-Boolean and at-most-one encodings ([`cnf`] says why).
//!
//! ```
//! use weft_ir::{Builder, Examples, Slot, SrcSpan};
//! use weft_sat::{Sat, SatConfig};
//! use weft_solve::{NoopObserver, Outcome, Problem, Solve};
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
//! let outcome = Sat::new(SatConfig::default()).solve(&problem, &mut NoopObserver).unwrap();
//! assert_eq!(outcome.assignment().map(|a| a.0.clone()), Some(vec![1]));
//!
//! // Contradictory examples: proved impossible.
//! examples.push(&[0], &[Some(0)], "example 2");
//! let problem = Problem { graph: &graph, examples: &examples };
//! let outcome = Sat::new(SatConfig::default()).solve(&problem, &mut NoopObserver).unwrap();
//! assert!(matches!(outcome, Outcome::NoSolution { .. }));
//! ```

pub mod cnf;
pub mod encode;
pub mod export;
pub mod formula;
pub mod miter;
pub mod relevant;
pub mod solver;

use thiserror::Error;

pub use cnf::Preset;
pub use encode::HoleEncoding;
pub use formula::{encode_problem, size, Formula, Size};
pub use solver::{
    Enumeration, FitOutcome, Sat, SatConfig, EAGER_MAX, LOCAL, NEIGHBOURHOOD, RACE_AFTER,
};

/// Why the SAT backend could not answer.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum SatError {
    /// The encoding would exceed the clause budget ([`SatConfig::max_clauses`]).
    #[error(
        "the problem is too large to encode: more than {limit} clauses ({clauses} reached while \
         encoding {at}); raise the clause budget (--max-clauses) or shrink the sketch"
    )]
    TooLarge {
        clauses: usize,
        limit: usize,
        at: String,
    },
    /// The deadline or a cancellation stopped the encoding before the solver started.
    #[error("{} while encoding {at}", if *reason == "cancelled" { "cancelled" } else { "deadline reached" })]
    Stopped { reason: &'static str, at: String },
    /// The graph, the examples or an assignment cannot be evaluated.
    #[error(transparent)]
    Eval(#[from] weft_ir::EvalError),
    /// Cost weights whose differences do not fit the pseudo-Boolean encoding.
    #[error("cost weights too large for the pseudo-Boolean encoding (a difference of {0})")]
    Weights(i128),
    /// A model failed the exact evaluator, or disagreed with it about the cost: a bug here.
    #[error("the SAT backend returned an answer the exact evaluator rejects: {0}")]
    Unsound(String),
    /// The two graphs of a miter do not have the same inputs and outputs.
    #[error("the reference does not match the sketch: {0}")]
    Mismatch(String),
}

/// A failed check of an answer (by [`weft_solve::verify_with`], in the SAT backend or the local
/// search racing it) is a bug here; an evaluation error stays one.
impl From<weft_solve::SolveError> for SatError {
    fn from(e: weft_solve::SolveError) -> SatError {
        match e {
            weft_solve::SolveError::Eval(e) => SatError::Eval(e),
            other => SatError::Unsound(other.to_string()),
        }
    }
}
