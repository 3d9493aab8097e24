//! Moves of a few holes, evaluated by change propagation: the local search's inner loop.
//!
//! [`Moves`] holds one complete assignment, resolved as the [`Evaluator`] resolves it, *and*
//! the value of every example-dependent node on every example (`vals[node · n + example]`),
//! plus each output's and observation's failure count. A move ([`Moves::try_move`]) sets a
//! few holes and walks forward from them in node order, doing only what the move changes:
//!
//! - a node whose arguments' locations changed is resolved again (as
//!   [`Evaluator::failures_near`] does);
//! - a node that computes its own values (an example-dependent table application or
//!   multiplexer) is recomputed when it was resolved again or when a node it reads changed
//!   values, and its readers are visited only when its values did change;
//! - a node that is an alias of another (a multiplexer whose selector is fixed) passes a change
//!   of the node it aliases on to its readers;
//! - an output or observation that was visited has its failure count recomputed.
//!
//! A move that changes a hole nobody reads, or a value nothing downstream looks at, stops
//! early, and the work of a move follows what it changes rather than the program's size: the
//! whole program is never re-run. [`Moves::undo`] restores the state before the last move from
//! a log; leaving a move in place accepts it. The values are kept for every example-dependent
//! node, live or not, so that a move that makes a dead node live finds its values ready.
//!
//! Where the values would not fit in [`MAX_KEPT`] entries (many nodes times many examples),
//! the same interface runs on [`Evaluator::failures_near`] instead (re-resolution downstream
//! of the move, then the live program over blocks of examples).

use super::{check_shape, effective_len, example_value_error, EvalError, Evaluator, Kind, DYN};
use crate::examples::{Assignment, Examples};
use crate::graph::Graph;

/// The most values (nodes × examples) kept for change propagation: 64 MiB of `u32`.
pub const MAX_KEPT: usize = 1 << 24;

/// An expected value that matches anything.
const ANY: u32 = u32::MAX;

/// An output or observation read at a node, for its failure count.
#[derive(Clone, Copy, Debug)]
enum Root {
    /// Output slot `o`: examples whose expected value is given and differs.
    Output(u32),
    /// An observation: examples where it is false.
    Observation,
}

/// One assignment and its failure count (mismatched outputs plus false observations over the
/// examples, as [`Evaluator::failures`] counts them), changed a few holes at a time; see the
/// module documentation.
pub struct Moves<'e> {
    ev: Evaluator,
    ex: &'e Examples,
    /// Examples evaluated ([`effective_len`]).
    n: usize,
    holes: Assignment,
    failures: u64,
    /// Values are kept (change propagation); otherwise moves go through `failures_near`.
    kept: bool,
    /// `vals[node * n + example]`, meaningful for the nodes resolved to `DYN | node`.
    vals: Vec<u32>,
    /// `roots[root_start[i]..root_start[i + 1]]`: the outputs and observations at node `i`.
    root_start: Vec<u32>,
    roots: Vec<Root>,
    /// Parallel to `roots`: each one's failure count.
    counts: Vec<u64>,
    /// `expected[o * n + example]`: output `o`'s expected value, [`ANY`] for don't care (or
    /// for the virtual example of an input-less graph).
    expected: Vec<u32>,
    /// Nodes to visit because a node they read changed values (a bit set, as `pending`).
    recompute: Vec<u64>,
    /// Nodes whose values changed in this move.
    changed: Vec<u64>,
    /// Table indices of one application, reused.
    idx: Vec<u32>,
    /// The values [`Moves::compute`] computed last.
    tmp: Vec<u32>,
    // The log of the last move, for `undo`.
    undo_holes: Vec<(u32, u32)>,
    undo_vals: Vec<u32>,
    undo_val_nodes: Vec<u32>,
    undo_counts: Vec<(u32, u64)>,
    undo_failures: u64,
    /// Blocks mode: the last move was not undone, so the evaluator's base is behind.
    base_behind: bool,
}

impl<'e> Moves<'e> {
    /// Resolves `holes` and evaluates it on every example. Checks the assignment, the
    /// examples' shape and their input values.
    pub fn new(g: &Graph, holes: &Assignment, ex: &'e Examples) -> Result<Moves<'e>, EvalError> {
        Moves::with_limit(g, holes, ex, MAX_KEPT)
    }

    /// [`Moves::new`] with another limit than [`MAX_KEPT`] on the values kept (0: never keep
    /// them, evaluate every move by [`Evaluator::failures_near`]).
    pub fn with_limit(
        g: &Graph,
        holes: &Assignment,
        ex: &'e Examples,
        max_kept: usize,
    ) -> Result<Moves<'e>, EvalError> {
        let ev = Evaluator::new(g)?;
        ev.check_call(g, holes)?;
        check_shape(g, ex)?;
        let n = effective_len(g, ex);
        let nodes = ev.n_nodes;
        // The outputs and observations bucketed by node (outputs first, each in slot order).
        let at = ev.output_node.iter().chain(&ev.observation_node);
        let mut root_start = vec![0u32; nodes + 1];
        for &node in at.clone() {
            root_start[node as usize + 1] += 1;
        }
        for i in 0..nodes {
            root_start[i + 1] += root_start[i];
        }
        let mut fill = root_start.clone();
        let mut roots = vec![Root::Observation; root_start[nodes] as usize];
        for (k, &node) in at.enumerate() {
            if k < ev.output_node.len() {
                roots[fill[node as usize] as usize] = Root::Output(k as u32);
            }
            fill[node as usize] += 1;
        }
        let kept = max_kept > 0 && nodes.saturating_mul(n) <= max_kept;
        let mut expected = Vec::new();
        if kept {
            for col in &ex.expected {
                let col = col.iter().map(|x| x.unwrap_or(ANY));
                expected.extend(col.chain(std::iter::repeat(ANY)).take(n));
            }
        }
        let words = nodes.div_ceil(64);
        let mut m = Moves {
            ev,
            ex,
            n,
            holes: holes.clone(),
            failures: 0,
            kept,
            vals: Vec::new(),
            root_start,
            counts: vec![0; roots.len()],
            roots,
            expected,
            recompute: vec![0; words],
            changed: vec![0; words],
            idx: vec![0; n],
            tmp: vec![0; n],
            undo_holes: Vec::new(),
            undo_vals: Vec::new(),
            undo_val_nodes: Vec::new(),
            undo_counts: Vec::new(),
            undo_failures: 0,
            base_behind: false,
        };
        if !kept {
            m.failures = m.ev.failures_near(g, &m.holes, ex, None, true)?;
            return Ok(m);
        }
        m.ev.resolve(g, &m.holes.0);
        m.vals = vec![0; nodes * n];
        for i in 0..nodes {
            if m.ev.loc[i] == DYN | i as u32 {
                m.compute(g, i)?;
                m.vals[i * n..(i + 1) * n].copy_from_slice(&m.tmp);
            }
        }
        for i in 0..nodes {
            for r in m.root_start[i] as usize..m.root_start[i + 1] as usize {
                m.counts[r] = m.count(i, m.roots[r]);
                m.failures += m.counts[r];
            }
        }
        Ok(m)
    }

    /// The current assignment's failure count.
    pub fn failures(&self) -> u64 {
        self.failures
    }

    /// The current assignment.
    pub fn assignment(&self) -> &Assignment {
        &self.holes
    }

    /// Whether values are kept for change propagation (otherwise moves are evaluated by
    /// [`Evaluator::failures_near`]; see [`MAX_KEPT`]).
    pub fn propagates(&self) -> bool {
        self.kept
    }

    /// Sets hole `h` to `v` for every `(h, v)` in `changes`, in order, and returns the failure
    /// count of the result, which becomes the current assignment. [`Moves::undo`] goes back;
    /// the next move forgets the way back (the move is accepted). `g` must be the graph the
    /// moves were made for.
    pub fn try_move(&mut self, g: &Graph, changes: &[(u32, u32)]) -> Result<u64, EvalError> {
        self.ev.check_graph_shape(g)?;
        self.undo_holes.clear();
        self.undo_vals.clear();
        self.undo_val_nodes.clear();
        self.undo_counts.clear();
        self.undo_failures = self.failures;
        if !self.kept {
            if self.base_behind {
                self.ev.move_base(g, &self.holes)?;
                self.base_behind = false;
            }
            self.set_holes(g, changes, false)?;
            let known = Some(self.failures);
            self.failures = self
                .ev
                .failures_near(g, &self.holes, self.ex, known, false)?;
            self.base_behind = true;
            return Ok(self.failures);
        }
        self.ev.undo.clear();
        self.ev.undo_slots.clear();
        self.set_holes(g, changes, true)?;
        self.propagate(g)?;
        Ok(self.failures)
    }

    /// Goes back to the assignment (and failure count) before the last [`Moves::try_move`];
    /// nothing when there was none since the last undo.
    pub fn undo(&mut self) {
        while let Some((h, v)) = self.undo_holes.pop() {
            self.holes.0[h as usize] = v;
        }
        self.failures = self.undo_failures;
        if !self.kept {
            self.base_behind = false;
            return;
        }
        let n = self.n;
        let mut end = self.undo_vals.len();
        while let Some(i) = self.undo_val_nodes.pop() {
            let i = i as usize;
            self.vals[i * n..(i + 1) * n].copy_from_slice(&self.undo_vals[end - n..end]);
            end -= n;
        }
        self.undo_vals.clear();
        while let Some((r, c)) = self.undo_counts.pop() {
            self.counts[r as usize] = c;
        }
        self.ev.restore_base();
    }

    /// Applies `changes` to the assignment, logging the old values; with `mark`, queues the
    /// changed holes' nodes for resolution.
    fn set_holes(
        &mut self,
        g: &Graph,
        changes: &[(u32, u32)],
        mark: bool,
    ) -> Result<(), EvalError> {
        for &(h, v) in changes {
            match self.ev.hole_size.get(h as usize) {
                None => {
                    return Err(EvalError::AssignmentLength {
                        expected: self.ev.n_holes,
                        got: h as usize + 1,
                    })
                }
                Some(&size) if v >= size => {
                    return Err(EvalError::HoleValue {
                        hole: g.holes[h as usize].name.clone(),
                        value: v,
                        domain: g.domain(g.holes[h as usize].domain).to_string(),
                    })
                }
                Some(_) => {}
            }
            let old = self.holes.0[h as usize];
            if old == v {
                continue;
            }
            self.undo_holes.push((h, old));
            self.holes.0[h as usize] = v;
            if mark {
                self.ev.queue_hole(h as usize);
            }
        }
        Ok(())
    }

    /// The forward walk of a move (see the module documentation). Users come after what they
    /// read, so one pass in node order sees every consequence.
    fn propagate(&mut self, g: &Graph) -> Result<(), EvalError> {
        for w in 0..self.recompute.len() {
            loop {
                let bits = self.ev.pending[w] | self.recompute[w];
                if bits == 0 {
                    break;
                }
                let bit = bits.trailing_zeros();
                let mask = 1u64 << bit;
                let resolve = self.ev.pending[w] & mask != 0;
                self.ev.pending[w] &= !mask;
                self.recompute[w] &= !mask;
                let i = w * 64 + bit as usize;
                let old = self.ev.loc[i];
                if resolve {
                    let (_, new) = self.ev.reresolve(g, &self.holes.0, i);
                    if new != old {
                        self.mark_users(i, true);
                    }
                }
                let l = self.ev.loc[i];
                let changed = if l == DYN | i as u32 {
                    self.compute(g, i)?;
                    let n = self.n;
                    let cur = &mut self.vals[i * n..(i + 1) * n];
                    let differ = old != l || *cur != self.tmp[..];
                    if differ {
                        self.undo_val_nodes.push(i as u32);
                        self.undo_vals.extend_from_slice(cur);
                        cur.copy_from_slice(&self.tmp);
                    }
                    differ
                } else if l & DYN != 0 {
                    let m = (l & !DYN) as usize;
                    self.changed[m / 64] & (1 << (m % 64)) != 0
                } else {
                    false
                };
                if changed {
                    self.changed[w] |= mask;
                    self.mark_users(i, false);
                } else if l == old {
                    // Same location, same values: its outputs and observations stand.
                    continue;
                }
                for r in self.root_start[i] as usize..self.root_start[i + 1] as usize {
                    let c = self.count(i, self.roots[r]);
                    if c != self.counts[r] {
                        self.undo_counts.push((r as u32, self.counts[r]));
                        self.failures = self.failures - self.counts[r] + c;
                        self.counts[r] = c;
                    }
                }
            }
        }
        self.changed.fill(0);
        Ok(())
    }

    /// Queues node `i`'s users: for resolution, or for recomputation.
    ///
    /// When `i`'s values changed, a user is queued only when it computes values (then it
    /// reads `i`'s) or is another alias of what `i` resolves to; a user resolved to a value
    /// or aliasing another node did not change. (A user whose location changes in this move
    /// is queued for resolution by that change, and the visit then decides.)
    #[inline(always)]
    fn mark_users(&mut self, i: usize, resolve: bool) {
        let ev = &mut self.ev;
        let (s, e) = (ev.users_start[i] as usize, ev.users_start[i + 1] as usize);
        if resolve {
            for &u in &ev.users[s..e] {
                // A multiplexer whose selector is fixed and picks another case does not read
                // `i` (should its selector change too, that change queues it).
                if matches!(ev.kind[u as usize], Kind::Mux) {
                    let a = ev.arg_start[u as usize] as usize;
                    let sel = ev.loc[ev.args[a] as usize];
                    if sel & DYN == 0
                        && ev.args[a] as usize != i
                        && ev.args[a + 1 + sel as usize] as usize != i
                    {
                        continue;
                    }
                }
                ev.pending[u as usize / 64] |= 1 << (u % 64);
            }
            return;
        }
        let target = ev.loc[i];
        for &u in &ev.users[s..e] {
            let l = ev.loc[u as usize];
            if l == target || l == DYN | u {
                self.recompute[u as usize / 64] |= 1 << (u % 64);
            }
        }
    }

    /// Computes the values of node `i`, resolved to `DYN | i`, on every example, into `tmp`.
    #[inline]
    fn compute(&mut self, g: &Graph, i: usize) -> Result<(), EvalError> {
        let n = self.n;
        let ev = &self.ev;
        let lo = &self.vals[..i * n];
        let out = &mut self.tmp[..];
        match ev.kind[i] {
            Kind::Input(slot) => {
                // An input-less graph never has an input node, so the column has `n` values.
                let col = &self.ex.inputs[slot as usize][..n];
                let size = ev.input_size[slot as usize];
                if let Some(bad) = col.iter().position(|&v| v >= size) {
                    return Err(example_value_error(g, self.ex, slot as usize, bad));
                }
                out.copy_from_slice(col);
            }
            Kind::Apply(t) => {
                let data = &g.tables[t as usize].data;
                let base = ev.dyn_base[i];
                let (s, e) = ev.dyn_range[i];
                let row = |m: u32| &lo[m as usize * n..(m as usize + 1) * n];
                // One and two example-dependent arguments (unary and binary operators, a
                // table of a hole and one or two values) get loops of their own.
                match ev.dyn_args[s as usize..e as usize] {
                    [(a, sa)] => {
                        for (o, &x) in out.iter_mut().zip(row(a)) {
                            *o = data[(base + x * sa) as usize];
                        }
                    }
                    [(a, sa), (b, sb)] => {
                        for ((o, &x), &y) in out.iter_mut().zip(row(a)).zip(row(b)) {
                            *o = data[(base + x * sa + y * sb) as usize];
                        }
                    }
                    ref args => {
                        let idx = &mut self.idx;
                        idx.fill(base);
                        for &(m, stride) in args {
                            for (x, &v) in idx.iter_mut().zip(row(m)) {
                                *x += v * stride;
                            }
                        }
                        for (o, &x) in out.iter_mut().zip(idx.iter()) {
                            *o = data[x as usize];
                        }
                    }
                }
            }
            Kind::Mux => {
                let s = ev.arg_start[i] as usize;
                let sel = (ev.loc[ev.args[s] as usize] & !DYN) as usize;
                for (e, o) in out.iter_mut().enumerate() {
                    let case = ev.args[s + 1 + lo[sel * n + e] as usize];
                    let c = ev.loc[case as usize];
                    *o = if c & DYN != 0 {
                        lo[(c & !DYN) as usize * n + e]
                    } else {
                        c
                    };
                }
            }
            Kind::Hole(_) | Kind::Const(_) => unreachable!("static nodes compute no values"),
        }
        Ok(())
    }

    /// The failure count of `root` at node `i` under the current resolution.
    fn count(&self, i: usize, root: Root) -> u64 {
        let l = self.ev.loc[i];
        let vals = (l & DYN != 0).then(|| {
            let m = (l & !DYN) as usize;
            &self.vals[m * self.n..(m + 1) * self.n]
        });
        match (root, vals) {
            (Root::Observation, None) => self.n as u64 * u64::from(l != 1),
            (Root::Observation, Some(v)) => v.iter().filter(|&&v| v != 1).count() as u64,
            (Root::Output(o), vals) => {
                let col = &self.expected[o as usize * self.n..(o as usize + 1) * self.n];
                match vals {
                    None => col.iter().filter(|&&x| x != ANY && x != l).count() as u64,
                    Some(v) => col
                        .iter()
                        .zip(v)
                        .filter(|&(&x, &v)| x != ANY && x != v)
                        .count() as u64,
                }
            }
        }
    }
}
