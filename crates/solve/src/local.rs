//! Local search over hole assignments: a (1 + λ) evolution strategy with neutral drift, the
//! search of Cartesian genetic programming (Miller's (1 + 4)-ES), run on weft's IR.
//!
//! The state is one complete assignment (the *parent*). Each generation makes λ children, each
//! the parent with 1 to `max_changes` random holes set to another random value of their
//! domain, and scores them with the exact evaluator's failure count
//! ([`Evaluator::failures`]: mismatched outputs plus false observations, over every example).
//! The best child (among equals, the last made) replaces the parent when it is *no worse* —
//! accepting equal scores lets the search drift across the plateaus that program spaces are
//! full of (holes that do not matter under the current assignment change freely until they
//! do). A child with no failure is checked by [`verify_with`] and returned.
//!
//! Local search is incomplete: it can find a program, never prove that none exists. It is the
//! partner of CaDiCaL in `weft-sat`, racing it on another thread once CaDiCaL has spent its
//! first conflicts alone; on its own it is [`Local`]. The parent stays resolved with the
//! value of every node on every example ([`Moves`]); a child is a move from it, evaluated by
//! change propagation (only what the changed holes reach is resolved or recomputed, and a
//! changed value goes only to the nodes that read it) and then undone, and the generation's
//! best child is kept in place when it is the last one made, else made again. So a move is
//! cheap where the problem is a small program over few examples — precisely where CDCL on the
//! unrolled encoding can be slow (the 2-bit adder: numbers in BENCHMARKS.md).

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use weft_ir::{validate_examples, Assignment, Evaluator, Moves};

use crate::{verify_with, Observer, Outcome, Problem, Solve, SolveError, Stats};

/// Settings of the local search.
#[derive(Clone, Debug, PartialEq)]
pub struct LocalConfig {
    /// Seeds the initial assignment and every mutation: the same seed gives the same search.
    pub seed: u64,
    /// Children per generation (λ; default 4).
    pub offspring: usize,
    /// A child changes between 1 and this many holes (default 3).
    pub max_changes: usize,
    /// Give up after this many evaluations ([`Local`] only; `None`: no limit).
    pub max_evals: Option<u64>,
    /// Give up after this much time ([`Local`] only).
    pub deadline: Option<Duration>,
}

impl Default for LocalConfig {
    fn default() -> Self {
        LocalConfig {
            seed: 0,
            offspring: 4,
            max_changes: 3,
            max_evals: None,
            deadline: None,
        }
    }
}

/// The state of one local search, advanced in slices by [`LocalSearch::advance`].
pub struct LocalSearch<'p> {
    p: Problem<'p>,
    /// The parent, kept resolved with every node's values ([`Moves`]): a child is a move
    /// from it, evaluated by change propagation and undone.
    moves: Moves<'p>,
    sizes: Vec<u32>,
    /// The holes with more than one value: the only ones a mutation can change.
    mutable: Vec<usize>,
    /// The changes of the child being made, and of the best child of the generation.
    child: Vec<(u32, u32)>,
    best: Vec<(u32, u32)>,
    rng: StdRng,
    evals: u64,
    offspring: usize,
    max_changes: usize,
}

impl<'p> LocalSearch<'p> {
    /// Checks the examples and scores a random first assignment (one evaluation). `None`
    /// when some hole has an empty domain: then no assignment exists at all.
    pub fn new(p: &Problem<'p>, config: &LocalConfig) -> Result<Option<Self>, SolveError> {
        let g = p.graph;
        validate_examples(g, p.examples)?;
        let sizes: Vec<u32> = g.holes.iter().map(|h| g.domain(h.domain).size).collect();
        if sizes.contains(&0) {
            return Ok(None);
        }
        let mut rng = StdRng::seed_from_u64(config.seed ^ 0x6c6f_6361_6c5f_7365);
        let parent = Assignment(sizes.iter().map(|&s| rng.random_range(0..s)).collect());
        let moves = Moves::new(g, &parent, p.examples)?;
        Ok(Some(LocalSearch {
            p: *p,
            moves,
            mutable: (0..sizes.len()).filter(|&h| sizes[h] > 1).collect(),
            sizes,
            child: Vec::new(),
            best: Vec::new(),
            rng,
            evals: 1,
            offspring: config.offspring.max(1),
            max_changes: config.max_changes.max(1),
        }))
    }

    /// Evaluations so far.
    pub fn evals(&self) -> u64 {
        self.evals
    }

    /// The current assignment's failure count.
    pub fn fitness(&self) -> u64 {
        self.moves.failures()
    }

    /// The current assignment (the parent).
    pub fn current(&self) -> &Assignment {
        self.moves.assignment()
    }

    /// Whether the search can move at all (some hole has two or more values).
    pub fn can_move(&self) -> bool {
        !self.mutable.is_empty()
    }

    /// Runs generations until about `budget` more evaluations have been made (whole
    /// generations) or a program passes every example; returns it, checked by the exact
    /// evaluator, with its cost.
    pub fn advance(&mut self, budget: u64) -> Result<Option<(Assignment, i64)>, SolveError> {
        if self.fitness() == 0 {
            return self.found();
        }
        if self.mutable.is_empty() {
            return Ok(None);
        }
        let g = self.p.graph;
        let end = self.evals.saturating_add(budget);
        while self.evals < end {
            let parent_fit = self.moves.failures();
            let mut best_fit = u64::MAX;
            // Whether the state is the best child's (kept instead of undone and redone).
            let mut kept = false;
            for k in 0..self.offspring {
                self.child.clear();
                let changes = self.rng.random_range(1..=self.max_changes);
                for _ in 0..changes {
                    let h = self.mutable[self.rng.random_range(0..self.mutable.len())];
                    // Another value, uniformly among the size − 1 others, than the child's
                    // value so far.
                    let v = self.rng.random_range(0..self.sizes[h] - 1);
                    let old = self
                        .child
                        .iter()
                        .rev()
                        .find(|c| c.0 as usize == h)
                        .map_or(self.moves.assignment().0[h], |c| c.1);
                    self.child
                        .push((h as u32, if v >= old { v + 1 } else { v }));
                }
                let f = self.moves.try_move(g, &self.child)?;
                self.evals += 1;
                // Among equals the last one wins: when the last child is a best one it stays
                // as it is, where the first would have to be made again.
                let better = f <= best_fit;
                if better {
                    best_fit = f;
                    std::mem::swap(&mut self.best, &mut self.child);
                }
                // The last child, or a perfect one, stays if it is the one to accept.
                if better && f <= parent_fit && (f == 0 || k + 1 == self.offspring) {
                    kept = true;
                    break;
                }
                self.moves.undo();
            }
            if !kept && best_fit <= parent_fit {
                let f = self.moves.try_move(g, &self.best)?;
                debug_assert_eq!(f, best_fit, "a move evaluates the same twice");
            }
            if self.moves.failures() == 0 {
                return self.found();
            }
        }
        Ok(None)
    }

    fn found(&mut self) -> Result<Option<(Assignment, i64)>, SolveError> {
        let mut ev = Evaluator::new(self.p.graph)?;
        let parent = self.moves.assignment().clone();
        let cost = verify_with(&mut ev, &self.p, "local", &parent)?;
        Ok(Some((parent, cost)))
    }
}

/// Evaluations between two polls of the clock and the observer.
const SLICE: u64 = 4096;

/// The local search as a solver of its own (`--solver local`): it finds a program or gives up
/// at its limit; it proves nothing, except for a sketch with no assignment to change.
#[derive(Clone, Debug, Default)]
pub struct Local {
    config: LocalConfig,
}

impl Local {
    pub fn new(config: LocalConfig) -> Local {
        Local { config }
    }
    pub fn config(&self) -> &LocalConfig {
        &self.config
    }
}

impl Solve for Local {
    fn name(&self) -> &'static str {
        "local"
    }

    fn solve(&mut self, p: &Problem, obs: &mut dyn Observer) -> Result<Outcome, SolveError> {
        let start = Instant::now();
        let deadline = self.config.deadline.and_then(|d| start.checked_add(d));
        let stats = |explored: u64| Stats {
            explored,
            elapsed: start.elapsed(),
            found_by: None,
        };
        let Some(mut ls) = LocalSearch::new(p, &self.config)? else {
            return Ok(Outcome::NoSolution { stats: stats(0) });
        };
        loop {
            if let Some((assignment, cost)) = ls.advance(SLICE)? {
                return Ok(Outcome::Found {
                    assignment,
                    cost,
                    optimal: false,
                    stats: stats(ls.evals()),
                });
            }
            if !ls.can_move() {
                // The only assignment fails: that is a proof.
                return Ok(Outcome::NoSolution {
                    stats: stats(ls.evals()),
                });
            }
            obs.progress(ls.evals(), self.config.max_evals);
            let why = if self.config.max_evals.is_some_and(|m| ls.evals() >= m) {
                Some(format!("the limit of {} evaluations", ls.evals()))
            } else if deadline.is_some_and(|d| Instant::now() >= d) {
                Some("the deadline".to_string())
            } else if obs.cancelled() {
                Some("cancellation".to_string())
            } else {
                None
            };
            if let Some(why) = why {
                return Ok(Outcome::GaveUp {
                    reason: format!(
                        "local search stopped at {why} with no program (the best assignment \
                         seen fails {} check(s)); it cannot prove that none exists: \
                         --solver sat can",
                        ls.fitness()
                    ),
                    stats: stats(ls.evals()),
                });
            }
        }
    }
}
