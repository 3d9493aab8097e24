//! The relaxed semantics of the IR (TerpreT's FMGD), batched over restarts and examples.
//!
//! Every node value is a distribution over its finite domain. A table application is the
//! contraction of its table with the product of its argument distributions, a multiplexer is
//! the mixture `Σ_k p(sel = k) · case_k`, inputs and constants are one-hot. The loss of one
//! restart is `Σ −ln p(expected)` over outputs and examples (don't-care skipped) plus
//! `Σ −ln p(observation = true)`, plus `cost_weight ·` the expected costs.
//!
//! Layout: node `n` owns `size(n) × width(n)` floats in one flat buffer, value-major:
//! `vals[off + v * width + b]`. A node that depends on no input (*static*: holes, constants
//! and what is computed from them alone) has `width = R` (one column per restart, `b = r`); a
//! node that depends on an input has `width = R · E` (`b = r · E + e`). So 100 restarts over 16
//! examples are one sweep over the nodes whose inner loops run over 1 600 columns, and the
//! parity chain (no inputs) costs one column per restart.
//!
//! Hole distributions come in and hole gradients go out in *parameter layout*:
//! `[r · D + hole_offset(h) + v]`, `D = Σ_h size(h)` ([`Kernel::dims`]).

// Restart loops index several parallel buffers (loss, weights, active, rngs) at once.
#![allow(clippy::needless_range_loop)]

use weft_ir::{Examples, Graph, Node};

use crate::GradError;

#[derive(Clone, Copy, Debug)]
enum Kind {
    Fixed,
    Hole,
    /// Table index; arguments are `args[a.0..a.1]`.
    Apply(u32, (u32, u32)),
    /// Selector then cases: `args[a.0..a.1]`.
    Mux((u32, u32)),
}

#[derive(Clone, Copy, Debug)]
struct KNode {
    kind: Kind,
    size: usize,
    dynamic: bool,
    /// Depends on a hole (so gradients flow into it).
    needs_grad: bool,
    off: usize,
}

#[derive(Clone, Debug)]
struct KTable {
    /// Output value index of each entry (first argument most significant).
    data: Vec<u32>,
    /// Argument value index of every entry: `combos[t * arity + i]`.
    combos: Vec<u32>,
    arity: usize,
}

/// The compiled relaxed program of one graph for `R` restarts and `E` examples.
#[derive(Clone, Debug)]
pub struct Kernel {
    r: usize,
    e: usize,
    nodes: Vec<KNode>,
    args: Vec<u32>,
    tables: Vec<KTable>,
    vals: Vec<f32>,
    grads: Vec<f32>,
    /// Per hole: node index (`usize::MAX` when no node reads the hole) and parameter offset.
    holes: Vec<(usize, usize)>,
    /// Per hole: its domain size.
    hole_sizes: Vec<usize>,
    dims: usize,
    observations: Vec<usize>,
    /// Output node and its expected value per example.
    outputs: Vec<(usize, Vec<Option<u32>>)>,
    /// Cost node, weights, counted once.
    costs: Vec<(usize, Vec<f32>, bool)>,
    /// `[r · E + e]`.
    weights: Vec<f32>,
    loss: Vec<f32>,
    eps: f32,
    cost_weight: f32,
    scratch: Vec<(usize, bool, usize)>,
    scratch2: Vec<(usize, bool)>,
}

impl Kernel {
    /// Compiles `g` for `restarts` restarts over `ex`. A graph without inputs is run on one
    /// implicit example, as the exact evaluator does.
    pub fn new(
        g: &Graph,
        ex: &Examples,
        restarts: usize,
        eps: f32,
        cost_weight: f32,
    ) -> Result<Kernel, GradError> {
        weft_ir::validate_examples(g, ex).map_err(|e| GradError::Graph(e.to_string()))?;
        let r = restarts;
        let e = ex.len().max(1);
        let mut nodes = Vec::with_capacity(g.nodes.len());
        let mut args = Vec::new();
        let mut tables: Vec<Option<KTable>> = vec![None; g.tables.len()];
        let mut off = 0usize;
        for (i, nd) in g.nodes.iter().enumerate() {
            let size = g.domain(nd.domain).size as usize;
            let arg_ok = |a: &weft_ir::NodeId| (a.0 as usize) < i;
            let (kind, dynamic, needs_grad) = match &nd.node {
                Node::Input(_) => (Kind::Fixed, true, false),
                Node::Const(_) => (Kind::Fixed, false, false),
                Node::Hole(_) => (Kind::Hole, false, true),
                Node::Apply(t, a) => {
                    if !a.iter().all(arg_ok) {
                        return Err(GradError::Graph(format!("node {i}: argument out of order")));
                    }
                    let ti = t.0 as usize;
                    let table = g
                        .tables
                        .get(ti)
                        .ok_or_else(|| GradError::Graph(format!("node {i}: no table {ti}")))?;
                    if table.args.len() != a.len() {
                        return Err(GradError::Graph(format!("node {i}: table arity")));
                    }
                    if tables[ti].is_none() {
                        tables[ti] = Some(compile_table(g, table));
                    }
                    let start = args.len() as u32;
                    args.extend(a.iter().map(|x| x.0));
                    let dynamic = a.iter().any(|x| nodes_dyn(&nodes, x.0));
                    let ng = a.iter().any(|x| nodes_ng(&nodes, x.0));
                    (
                        Kind::Apply(ti as u32, (start, args.len() as u32)),
                        dynamic,
                        ng,
                    )
                }
                Node::Mux(s, cases) => {
                    if !arg_ok(s) || !cases.iter().all(arg_ok) {
                        return Err(GradError::Graph(format!("node {i}: argument out of order")));
                    }
                    let start = args.len() as u32;
                    args.push(s.0);
                    args.extend(cases.iter().map(|x| x.0));
                    let all = &args[start as usize..];
                    let dynamic = all.iter().any(|&x| nodes_dyn(&nodes, x));
                    let ng = all.iter().any(|&x| nodes_ng(&nodes, x));
                    (Kind::Mux((start, args.len() as u32)), dynamic, ng)
                }
            };
            let width = if dynamic { r * e } else { r };
            nodes.push(KNode {
                kind,
                size,
                dynamic,
                needs_grad,
                off,
            });
            off += size * width;
        }
        let mut vals = vec![0f32; off];
        // Inputs and constants are one-hot and never change.
        for (i, nd) in g.nodes.iter().enumerate() {
            let k = nodes[i];
            let w = width(&k, r, e);
            match nd.node {
                Node::Const(v) => {
                    let v = v as usize;
                    if v < k.size {
                        vals[k.off + v * w..k.off + (v + 1) * w].fill(1.0);
                    }
                }
                Node::Input(slot) => {
                    let col = ex.inputs.get(slot as usize);
                    for ri in 0..r {
                        for ei in 0..e {
                            if let Some(&v) = col.and_then(|c| c.get(ei)) {
                                vals[k.off + v as usize * w + ri * e + ei] = 1.0;
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        let tables = tables
            .into_iter()
            .map(|t| {
                t.unwrap_or(KTable {
                    data: vec![],
                    combos: vec![],
                    arity: 0,
                })
            })
            .collect();
        let mut holes = vec![(usize::MAX, 0); g.holes.len()];
        for (i, nd) in g.nodes.iter().enumerate() {
            if let Node::Hole(h) = nd.node {
                if let Some(slot) = holes.get_mut(h.0 as usize) {
                    slot.0 = i;
                }
            }
        }
        let mut dims = 0;
        let hole_sizes: Vec<usize> = g
            .holes
            .iter()
            .map(|h| g.domain(h.domain).size as usize)
            .collect();
        for (slot, &size) in holes.iter_mut().zip(&hole_sizes) {
            slot.1 = dims;
            dims += size;
        }
        let outputs = g
            .outputs
            .iter()
            .enumerate()
            .map(|(o, out)| {
                let col = ex.expected.get(o).cloned().unwrap_or_default();
                (out.node.0 as usize, col)
            })
            .collect();
        let costs = g
            .costs
            .iter()
            .map(|c| {
                (
                    c.node.0 as usize,
                    c.weights.iter().map(|&w| w as f32).collect(),
                    c.once,
                )
            })
            .collect();
        let grads = vec![0f32; off];
        Ok(Kernel {
            r,
            e,
            nodes,
            args,
            tables,
            vals,
            grads,
            holes,
            hole_sizes,
            dims,
            observations: g.observations.iter().map(|o| o.node.0 as usize).collect(),
            outputs,
            costs,
            weights: vec![1.0; r * e],
            loss: vec![0.0; r],
            eps,
            cost_weight,
            scratch: Vec::new(),
            scratch2: Vec::new(),
        })
    }

    /// Restarts.
    pub fn restarts(&self) -> usize {
        self.r
    }
    /// Examples (at least 1).
    pub fn examples(&self) -> usize {
        self.e
    }
    /// `D`: the number of hole parameters per restart (the sum of the hole domain sizes).
    pub fn dims(&self) -> usize {
        self.dims
    }
    /// Per hole: its offset in parameter layout and its domain size.
    pub fn hole_layout(&self) -> Vec<(usize, usize)> {
        self.holes
            .iter()
            .zip(&self.hole_sizes)
            .map(|(&(_, off), &size)| (off, size))
            .collect()
    }
    /// Example weights, `[r · E + e]` (all 1 unless changed).
    pub fn weights_mut(&mut self) -> &mut [f32] {
        &mut self.weights
    }
    /// The loss of every restart from the last [`Kernel::forward`].
    pub fn loss(&self) -> &[f32] {
        &self.loss
    }

    /// Sets every hole's distribution from `probs` (parameter layout, `R × D`).
    pub fn set_holes(&mut self, probs: &[f32]) {
        let (r, d) = (self.r, self.dims);
        for &(n, poff) in &self.holes {
            if n == usize::MAX {
                continue;
            }
            let k = self.nodes[n];
            for v in 0..k.size {
                let row = &mut self.vals[k.off + v * r..k.off + (v + 1) * r];
                for (ri, x) in row.iter_mut().enumerate() {
                    *x = probs[ri * d + poff + v];
                }
            }
        }
    }

    /// The forward pass; returns the loss of every restart.
    pub fn forward(&mut self) -> &[f32] {
        let (r, e) = (self.r, self.e);
        for i in 0..self.nodes.len() {
            let k = self.nodes[i];
            let w = width(&k, r, e);
            let (lo, hi) = self.vals.split_at_mut(k.off);
            let out = &mut hi[..k.size * w];
            match k.kind {
                Kind::Fixed | Kind::Hole => {}
                Kind::Apply(t, (a0, a1)) => {
                    out.fill(0.0);
                    let table = &self.tables[t as usize];
                    let args = &self.args[a0 as usize..a1 as usize];
                    let rows = &mut self.scratch;
                    rows.clear();
                    rows.resize(args.len(), (0, false, 0));
                    for (ti, &o) in table.data.iter().enumerate() {
                        let combo = &table.combos[ti * table.arity..(ti + 1) * table.arity];
                        let mut same = true;
                        for (j, (&a, &c)) in args.iter().zip(combo).enumerate() {
                            let an = &self.nodes[a as usize];
                            rows[j] = (an.off + c as usize * width(an, r, e), an.dynamic, 0);
                            same &= an.dynamic == k.dynamic;
                        }
                        let dst = &mut out[o as usize * w..(o as usize + 1) * w];
                        product_into(dst, rows, lo, same, r, e, k.dynamic);
                    }
                }
                Kind::Mux((a0, a1)) => {
                    out.fill(0.0);
                    let sel = &self.nodes[self.args[a0 as usize] as usize];
                    for (c, &cn) in self.args[a0 as usize + 1..a1 as usize].iter().enumerate() {
                        let cn = &self.nodes[cn as usize];
                        let srow = sel.off + c * width(sel, r, e);
                        for v in 0..k.size {
                            let crow = cn.off + v * width(cn, r, e);
                            let dst = &mut out[v * w..(v + 1) * w];
                            let rows = [(srow, sel.dynamic, 0), (crow, cn.dynamic, 0)];
                            let same = sel.dynamic == k.dynamic && cn.dynamic == k.dynamic;
                            product_into(dst, &rows, lo, same, r, e, k.dynamic);
                        }
                    }
                }
            }
        }
        self.compute_loss();
        &self.loss
    }

    /// The loss terms, and the gradient seeds for the backward pass.
    fn compute_loss(&mut self) {
        let (r, e, eps) = (self.r, self.e, self.eps);
        self.loss.fill(0.0);
        self.grads.fill(0.0);
        let loss = &mut self.loss;
        for &n in &self.observations {
            let k = self.nodes[n];
            if k.size < 2 {
                continue;
            }
            let w = width(&k, r, e);
            let es = if k.dynamic { e } else { 1 };
            for ri in 0..r {
                for ei in 0..es {
                    let b = ri * es + ei;
                    let wt = if k.dynamic {
                        self.weights[ri * e + ei]
                    } else {
                        1.0
                    };
                    let p = self.vals[k.off + w + b].max(eps);
                    loss[ri] -= wt * p.ln();
                    self.grads[k.off + w + b] -= wt / p;
                }
            }
        }
        for (n, expected) in &self.outputs {
            let k = self.nodes[*n];
            let w = width(&k, r, e);
            for ri in 0..r {
                for (ei, x) in expected.iter().enumerate() {
                    let Some(v) = *x else { continue };
                    let b = if k.dynamic { ri * e + ei } else { ri };
                    let wt = self.weights[ri * e + ei];
                    let idx = k.off + v as usize * w + b;
                    let p = self.vals[idx].max(eps);
                    loss[ri] -= wt * p.ln();
                    self.grads[idx] -= wt / p;
                }
            }
        }
        if self.cost_weight != 0.0 {
            for (n, weights, once) in &self.costs {
                let k = self.nodes[*n];
                let w = width(&k, r, e);
                let es = if k.dynamic { e } else { 1 };
                // A static per-example cost counts once per example.
                let mult = if !k.dynamic && !once { e as f32 } else { 1.0 };
                for (v, &cw) in weights.iter().enumerate().take(k.size) {
                    let c = self.cost_weight * cw * mult;
                    for ri in 0..r {
                        for ei in 0..es {
                            let idx = k.off + v * w + ri * es + ei;
                            loss[ri] += c * self.vals[idx];
                            self.grads[idx] += c;
                        }
                    }
                }
            }
        }
    }

    /// The backward pass of the last forward pass: writes `∂loss_r/∂p(hole = v)` into `grad`
    /// (parameter layout, `R × D`).
    pub fn backward(&mut self, grad: &mut [f32]) {
        let (r, e) = (self.r, self.e);
        for i in (0..self.nodes.len()).rev() {
            let k = self.nodes[i];
            if !k.needs_grad {
                continue;
            }
            let w = width(&k, r, e);
            let (glo, ghi) = self.grads.split_at_mut(k.off);
            let gout = &ghi[..k.size * w];
            let vals = &self.vals;
            match k.kind {
                Kind::Fixed | Kind::Hole => {}
                Kind::Apply(t, (a0, a1)) => {
                    let table = &self.tables[t as usize];
                    let args = &self.args[a0 as usize..a1 as usize];
                    let rows = &mut self.scratch2;
                    rows.clear();
                    rows.resize(args.len(), (0, false));
                    for (ti, &o) in table.data.iter().enumerate() {
                        let combo = &table.combos[ti * table.arity..(ti + 1) * table.arity];
                        for (j, (&a, &c)) in args.iter().zip(combo).enumerate() {
                            let an = &self.nodes[a as usize];
                            rows[j] = (an.off + c as usize * width(an, r, e), an.dynamic);
                        }
                        let go = &gout[o as usize * w..(o as usize + 1) * w];
                        for (j, &a) in args.iter().enumerate() {
                            if !self.nodes[a as usize].needs_grad {
                                continue;
                            }
                            apply_backward(go, rows, j, vals, glo, r, e, k.dynamic);
                        }
                    }
                }
                Kind::Mux((a0, a1)) => {
                    let sel = self.nodes[self.args[a0 as usize] as usize];
                    let sw = width(&sel, r, e);
                    for (c, &cn) in self.args[a0 as usize + 1..a1 as usize].iter().enumerate() {
                        let cn = self.nodes[cn as usize];
                        let cw = width(&cn, r, e);
                        let srow = sel.off + c * sw;
                        for v in 0..k.size {
                            let crow = cn.off + v * cw;
                            let go = &gout[v * w..(v + 1) * w];
                            let rows = [(srow, sel.dynamic), (crow, cn.dynamic)];
                            if sel.needs_grad {
                                apply_backward(go, &rows, 0, vals, glo, r, e, k.dynamic);
                            }
                            if cn.needs_grad {
                                apply_backward(go, &rows, 1, vals, glo, r, e, k.dynamic);
                            }
                        }
                    }
                }
            }
        }
        let d = self.dims;
        for (&(n, poff), &size) in self.holes.iter().zip(&self.hole_sizes) {
            if n == usize::MAX {
                // No node reads this hole: the loss does not depend on it.
                for ri in 0..self.r {
                    grad[ri * d + poff..ri * d + poff + size].fill(0.0);
                }
                continue;
            }
            let k = self.nodes[n];
            for v in 0..k.size {
                let row = &self.grads[k.off + v * r..k.off + (v + 1) * r];
                for (ri, &x) in row.iter().enumerate() {
                    grad[ri * d + poff + v] = x;
                }
            }
        }
    }
}

fn nodes_dyn(nodes: &[KNode], a: u32) -> bool {
    nodes[a as usize].dynamic
}
fn nodes_ng(nodes: &[KNode], a: u32) -> bool {
    nodes[a as usize].needs_grad
}

fn width(k: &KNode, r: usize, e: usize) -> usize {
    if k.dynamic {
        r * e
    } else {
        r
    }
}

fn compile_table(g: &Graph, t: &weft_ir::Table) -> KTable {
    let sizes: Vec<usize> = t.args.iter().map(|d| g.domain(*d).size as usize).collect();
    let arity = sizes.len();
    let n = t.data.len();
    let mut combos = vec![0u32; n * arity];
    for ti in 0..n {
        let mut rest = ti;
        for i in (0..arity).rev() {
            combos[ti * arity + i] = (rest % sizes[i]) as u32;
            rest /= sizes[i];
        }
    }
    KTable {
        data: t.data.clone(),
        combos,
        arity,
    }
}

/// `dst[b] += Π_j src_j[b_j]`, where `b_j = b` for an argument as wide as the output and
/// `b_j = r` for a static argument of a per-example output.
#[inline]
fn product_into(
    dst: &mut [f32],
    rows: &[(usize, bool, usize)],
    src: &[f32],
    same: bool,
    r: usize,
    e: usize,
    out_dyn: bool,
) {
    let w = dst.len();
    if same {
        match rows {
            [(a, ..)] => {
                for (d, x) in dst.iter_mut().zip(&src[*a..*a + w]) {
                    *d += x;
                }
            }
            [(a, ..), (b, ..)] => {
                for ((d, x), y) in dst.iter_mut().zip(&src[*a..*a + w]).zip(&src[*b..*b + w]) {
                    *d += x * y;
                }
            }
            [(a, ..), (b, ..), (c, ..)] => {
                for (((d, x), y), z) in dst
                    .iter_mut()
                    .zip(&src[*a..*a + w])
                    .zip(&src[*b..*b + w])
                    .zip(&src[*c..*c + w])
                {
                    *d += x * y * z;
                }
            }
            _ => {
                for (b, d) in dst.iter_mut().enumerate() {
                    *d += rows.iter().map(|&(a, ..)| src[a + b]).product::<f32>();
                }
            }
        }
        return;
    }
    debug_assert!(out_dyn);
    let _ = out_dyn;
    for ri in 0..r {
        for ei in 0..e {
            let b = ri * e + ei;
            let mut p = 1.0;
            for &(a, dynamic, _) in rows {
                p *= src[a + if dynamic { b } else { ri }];
            }
            dst[b] += p;
        }
    }
}

/// `g_j[b_j] += go[b] · Π_{i≠j} src_i[b_i]` (see [`product_into`] for `b_i`).
#[allow(clippy::too_many_arguments)]
#[inline]
fn apply_backward(
    go: &[f32],
    rows: &[(usize, bool)],
    j: usize,
    src: &[f32],
    g: &mut [f32],
    r: usize,
    e: usize,
    out_dyn: bool,
) {
    let w = go.len();
    let same = rows.iter().all(|x| x.1 == out_dyn);
    let (gj, _) = rows[j];
    if same {
        match rows.len() {
            1 => {
                for (d, x) in g[gj..gj + w].iter_mut().zip(go) {
                    *d += x;
                }
            }
            2 => {
                let o = rows[1 - j].0;
                for ((d, x), y) in g[gj..gj + w].iter_mut().zip(go).zip(&src[o..o + w]) {
                    *d += x * y;
                }
            }
            _ => {
                for b in 0..w {
                    let mut p = go[b];
                    for (i, &(a, _)) in rows.iter().enumerate() {
                        if i != j {
                            p *= src[a + b];
                        }
                    }
                    g[gj + b] += p;
                }
            }
        }
        return;
    }
    for ri in 0..r {
        for ei in 0..e {
            let b = ri * e + ei;
            let mut p = go[b];
            if p == 0.0 {
                continue;
            }
            for (i, &(a, dynamic)) in rows.iter().enumerate() {
                if i != j {
                    p *= src[a + if dynamic { b } else { ri }];
                }
            }
            g[gj + if rows[j].1 { b } else { ri }] += p;
        }
    }
}
