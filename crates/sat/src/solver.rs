//! The solver: CaDiCaL over the formula, used incrementally.
//!
//! - **Find / prove.** The facts of every example are unit clauses; one call to CaDiCaL either
//!   gives a model (read back as hole values and checked by the exact evaluator) or proves
//!   that no assignment fits.
//! - **Minimise** (solution-improving MaxSAT). The cost terms go into rustsat's
//!   [`GeneralizedTotalizer`], built lazily; after each model of cost `c` the bound `< c` is
//!   asserted through assumptions (so the solver keeps everything it learnt) until the solver
//!   proves that no cheaper model exists. Each improvement is reported through
//!   [`Observer::improved`]. Core-guided search was not needed for the suite's costs (gate
//!   counts); the solution-improving loop also always has an answer when it is cut short.
//! - **Max-fit.** Each example's facts are guarded by a selector `s_e` (`s_e → fact`); a
//!   rustsat [`Totalizer`] over the unselected examples bounds how many may fail, and the same
//!   improving loop drives it to the proved optimum.
//! - **Enumerate.** After each program, a blocking clause over the holes that matter
//!   ([`crate::relevant`]) excludes every assignment that denotes the same program.
//! - **The race** ([`SatConfig::local_search`]). After its first [`RACE_AFTER`] conflicts,
//!   CaDiCaL races a local search over hole assignments on another thread, and asks
//!   neighbourhood queries around that search's current assignment; the first program found
//!   wins, and [`Stats::found_by`] says by whom.
//! - **Deadline and cancellation.** CaDiCaL's terminate callback reads the clock and
//!   [`Observer::cancelled`]; a stopped call reports what was proved so far.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustsat::encodings::card::{BoundUpper as _, BoundUpperIncremental as _, Totalizer};
use rustsat::encodings::pb::{BoundUpper as _, BoundUpperIncremental as _, GeneralizedTotalizer};
use rustsat::encodings::EnforceError;
use rustsat::types::Lit;
use weft_ir::{Assignment, Evaluator};
use weft_solve::{
    verify_with, LocalConfig, LocalSearch, Observer, Outcome, Problem, Solve, SolveError, Stats,
};

use crate::cnf::{to_lit, Cadical, Collect, Preset, Sink, RACE};
use crate::encode::{HoleEncoding, Holes};
use crate::formula::{encode_problem, Formula};
use crate::SatError;

/// Settings of [`Sat`].
#[derive(Clone, Debug, PartialEq)]
pub struct SatConfig {
    /// Find a program of least total cost, with the proof of optimality.
    pub minimize: bool,
    /// Give up after this much time (what was found so far is kept).
    pub deadline: Option<Duration>,
    /// Refuse problems whose encoding needs more clauses than this (default 20 million).
    pub max_clauses: usize,
    /// How holes are encoded.
    pub holes: HoleEncoding,
    /// Encode examples lazily: start from one, add each example a candidate fails (checked by
    /// the exact evaluator) until a candidate passes all or the solver proves none exists.
    /// Used when every cost is a once-cost (per-example costs need every example), and only
    /// when encoding every example would take more than `eager_max` clauses (estimated from
    /// the first example's copy); below that every example is encoded up front.
    pub cegis: bool,
    /// The size (clauses) up to which every example is encoded up front even with `cegis`.
    pub eager_max: usize,
    /// 0: examples in their order (lazily: start from the first, add the first one a
    /// candidate fails). Any other value starts from, adds, or (up front) encodes the examples
    /// in an order drawn from this seed, which gives the solver a different but equally valid
    /// path. Benchmarks use it to sample the spread of solve times, which one fixed path hides
    /// (CaDiCaL is deterministic).
    pub seed: u64,
    /// CaDiCaL's configuration preset.
    pub preset: Preset,
    /// Pin holes that cannot matter to their first value ([`crate::encode::Encoder::break_redundancy`]).
    pub redundancy: bool,
    /// Race a local search over hole assignments ([`weft_solve::local`]) beside CaDiCaL for
    /// the first program: CaDiCaL runs alone for its first [`RACE_AFTER`] conflicts (so every
    /// problem it solves within them gets CaDiCaL's answer, deterministically), then whichever
    /// finds a program first stops the other. Meanwhile, where every example is encoded up
    /// front, CaDiCaL interleaves its own search with neighbourhood queries: programs that
    /// agree with the local search's current assignment on a random two thirds of the holes
    /// (assumptions, a few conflicts each). The local search runs on its own thread from the
    /// start; its answer is checked by the exact evaluator like CaDiCaL's. Proofs (no
    /// solution, optimality) are CaDiCaL's alone.
    pub local_search: bool,
}

/// Conflicts CaDiCaL gets alone before the local search may win the race (see
/// [`SatConfig::local_search`]): about 0.05 s on the 2-bit adder's encoding.
pub const RACE_AFTER: i32 = 1000;

/// Evaluations between two looks of the local search at the race's stop flag and the clock.
const RACE_SLICE: u64 = 1024;

impl Default for SatConfig {
    fn default() -> Self {
        SatConfig {
            minimize: false,
            deadline: None,
            max_clauses: 20_000_000,
            holes: HoleEncoding::Direct,
            cegis: true,
            eager_max: EAGER_MAX,
            seed: 0,
            preset: Preset::Sat,
            redundancy: false,
            local_search: true,
        }
    }
}

/// Below this many clauses (all examples encoded), examples are encoded up front rather than
/// lazily: measured in BENCHMARKS.md ("The 2-bit adder"), the counterexample loop
/// pays off only on the large basic-block encodings (~100 000 clauses), and costs the 2-bit
/// adder (11 000) a factor of two.
pub const EAGER_MAX: usize = 50_000;

/// The first program's source (see [`Sat::first_program`]).
enum First {
    /// An assignment checked by the exact evaluator, its cost, and who found it (`None`:
    /// CaDiCaL).
    Found(Assignment, i64, Option<&'static str>),
    NoSolution,
    /// Deadline or cancellation.
    Stopped,
}

/// CaDiCaL's side of the race: alone for [`RACE_AFTER`] conflicts, then ([`lns`]) until it
/// finishes or the local search sets `found`. `None`: stopped (by the race, the deadline or
/// a cancellation: [`crate::cnf::Stop::reason`] says which; no reason means that the local
/// search had already won when the first phase ended). The label says when a neighbourhood
/// query found the model.
fn race_cadical(
    s: &mut Session,
    ev: &mut Evaluator,
    found: &Arc<AtomicBool>,
    shared: &std::sync::Mutex<Option<Assignment>>,
    seed: u64,
) -> Result<(Option<bool>, Option<&'static str>), SatError> {
    s.be.conflict_limit = Some(RACE_AFTER);
    let r = s.solve_refined(ev, &[]);
    s.be.conflict_limit = None;
    let r = r?;
    if r.is_some() || s.be.stop().reason.is_some() || found.load(Ordering::Relaxed) {
        return Ok((r, None));
    }
    s.be.stop().race = Some(Arc::clone(found));
    // Neighbourhood queries only where every example is encoded: on the large encodings that
    // add examples lazily, interrupting CaDiCaL's own search every few thousand conflicts cost
    // more than the queries found (`basic_block_decrement`: one path of five past 60 s).
    let r = if s.f.added.iter().all(|&x| x) {
        lns(s, ev, shared, seed)
    } else {
        s.solve_refined(ev, &[]).map(|r| (r, None))
    };
    s.be.conflict_limit = None;
    s.be.stop().race = None;
    r
}

/// Conflicts of CaDiCaL's own search before the first round of neighbourhood queries; each
/// later slice is [`LNS_GROWTH`] times the one before.
const LNS_OWN: i64 = 500;
/// How CaDiCaL's own slices grow, as a fraction (5/4): the queries take about half of its
/// time in the first rounds, where a program near the local search's assignment is most
/// likely to be the quickest find, and a vanishing share later, so that a long proof runs at
/// nearly full speed (after about 20 rounds, ~200 000 conflicts, they take a tenth).
const LNS_GROWTH: (i64, i64) = (5, 4);
/// Conflicts per neighbourhood query.
const LNS_QUERY: i32 = 50;
/// Queries per round.
const LNS_QUERIES: u64 = 20;

/// [`Stats::found_by`] when the local search racing CaDiCaL found the program.
pub const LOCAL: &str = "the local search racing CaDiCaL";
/// [`Stats::found_by`] when one of CaDiCaL's neighbourhood queries around the local search's
/// assignment found it (see [`SatConfig::local_search`]).
pub const NEIGHBOURHOOD: &str = "CaDiCaL around the local search's assignment";

/// CaDiCaL's search after the first phase: its own search in growing slices of conflicts
/// ([`LNS_OWN`], [`LNS_GROWTH`]), each followed by [`LNS_QUERIES`] *neighbourhood queries*
/// around the local search's current assignment (large-neighbourhood search): each assumes
/// about two thirds of the holes at their current values, leaves the rest free, and gets
/// [`LNS_QUERY`] conflicts. A model of a query is a program like any other (the assumptions
/// only narrow the search); an unsatisfiable query proves nothing about the whole problem and
/// is passed over. Returns the last solve's result, and [`NEIGHBOURHOOD`] when a query found
/// the model.
fn lns(
    s: &mut Session,
    ev: &mut Evaluator,
    shared: &std::sync::Mutex<Option<Assignment>>,
    seed: u64,
) -> Result<(Option<bool>, Option<&'static str>), SatError> {
    let mut round = 0u64;
    let mut own = LNS_OWN;
    loop {
        s.be.conflict_limit = Some(own.min(i32::MAX as i64) as i32);
        own = own.saturating_mul(LNS_GROWTH.0) / LNS_GROWTH.1;
        let r = s.solve_refined(ev, &[])?;
        if r.is_some() || s.be.stop().reason.is_some() {
            return Ok((r, None));
        }
        let current = shared.lock().ok().and_then(|g| g.clone());
        let Some(current) = current else { continue };
        for q in 0..LNS_QUERIES {
            let mut assume = Vec::new();
            for (h, val) in s.f.enc.holes.iter().enumerate() {
                // About a third of the holes left free.
                if pick(seed ^ 0x4c4e53, round * 1_000_003 + q * 1009 + h as u64, 3) == 0 {
                    continue;
                }
                if let Some(&(_, l)) = val.iter().find(|&&(v, _)| v == current.0[h]) {
                    assume.push(l);
                }
            }
            s.be.conflict_limit = Some(LNS_QUERY);
            let r = s.solve_refined(ev, &assume)?;
            if r == Some(true) {
                return Ok((r, Some(NEIGHBOURHOOD)));
            }
            if s.be.stop().reason.is_some() {
                return Ok((None, None));
            }
        }
        round += 1;
    }
}

/// The local search's side of the race: runs until it has a program (then sets `found`),
/// `stop` is set, or the deadline passes.
fn local_race(
    p: &Problem,
    seed: u64,
    deadline: Option<Instant>,
    found: &AtomicBool,
    stop: &AtomicBool,
    shared: &std::sync::Mutex<Option<Assignment>>,
) -> Result<Option<(Assignment, i64)>, SolveError> {
    let config = LocalConfig {
        seed,
        ..LocalConfig::default()
    };
    let Some(mut ls) = LocalSearch::new(p, &config)? else {
        return Ok(None);
    };
    while !stop.load(Ordering::Relaxed) && deadline.is_none_or(|d| Instant::now() < d) {
        if let Some(a) = ls.advance(RACE_SLICE)? {
            found.store(true, Ordering::Relaxed);
            return Ok(Some(a));
        }
        if let Ok(mut g) = shared.lock() {
            *g = Some(ls.current().clone());
        }
        if !ls.can_move() {
            break;
        }
    }
    Ok(None)
}

/// Which of `n` candidates to take in round `round`: the first when `seed` is 0, otherwise
/// one drawn from `seed` and `round` (splitmix64).
fn pick(seed: u64, round: u64, n: usize) -> usize {
    if seed == 0 || n == 0 {
        return 0;
    }
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(round.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z % n as u64) as usize
}

/// The SAT solver; see the module documentation.
#[derive(Clone, Debug, Default)]
pub struct Sat {
    config: SatConfig,
}

/// The result of [`Sat::max_fit`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FitOutcome {
    /// An assignment fitting `fitted` of `total` examples, as the exact evaluator counts them.
    Fitted {
        assignment: Assignment,
        fitted: usize,
        total: usize,
        /// Its total cost (exact evaluator).
        cost: i64,
        /// Proved: no assignment fits more examples (and, when minimising, none of those costs
        /// less).
        optimal: bool,
        /// Why the search stopped early (when not optimal).
        stopped: Option<String>,
        stats: Stats,
    },
    /// Nothing found before the deadline or cancellation.
    GaveUp { reason: String, stats: Stats },
}

/// The result of [`Sat::enumerate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enumeration {
    /// Distinct programs found (each verified by the exact evaluator).
    pub count: u64,
    /// Proved: there are no other programs.
    pub complete: bool,
    /// Why it stopped before completing (limit reached, deadline, cancelled).
    pub stopped: Option<String>,
    pub stats: Stats,
}

impl Sat {
    pub fn new(config: SatConfig) -> Sat {
        Sat { config }
    }
    pub fn with_minimize(mut self, minimize: bool) -> Sat {
        self.config.minimize = minimize;
        self
    }
    pub fn with_deadline(mut self, deadline: Option<Duration>) -> Sat {
        self.config.deadline = deadline;
        self
    }
    pub fn with_max_clauses(mut self, max_clauses: usize) -> Sat {
        self.config.max_clauses = max_clauses;
        self
    }
    pub fn with_holes(mut self, holes: HoleEncoding) -> Sat {
        self.config.holes = holes;
        self
    }
    pub fn config(&self) -> &SatConfig {
        &self.config
    }

    fn open<'g, 'o>(
        &self,
        p: &Problem<'g>,
        obs: &'o mut dyn Observer,
        start: Instant,
        lazy: bool,
    ) -> Result<Session<'g, 'o>, SatError> {
        let deadline = self.config.deadline.and_then(|d| start.checked_add(d));
        let mut be = Cadical::new(obs, deadline, self.config.preset);
        let lazy = lazy && self.config.cegis && p.graph.costs.iter().all(|c| c.once);
        let f = if lazy {
            let mut f = Formula::new(
                p.graph,
                p.examples,
                Holes::Free(self.config.holes, self.config.redundancy),
                self.config.max_clauses,
                &mut be,
            )?;
            if !f.added.is_empty() {
                let before = be.clauses;
                let first = pick(self.config.seed, 0, f.added.len());
                f.add_example(p.examples, first, &mut be)?;
                let estimate = (be.clauses - before).saturating_mul(f.added.len());
                if estimate <= self.config.eager_max {
                    // In the seed's order (another variable numbering: another valid path).
                    let mut order: Vec<usize> = (0..f.added.len()).collect();
                    if self.config.seed != 0 {
                        for i in (1..order.len()).rev() {
                            order.swap(i, pick(self.config.seed, i as u64, i + 1));
                        }
                    }
                    for e in order {
                        f.add_example(p.examples, e, &mut be)?;
                    }
                }
            }
            f
        } else {
            encode_problem(
                p.graph,
                p.examples,
                Holes::Free(self.config.holes, self.config.redundancy),
                self.config.max_clauses,
                &mut be,
            )?
        };
        Ok(Session {
            be,
            f,
            start,
            deadline: self.config.deadline,
            p: *p,
            seed: self.config.seed,
        })
    }

    /// Opens a session, or says why the deadline or a cancellation stopped its encoding
    /// (`Err(Ok(reason))`); other errors are `Err(Err(_))`.
    fn open_or_stopped<'g, 'o>(
        &self,
        p: &Problem<'g>,
        obs: &'o mut dyn Observer,
        start: Instant,
        lazy: bool,
    ) -> Result<Session<'g, 'o>, Result<String, SatError>> {
        self.open(p, obs, start, lazy).map_err(|e| match e {
            SatError::Stopped { reason, at } => Ok(stop_message(
                Some(reason),
                self.config.deadline,
                start,
                &format!("while encoding {at}"),
            )),
            e => Err(e),
        })
    }

    /// Finds (and with `minimize`, optimises) a program; the typed-error form of
    /// [`Solve::solve`].
    pub fn run(&self, p: &Problem, obs: &mut dyn Observer) -> Result<Outcome, SatError> {
        let start = Instant::now();
        let mut ev = Evaluator::new(p.graph)?;
        let mut s = match self.open_or_stopped(p, obs, start, true) {
            Ok(s) => s,
            Err(Ok(reason)) => {
                return Ok(Outcome::GaveUp {
                    reason,
                    stats: nothing_explored(start),
                })
            }
            Err(Err(e)) => return Err(e),
        };
        for l in hard_units(&s.f.facts) {
            s.be.push(&[l]);
        }
        let (mut best, found_by) = match self.first_program(&mut s, &mut ev, p)? {
            First::Found(a, cost, by) => ((a, cost), by),
            First::NoSolution => return Ok(Outcome::NoSolution { stats: s.stats(1) }),
            First::Stopped => {
                return Ok(Outcome::GaveUp {
                    reason: s.reason("before a first program was found"),
                    stats: s.stats(1),
                })
            }
        };
        let stats = |s: &Session, calls: u64| Stats {
            found_by,
            ..s.stats(calls)
        };
        if !self.config.minimize {
            return Ok(Outcome::Found {
                assignment: best.0,
                cost: best.1,
                optimal: false,
                stats: stats(&s, 1),
            });
        }
        s.be.observer().improved(best.1);
        let (optimal, calls) = s.improve(&mut ev, p, &[], &mut best)?;
        Ok(Outcome::Found {
            assignment: best.0,
            cost: best.1,
            optimal,
            stats: stats(&s, calls),
        })
    }

    /// The first program, from CaDiCaL or (with [`SatConfig::local_search`]) from the local
    /// search racing it.
    fn first_program(
        &self,
        s: &mut Session,
        ev: &mut Evaluator,
        p: &Problem,
    ) -> Result<First, SatError> {
        let movable = p
            .graph
            .holes
            .iter()
            .any(|h| p.graph.domain(h.domain).size > 1);
        let (sat, local) = if self.config.local_search && movable {
            let found = Arc::new(AtomicBool::new(false));
            let stop = AtomicBool::new(false);
            let shared = std::sync::Mutex::new(None);
            let deadline = self.config.deadline.and_then(|d| s.start.checked_add(d));
            let seed = self.config.seed;
            let (sat, local) = std::thread::scope(|sc| {
                let local = sc.spawn(|| local_race(p, seed, deadline, &found, &stop, &shared));
                let sat = race_cadical(s, ev, &found, &shared, seed);
                stop.store(true, Ordering::Relaxed);
                (sat, local.join())
            });
            if s.be.stop().reason == Some(RACE) {
                // The race is over: later calls (minimising) must not stop for it.
                s.be.stop().reason = None;
            }
            let local = local.map_err(|_| SatError::Unsound("the local search panicked".into()))?;
            let local = local?;
            (sat?, local)
        } else {
            ((s.solve_refined(ev, &[])?, None), None)
        };
        let (sat, label) = sat;
        match (sat, local) {
            (Some(true), _) => {
                let (a, cost) = s.model_checked(ev, p)?;
                Ok(First::Found(a, cost, label))
            }
            (Some(false), Some(_)) => Err(SatError::Unsound(
                "CaDiCaL proved that no program fits, but the local search found one".into(),
            )),
            (Some(false), None) => Ok(First::NoSolution),
            (None, Some((a, cost))) => Ok(First::Found(a, cost, Some(LOCAL))),
            (None, None) => Ok(First::Stopped),
        }
    }

    /// Fits as many examples as possible (and, with `minimize`, among those the cheapest); the
    /// answer need not pass every example, so it is not a [`Solve`] outcome. The count is the
    /// exact evaluator's.
    pub fn max_fit(&self, p: &Problem, obs: &mut dyn Observer) -> Result<FitOutcome, SatError> {
        let start = Instant::now();
        let mut ev = Evaluator::new(p.graph)?;
        let mut s = match self.open_or_stopped(p, obs, start, false) {
            Ok(s) => s,
            Err(Ok(reason)) => {
                return Ok(FitOutcome::GaveUp {
                    reason,
                    stats: nothing_explored(start),
                })
            }
            Err(Err(e)) => return Err(e),
        };
        let total = s.f.facts.len();
        // One selector per example: selected → every fact of the example holds.
        let mut unfit: Vec<(Lit, usize)> = Vec::with_capacity(total);
        for e in 0..total {
            let sel = s.f.enc.new_var();
            for &l in &s.f.facts[e].clone() {
                s.f.enc.clause(&mut s.be, &[-sel, l]);
            }
            unfit.push((to_lit(-sel), 1));
        }
        let fitted = |ev: &mut Evaluator, a: &Assignment| -> Result<(usize, i64), SatError> {
            let r = ev.evaluate(p.graph, a, p.examples)?;
            Ok((r.passed.iter().filter(|&&x| x).count(), r.cost))
        };
        let mut calls = 1;
        let (mut best, mut best_fit) = match s.be.solve(&[]) {
            Some(true) => {
                let a = s.model();
                let (k, c) = fitted(&mut ev, &a)?;
                ((a, c), k)
            }
            // Without hard facts only an empty domain makes the formula unsatisfiable.
            Some(false) => {
                return Ok(FitOutcome::GaveUp {
                    reason: "no assignment exists at all (a hole has an empty domain)".into(),
                    stats: s.stats(1),
                })
            }
            None => {
                return Ok(FitOutcome::GaveUp {
                    reason: s.reason("before a first assignment was found"),
                    stats: s.stats(1),
                })
            }
        };
        s.be.observer().improved((total - best_fit) as i64);
        let mut tot: Totalizer = unfit.iter().map(|&(l, _)| l).collect();
        let mut stopped = None;
        let mut optimal = false;
        while best_fit < total {
            let ub = total - best_fit - 1;
            tot.encode_ub_change(ub..=ub, &mut Collect::new(&mut s.be), &mut s.f.enc.vm)
                .map_err(|_| SatError::Unsound("out of memory".into()))?;
            let assumps = tot
                .enforce_ub(ub)
                .map_err(|_| SatError::Unsound("totalizer not encoded".into()))?;
            let assumps: Vec<i32> = assumps.iter().map(|l| l.to_ipasir()).collect();
            calls += 1;
            match s.be.solve(&assumps) {
                Some(true) => {
                    let a = s.model();
                    let (k, c) = fitted(&mut ev, &a)?;
                    if k <= best_fit {
                        return Err(SatError::Unsound(format!(
                            "a model with at most {ub} unfitted examples fits only {k}"
                        )));
                    }
                    best = (a, c);
                    best_fit = k;
                    s.be.observer().improved((total - best_fit) as i64);
                }
                Some(false) => {
                    optimal = true;
                    break;
                }
                None => {
                    stopped = Some(s.reason("while improving the fit"));
                    break;
                }
            }
        }
        if best_fit == total {
            optimal = true;
        }
        if optimal && self.config.minimize {
            // Keep the fit, minimise the cost among the assignments that reach it.
            let ub = total - best_fit;
            tot.encode_ub_change(ub..=ub, &mut Collect::new(&mut s.be), &mut s.f.enc.vm)
                .map_err(|_| SatError::Unsound("out of memory".into()))?;
            let keep: Vec<i32> = tot
                .enforce_ub(ub)
                .map_err(|e| SatError::Unsound(e.to_string()))?
                .iter()
                .map(|l| l.to_ipasir())
                .collect();
            // The best model must satisfy `keep`: re-solve under it to start from a model that
            // the cost loop can read.
            calls += 1;
            match s.be.solve(&keep) {
                Some(true) => {
                    let a = s.model();
                    let (_, c) = fitted(&mut ev, &a)?;
                    best = (a, c);
                    let (opt, more) = s.improve_with(&mut ev, &keep, &mut best, &mut |ev, a| {
                        let (k, c) = fitted(ev, a)?;
                        Ok((k >= best_fit).then_some(c))
                    })?;
                    calls += more;
                    optimal = opt;
                    if !opt {
                        stopped = Some(s.reason("while minimising the cost"));
                    }
                }
                Some(false) => return Err(SatError::Unsound("the optimal fit vanished".into())),
                None => {
                    optimal = false;
                    stopped = Some(s.reason("while minimising the cost"));
                }
            }
        }
        Ok(FitOutcome::Fitted {
            assignment: best.0,
            fitted: best_fit,
            total,
            cost: best.1,
            optimal,
            stopped,
            stats: s.stats(calls),
        })
    }

    /// Lists distinct programs that fit every example, up to `max` (all when `None`), calling
    /// `each` with every one (verified, with its cost, and the holes its pattern leaves free).
    /// Two assignments are the same program when they differ only in holes that jointly do
    /// not matter; the patterns listed are disjoint ([`crate::relevant`]).
    pub fn enumerate(
        &self,
        p: &Problem,
        obs: &mut dyn Observer,
        max: Option<u64>,
        each: &mut dyn FnMut(&Assignment, i64, &[weft_ir::HoleId]),
    ) -> Result<Enumeration, SatError> {
        let start = Instant::now();
        let mut ev = Evaluator::new(p.graph)?;
        let mut s = match self.open_or_stopped(p, obs, start, true) {
            Ok(s) => s,
            Err(Ok(reason)) => {
                return Ok(Enumeration {
                    count: 0,
                    complete: false,
                    stopped: Some(reason),
                    stats: nothing_explored(start),
                })
            }
            Err(Err(e)) => return Err(e),
        };
        for l in hard_units(&s.f.facts) {
            s.be.push(&[l]);
        }
        let mut count = 0u64;
        let mut calls = 0;
        let mut patterns = crate::relevant::Patterns::default();
        loop {
            if max.is_some_and(|m| count >= m) {
                return Ok(Enumeration {
                    count,
                    complete: false,
                    stopped: Some(format!("stopped after {count} programs, as asked")),
                    stats: s.stats(calls),
                });
            }
            calls += 1;
            match s.solve_refined(&mut ev, &[])? {
                Some(true) => {
                    let (a, cost) = s.model_checked(&mut ev, p)?;
                    count += 1;
                    let free = patterns.add(p.graph, &a);
                    each(&a, cost, &free);
                    s.be.observer().progress(count, max);
                    let mut is_free = vec![false; a.0.len()];
                    for h in &free {
                        is_free[h.0 as usize] = true;
                    }
                    let block: Vec<i32> =
                        a.0.iter()
                            .enumerate()
                            .filter(|&(h, _)| !is_free[h])
                            .map(|(h, &v)| -crate::encode::lit(&s.f.enc.holes[h], v))
                            .collect();
                    s.f.enc.clause(&mut s.be, &block);
                }
                Some(false) => {
                    return Ok(Enumeration {
                        count,
                        complete: true,
                        stopped: None,
                        stats: s.stats(calls),
                    })
                }
                None => {
                    return Ok(Enumeration {
                        count,
                        complete: false,
                        stopped: Some(s.reason(&format!("after {count} programs"))),
                        stats: s.stats(calls),
                    })
                }
            }
        }
    }
}

/// The facts of every example as a set of unit literals.
pub fn hard_units(facts: &[Vec<i32>]) -> Vec<i32> {
    let mut seen = HashSet::new();
    facts
        .iter()
        .flatten()
        .copied()
        .filter(|l| seen.insert(*l))
        .collect()
}

/// The statistics of a solve that stopped before the solver searched.
fn nothing_explored(start: Instant) -> Stats {
    Stats {
        explored: 0,
        elapsed: start.elapsed(),
        found_by: None,
    }
}

/// Why a solve stopped early, for the user: `reason` is the solver's stop state.
fn stop_message(
    reason: Option<&str>,
    deadline: Option<Duration>,
    start: Instant,
    when: &str,
) -> String {
    let elapsed = start.elapsed().as_secs_f64();
    match (reason, deadline) {
        (Some("cancelled"), _) => format!("cancelled {when} (after {elapsed:.3} s)"),
        (Some(_), Some(d)) => format!(
            "deadline of {:.3} s reached {when} (after {elapsed:.3} s)",
            d.as_secs_f64()
        ),
        (Some(_), None) => format!("deadline reached {when} (after {elapsed:.3} s)"),
        (None, _) => format!("the solver stopped {when}"),
    }
}

/// Gives the exact cost of a model (`None`: not acceptable).
type CostCheck<'a> = dyn FnMut(&mut Evaluator, &Assignment) -> Result<Option<i64>, SatError> + 'a;

struct Session<'g, 'o> {
    be: Cadical<'o>,
    f: Formula<'g>,
    start: Instant,
    /// [`SatConfig::deadline`].
    deadline: Option<Duration>,
    p: Problem<'g>,
    /// [`SatConfig::seed`].
    seed: u64,
}

impl Session<'_, '_> {
    /// Solves; a model that fails an example not encoded yet adds that example (and its facts
    /// as units) and solves again.
    fn solve_refined(
        &mut self,
        ev: &mut Evaluator,
        assumptions: &[i32],
    ) -> Result<Option<bool>, SatError> {
        loop {
            let r = self.be.solve(assumptions);
            if r != Some(true) || self.f.added.iter().all(|&x| x) {
                return Ok(r);
            }
            let a = self.model();
            let ev_r = ev.evaluate(self.p.graph, &a, self.p.examples)?;
            let failed: Vec<usize> = (0..ev_r.passed.len())
                .filter(|&i| !ev_r.passed[i])
                .collect();
            if failed.is_empty() {
                return Ok(r);
            }
            let round = self.f.added.iter().filter(|&&x| x).count() as u64;
            let e = failed[pick(self.seed, round, failed.len())];
            if self.f.added[e] {
                return Err(SatError::Unsound(format!(
                    "the model fails example {e}, which is encoded"
                )));
            }
            match self.f.add_example(self.p.examples, e, &mut self.be) {
                // The reason is kept in the solver's stop state, as when CaDiCaL stops.
                Err(SatError::Stopped { .. }) => return Ok(None),
                r => r?,
            }
            for &l in &self.f.facts[e].clone() {
                self.be.push(&[l]);
            }
        }
    }

    fn stats(&self, calls: u64) -> Stats {
        Stats {
            explored: calls,
            elapsed: self.start.elapsed(),
            found_by: None,
        }
    }

    fn reason(&mut self, when: &str) -> String {
        let reason = self.be.stop().reason;
        stop_message(reason, self.deadline, self.start, when)
    }

    /// The hole values of the last model.
    fn model(&self) -> Assignment {
        Assignment(
            self.f
                .enc
                .holes
                .iter()
                .map(|val| {
                    val.iter()
                        .find(|&&(_, l)| self.be.value(l))
                        .map_or(0, |&(v, _)| v)
                })
                .collect(),
        )
    }

    /// The encoded cost of the last model.
    fn model_cost(&self) -> i64 {
        self.f.offset
            + self
                .f
                .cost
                .iter()
                .filter(|&&(l, _)| self.be.value(l))
                .map(|&(_, w)| w as i64)
                .sum::<i64>()
    }

    /// The last model, checked by the exact evaluator, with its cost (which must agree with
    /// the encoded cost).
    fn model_checked(
        &self,
        ev: &mut Evaluator,
        p: &Problem,
    ) -> Result<(Assignment, i64), SatError> {
        let a = self.model();
        let cost = verify_with(ev, p, "sat", &a)?;
        let enc = self.model_cost();
        if cost != enc {
            return Err(SatError::Unsound(format!(
                "the evaluator's cost is {cost}, the encoding's {enc}"
            )));
        }
        Ok((a, cost))
    }

    /// The improving loop for the plain problem: every model must pass every example.
    fn improve(
        &mut self,
        ev: &mut Evaluator,
        p: &Problem,
        fixed: &[i32],
        best: &mut (Assignment, i64),
    ) -> Result<(bool, u64), SatError> {
        self.improve_with(ev, fixed, best, &mut |ev, a| {
            let cost = verify_with(ev, p, "sat", a)?;
            Ok(Some(cost))
        })
    }

    /// Solution-improving search on the cost terms under the assumptions `fixed`. `check`
    /// gives the exact cost of a model (`None`: the model is not acceptable, a bug). Returns
    /// (proved optimal, solver calls).
    fn improve_with(
        &mut self,
        ev: &mut Evaluator,
        fixed: &[i32],
        best: &mut (Assignment, i64),
        check: &mut CostCheck,
    ) -> Result<(bool, u64), SatError> {
        // The same literal can carry several terms (two examples whose copies share a node's
        // literal): rustsat's encodings keep one weight per literal, so merge them first.
        let mut merged: std::collections::BTreeMap<i32, u64> = std::collections::BTreeMap::new();
        for &(l, w) in &self.f.cost {
            *merged.entry(l).or_default() += w;
        }
        let mut gte: GeneralizedTotalizer = merged
            .iter()
            .map(|(&l, &w)| (to_lit(l), w as usize))
            .collect();
        let mut calls = 0;
        loop {
            let excess = best.1 - self.f.offset;
            if excess <= 0 {
                return Ok((true, calls));
            }
            let ub = (excess - 1) as usize;
            gte.encode_ub_change(ub..=ub, &mut Collect::new(&mut self.be), &mut self.f.enc.vm)
                .map_err(|_| SatError::Unsound("out of memory".into()))?;
            let mut assumps: Vec<i32> = match gte.enforce_ub(ub) {
                Ok(a) => a.iter().map(|l| l.to_ipasir()).collect(),
                Err(EnforceError::Unsat) => return Ok((true, calls)),
                Err(EnforceError::NotEncoded) => {
                    return Err(SatError::Unsound("totalizer not encoded".into()))
                }
            };
            assumps.extend_from_slice(fixed);
            calls += 1;
            match self.solve_refined(ev, &assumps)? {
                Some(true) => {
                    let a = self.model();
                    let enc = self.model_cost();
                    let cost = check(ev, &a)?.ok_or_else(|| {
                        SatError::Unsound("a model under the bound is not acceptable".into())
                    })?;
                    if cost != enc || cost >= best.1 {
                        return Err(SatError::Unsound(format!(
                            "bound {} gave a model of cost {cost} (encoded {enc})",
                            self.f.offset + ub as i64
                        )));
                    }
                    *best = (a, cost);
                    self.be.observer().improved(cost);
                }
                Some(false) => return Ok((true, calls)),
                None => return Ok((false, calls)),
            }
        }
    }
}

impl Solve for Sat {
    fn name(&self) -> &'static str {
        "sat"
    }

    fn solve(&mut self, p: &Problem, obs: &mut dyn Observer) -> Result<Outcome, SolveError> {
        let start = Instant::now();
        match self.run(p, obs) {
            Ok(o) => Ok(o),
            Err(SatError::Eval(e)) => Err(SolveError::Eval(e)),
            Err(e @ SatError::Stopped { .. }) => Ok(Outcome::GaveUp {
                reason: e.to_string(),
                stats: nothing_explored(start),
            }),
            Err(e @ (SatError::TooLarge { .. } | SatError::Weights(_))) => Ok(Outcome::GaveUp {
                reason: format!("refused: {e}"),
                stats: nothing_explored(start),
            }),
            Err(e) => Err(SolveError::Unsound {
                solver: "sat",
                detail: e.to_string(),
            }),
        }
    }
}
