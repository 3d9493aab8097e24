//! `weft-kanren`: a miniKanren whose search is data a policy can steer.
//!
//! A complete, fast miniKanren (`==`, `fresh`, `conde`, `run`, `=/=`, `symbolo`, `numbero`,
//! `stringo`, `absento`) that answers exactly as faster-miniKanren does, in the same order
//! under its default interleaving. The key design decision: goals and suspended searches are
//! plain data ([`goal::Goal`] nodes plus environments; [`Search`] holds a tree of
//! suspensions), never closures, so the frontier of a search can be listed, printed as
//! s-expressions and handed to a [`Policy`] (depth-first, random, best-first by a learned
//! score) that decides what to expand next. Policies change the order of answers, never the
//! answers.
//!
//! As in faster-miniKanren, a variable that no `conde` has branched over since it was
//! created is bound in place rather than in the persistent substitution (see [`subst`]).
//!
//! The kernel (`term`, `subst`, `unify`, `goal`, `stream`) knows nothing of syntax;
//! `constraint` and `reify` hold the constraint store and the answer format, `search` and
//! `policy` the steerable search, `reader` the Scheme surface, `build` the Rust builder API,
//! and `bench` the benchmark programs. No code path recurses on the depth of an input term,
//! list or search tree (walks, unification, reification, printing and freeing use explicit
//! stacks); the reader refuses programs nested more than 1000 deep.
//!
//! ```
//! use weft_kanren::Module;
//! let m = Module::parse(r#"
//!   (defrel (appendo l s out)
//!     (conde
//!       ((== '() l) (== s out))
//!       ((fresh (a d res)
//!          (== `(,a . ,d) l)
//!          (== `(,a . ,res) out)
//!          (appendo d s res)))))
//!   (run* (x y) (appendo x y '(1 2)))
//! "#).unwrap();
//! let answers = m.run(0).unwrap();
//! assert_eq!(weft_kanren::show(&answers), "((() (1 2)) ((1) (2)) ((1 2) ()))");
//! ```

pub mod bench;
pub mod build;
pub mod constraint;
pub mod error;
pub mod goal;
pub mod policy;
pub mod reader;
pub mod reify;
pub mod search;
pub mod stream;
pub mod subst;
pub mod term;
pub mod unify;

use std::rc::Rc;

pub use constraint::{State, Type};
pub use error::{Error, Pos};
pub use goal::{Goal, GoalId, Program, Tpl};
pub use policy::{BestFirst, DepthFirst, Interleave, Policy, Random};
pub use reader::RunForm;
pub use search::{Frontier, Search};
pub use stream::{Limits, Observer, Stop};
pub use term::{Sym, Term, Var};

/// A program read from source: its relations and its `run` forms.
#[derive(Clone, Debug)]
pub struct Module {
    prog: Rc<Program>,
    runs: Vec<RunForm>,
}

impl Module {
    /// Reads and compiles miniKanren source.
    pub fn parse(src: &str) -> Result<Module, Error> {
        let forms = reader::parse_sexps(src)?;
        let mut prog = Program::new();
        let runs = reader::compile(&mut prog, &forms)?;
        Ok(Module {
            prog: Rc::new(prog),
            runs,
        })
    }

    /// A module with no relations and no runs (a REPL's starting point).
    pub fn empty() -> Module {
        Module::from_program(Program::new())
    }

    /// A module over relations built in Rust (see [`goal::Program`]); add queries with
    /// [`Module::add_run`].
    pub fn from_program(prog: Program) -> Module {
        Module {
            prog: Rc::new(prog),
            runs: Vec::new(),
        }
    }

    /// The `run` forms, in source order.
    pub fn runs(&self) -> &[RunForm] {
        &self.runs
    }

    /// Compiles one more `run` form against this module's relations; returns its index.
    pub fn add_run(&mut self, src: &str) -> Result<usize, Error> {
        let forms = reader::parse_sexps(src)?;
        let prog = Rc::make_mut(&mut self.prog);
        let [f] = forms.as_slice() else {
            return Err(Error::Syntax {
                line: 1,
                col: 1,
                msg: "expected exactly one `run` form".into(),
            });
        };
        if !matches!(f.kind, reader::SexpKind::List(..)) {
            return Err(Error::Syntax {
                line: f.pos.line,
                col: f.pos.col,
                msg: "expected a `run` form".into(),
            });
        }
        let r = reader::compile_run(prog, f)?;
        self.runs.push(r);
        Ok(self.runs.len() - 1)
    }

    /// Reads more source into this module (a REPL's next input): its relations are added
    /// (a relation defined again is replaced) and its `run` forms appended; returns the
    /// indices of the new runs. Nothing changes when the source has an error.
    pub fn extend(&mut self, src: &str) -> Result<std::ops::Range<usize>, Error> {
        let forms = reader::parse_sexps(src)?;
        let mut prog = (*self.prog).clone();
        let runs = reader::compile(&mut prog, &forms)?;
        self.prog = Rc::new(prog);
        let start = self.runs.len();
        self.runs.extend(runs);
        Ok(start..self.runs.len())
    }

    /// A search for the answers of run form `i`.
    pub fn search(&self, i: usize, limits: Limits) -> Result<Search, Error> {
        let r = self.runs.get(i).ok_or(Error::NoSuchRun(i))?;
        Ok(Search::new(Rc::clone(&self.prog), r.goal, &r.frame, limits))
    }

    /// All the answers run form `i` asks for, in faster-miniKanren's order, with no budget.
    pub fn run(&self, i: usize) -> Result<Vec<Term>, Error> {
        self.run_with(i, &mut Interleave, Limits::default())
    }

    /// The answers of run form `i` under a policy and budgets.
    pub fn run_with(
        &self,
        i: usize,
        policy: &mut dyn Policy,
        limits: Limits,
    ) -> Result<Vec<Term>, Error> {
        let n = self.runs.get(i).ok_or(Error::NoSuchRun(i))?.n;
        let mut s = self.search(i, limits)?;
        let mut out = Vec::new();
        while n.is_none_or(|n| (out.len() as u64) < n) {
            match s.next_with(policy)? {
                Some(a) => out.push(a),
                None => break,
            }
        }
        Ok(out)
    }

    /// Parses `src` (relations and one `run` form) and returns that run's answers as text.
    pub fn eval_str(src: &str) -> Result<String, Error> {
        let m = Module::parse(src)?;
        let mut out = Vec::new();
        for i in 0..m.runs.len() {
            out.push(show(&m.run(i)?));
        }
        Ok(out.join("\n"))
    }
}

/// A list of answers as miniKanren prints it: `(a1 a2 ...)`.
pub fn show(answers: &[Term]) -> String {
    Term::list(answers.to_vec()).to_string()
}
