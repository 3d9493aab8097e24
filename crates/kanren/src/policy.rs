//! Policies: who decides which choice point the search expands next.
//!
//! The frontier of a search is the list of its suspended branches (see
//! [`crate::Frontier`]); a policy looks at it and returns an index. The default,
//! [`Interleave`], is not consulted at all: it is miniKanren's own interleaving, run by the
//! stream machine, so its answer order is faster-miniKanren's. Every other policy only
//! changes the order in which answers appear, never which answers exist (for a finite search
//! tree; depth-first may of course run forever down an infinite branch).

use crate::search::Frontier;

/// Chooses which choice point of the frontier to expand next.
pub trait Policy {
    /// An index `< frontier.len()` (the frontier is never empty when asked). Out-of-range
    /// answers are clamped.
    fn choose(&mut self, frontier: &Frontier<'_>) -> usize;

    /// `true` for miniKanren's built-in interleaving (the frontier is then never listed).
    fn is_interleave(&self) -> bool {
        false
    }
}

/// miniKanren's fair interleaving, exactly as faster-miniKanren does it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Interleave;

impl Policy for Interleave {
    fn choose(&mut self, _: &Frontier<'_>) -> usize {
        0
    }
    fn is_interleave(&self) -> bool {
        true
    }
}

/// Always the leftmost branch: Prolog's depth-first order (incomplete on infinite trees).
#[derive(Clone, Copy, Debug, Default)]
pub struct DepthFirst;

impl Policy for DepthFirst {
    fn choose(&mut self, _: &Frontier<'_>) -> usize {
        0
    }
}

/// A uniformly random branch, reproducible from the seed (xorshift64*).
#[derive(Clone, Debug)]
pub struct Random {
    state: u64,
}

impl Random {
    pub fn new(seed: u64) -> Random {
        Random {
            state: seed ^ 0x9E37_79B9_7F4A_7C15 | 1,
        }
    }
    fn next(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

impl Policy for Random {
    fn choose(&mut self, frontier: &Frontier<'_>) -> usize {
        (self.next() % frontier.len().max(1) as u64) as usize
    }
}

/// The branch with the highest score under a caller-supplied function of the choice
/// point's s-expression (ties: the leftmost). This is where a learned model plugs in.
pub struct BestFirst<F: FnMut(&str) -> f64> {
    score: F,
}

impl<F: FnMut(&str) -> f64> BestFirst<F> {
    pub fn new(score: F) -> Self {
        BestFirst { score }
    }
}

impl<F: FnMut(&str) -> f64> Policy for BestFirst<F> {
    fn choose(&mut self, frontier: &Frontier<'_>) -> usize {
        let mut best = 0;
        let mut best_score = f64::NEG_INFINITY;
        for i in 0..frontier.len() {
            let s = (self.score)(&frontier.describe(i));
            if s > best_score {
                best = i;
                best_score = s;
            }
        }
        best
    }
}
