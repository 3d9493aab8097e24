//! Holes that do not matter, *jointly*: the set used by blocking clauses when enumerating
//! distinct programs.
//!
//! [`weft_ir::irrelevant_holes`] tests each hole alone with all others fixed. Two holes can each
//! be irrelevant alone and matter together (`y = h1 && h2` at `h1 = h2 = false`), so blocking
//! only the individually relevant holes could skip a different program. Here the set grows
//! greedily: a hole joins when the graph specialised with every hole *outside* the set fixed
//! still has no output, observation or cost depending on any hole of the set. Any values of
//! the set then give the same specialised graph, hence the same program.

use weft_ir::{Assignment, Graph, HoleId};

/// Per hole: `true` when it belongs to a set of holes that jointly do not matter for `a`.
/// `a` must be a complete assignment within the domains.
pub fn free_holes(g: &Graph, a: &Assignment) -> Vec<bool> {
    let mut free = vec![false; g.holes.len()];
    for h in weft_ir::irrelevant_holes(g, a) {
        free[h.0 as usize] = true;
        if !still_free(g, a, &free) {
            free[h.0 as usize] = false;
        }
    }
    free
}

/// Whether no root depends on any hole marked in `free`, with the other holes fixed to `a`.
fn still_free(g: &Graph, a: &Assignment, free: &[bool]) -> bool {
    !weft_ir::answer::free_holes_matter(g, a, free)
}

/// The holes of `free_holes` as ids (for messages).
pub fn free_hole_ids(g: &Graph, a: &Assignment) -> Vec<HoleId> {
    free_holes(g, a)
        .iter()
        .enumerate()
        .filter(|(_, &f)| f)
        .map(|(i, _)| HoleId(i as u32))
        .collect()
}
