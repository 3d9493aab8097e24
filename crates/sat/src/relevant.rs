//! Holes that do not matter *jointly* ([`weft_ir::jointly_irrelevant_holes`]), as the
//! enumerator uses them: each program found is listed as a *pattern*, its hole values with the
//! holes that do not matter left free (`_`), and blocked as a whole. Blocking only the holes
//! relevant one at a time would be unsound: two holes can each be irrelevant alone and matter
//! together (`y = h1 && h2` at `h1 = h2 = false`), and another program would be skipped. The
//! patterns are also kept disjoint: a hole is left free only if the pattern then shares no
//! assignment with an earlier one, so no assignment is listed twice.

use weft_ir::{Assignment, Graph, HoleId};

/// The patterns listed so far: hole values, and which holes are free.
#[derive(Default)]
pub struct Patterns {
    seen: Vec<(Assignment, Vec<bool>)>,
}

impl Patterns {
    /// The holes to leave free in `a`'s pattern (jointly irrelevant, and disjoint from every
    /// earlier pattern), recording the pattern. `a` must be a complete assignment within the
    /// domains that no earlier pattern matches (the blocking clauses ensure it).
    pub fn add(&mut self, g: &Graph, a: &Assignment) -> Vec<HoleId> {
        let seen = &self.seen;
        let free_ids = weft_ir::jointly_irrelevant_holes_where(g, a, &mut |free| {
            seen.iter().all(|(b, fixed_free)| {
                (0..free.len()).any(|h| !free[h] && !fixed_free[h] && a.0[h] != b.0[h])
            })
        });
        let mut free = vec![false; g.holes.len()];
        for h in &free_ids {
            free[h.0 as usize] = true;
        }
        self.seen.push((a.clone(), free));
        free_ids
    }
}
