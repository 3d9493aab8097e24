//! The reference solver: try every assignment.
//!
//! Enumeration is exact and simple, which makes it the yardstick the other solvers are tested
//! against, and it is fast enough for small sketches (the 3-wire, 3-gate circuit has 2.5
//! million assignments). It refuses, rather than running for hours, when the search space
//! exceeds [`EnumerateConfig::limit`].
//!
//! Assignments are counted in mixed radix with the *last* hole varying fastest, so that
//! consecutive candidates differ in the last holes of the sketch. Each candidate goes through
//! [`Evaluator::passes_all`], which resolves the graph for the assignment and stops at the
//! first failing example (trying the example that failed last time first). Skipping holes that
//! are irrelevant for every assignment was considered and left out: it needs a global analysis
//! and the evaluator's per-assignment resolution already makes such holes cheap.

use std::time::{Duration, Instant};

use weft_ir::{validate_examples, Assignment, Evaluator};

use crate::{verify_with, Observer, Outcome, Problem, Solve, SolveError, Stats};

/// How often (in assignments) progress is reported and cancellation polled: every 2^16.
const PROGRESS_MASK: u64 = (1 << 16) - 1;
/// How often (in assignments) the deadline is checked: every 2^10.
const CLOCK_MASK: u64 = (1 << 10) - 1;

/// Settings of [`Enumerate`].
#[derive(Clone, Debug, PartialEq)]
pub struct EnumerateConfig {
    /// Refuse search spaces with more assignments than this (default 1e8).
    pub limit: f64,
    /// Find an assignment of least total cost instead of the first one.
    pub minimize: bool,
    /// Give up after this much time.
    pub deadline: Option<Duration>,
}

impl Default for EnumerateConfig {
    fn default() -> Self {
        EnumerateConfig {
            limit: 1e8,
            minimize: false,
            deadline: None,
        }
    }
}

/// The enumeration solver; see the module documentation.
#[derive(Clone, Debug, Default)]
pub struct Enumerate {
    config: EnumerateConfig,
}

impl Enumerate {
    pub fn new(config: EnumerateConfig) -> Enumerate {
        Enumerate { config }
    }
    pub fn with_limit(mut self, limit: f64) -> Enumerate {
        self.config.limit = limit;
        self
    }
    pub fn with_minimize(mut self, minimize: bool) -> Enumerate {
        self.config.minimize = minimize;
        self
    }
    pub fn with_deadline(mut self, deadline: Option<Duration>) -> Enumerate {
        self.config.deadline = deadline;
        self
    }
    pub fn config(&self) -> &EnumerateConfig {
        &self.config
    }
}

impl Solve for Enumerate {
    fn name(&self) -> &'static str {
        "enumerate"
    }

    fn solve(&mut self, p: &Problem, obs: &mut dyn Observer) -> Result<Outcome, SolveError> {
        let start = Instant::now();
        let g = p.graph;
        let space = g.search_space();
        if space > self.config.limit {
            return Err(SolveError::TooLarge {
                space,
                limit: self.config.limit,
            });
        }
        validate_examples(g, p.examples)?;
        let mut ev = Evaluator::new(g)?;
        let sizes: Vec<u32> = g.holes.iter().map(|h| g.domain(h.domain).size).collect();
        // `space <= limit`, so this is exact for any sensible limit.
        let total = space as u64;
        let stats = |explored: u64| Stats {
            explored,
            elapsed: start.elapsed(),
            found_by: None,
        };
        if sizes.contains(&0) {
            return Ok(Outcome::NoSolution { stats: stats(0) });
        }
        let deadline = self.config.deadline.and_then(|d| start.checked_add(d));
        let mut a = Assignment(vec![0; sizes.len()]);
        let mut best: Option<(Assignment, i64)> = None;
        let mut explored = 0u64;
        let gave_up = loop {
            explored += 1;
            if ev.passes_all(g, &a, p.examples)? {
                if !self.config.minimize {
                    let cost = verify_with(&mut ev, p, self.name(), &a)?;
                    return Ok(Outcome::Found {
                        assignment: a,
                        cost,
                        optimal: false,
                        stats: stats(explored),
                    });
                }
                let cost = verify_with(&mut ev, p, self.name(), &a)?;
                if best.as_ref().is_none_or(|(_, c)| cost < *c) {
                    obs.improved(cost);
                    best = Some((a.clone(), cost));
                }
            }
            if explored & PROGRESS_MASK == 0 {
                obs.progress(explored, Some(total));
                if obs.cancelled() {
                    break Some("cancelled".to_string());
                }
            }
            if explored & CLOCK_MASK == 0 && deadline.is_some_and(|d| Instant::now() >= d) {
                break Some(format!(
                    "deadline of {:?} reached after {explored} of {total} assignments",
                    self.config.deadline.unwrap_or_default()
                ));
            }
            if !increment(&mut a.0, &sizes) {
                break None;
            }
        };
        obs.progress(explored, Some(total));
        let optimal = gave_up.is_none();
        Ok(match (best, gave_up) {
            (Some((assignment, cost)), _) => Outcome::Found {
                assignment,
                cost,
                optimal,
                stats: stats(explored),
            },
            (None, None) => Outcome::NoSolution {
                stats: stats(explored),
            },
            (None, Some(reason)) => Outcome::GaveUp {
                reason,
                stats: stats(explored),
            },
        })
    }
}

/// The next assignment in mixed radix, last position fastest; `false` after the last one.
fn increment(a: &mut [u32], sizes: &[u32]) -> bool {
    for k in (0..a.len()).rev() {
        a[k] += 1;
        if a[k] < sizes[k] {
            return true;
        }
        a[k] = 0;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_in_mixed_radix_last_fastest() {
        let sizes = [2, 3];
        let mut a = vec![0, 0];
        let mut seen = vec![a.clone()];
        while increment(&mut a, &sizes) {
            seen.push(a.clone());
        }
        assert_eq!(
            seen,
            vec![
                vec![0, 0],
                vec![0, 1],
                vec![0, 2],
                vec![1, 0],
                vec![1, 1],
                vec![1, 2]
            ]
        );
        assert!(!increment(&mut [], &[]));
    }

    #[test]
    fn builder_methods_set_the_config() {
        let e = Enumerate::default()
            .with_limit(10.0)
            .with_minimize(true)
            .with_deadline(Some(Duration::from_secs(1)));
        assert_eq!(
            e.config(),
            &EnumerateConfig {
                limit: 10.0,
                minimize: true,
                deadline: Some(Duration::from_secs(1))
            }
        );
    }
}
