//! The relaxed semantics of the IR (TerpreT's FMGD), batched over restarts and examples.
//!
//! Every node value is a distribution over its finite domain. A table application is the
//! contraction of its table with the product of its argument distributions, a multiplexer is
//! the mixture `Σ_k p(sel = k) · case_k`, inputs and constants are one-hot. The loss of one
//! restart is `Σ −ln p(expected)` over outputs and examples (don't-care skipped) plus
//! `Σ −ln p(observation = true)`, plus `cost_weight ·` the expected costs.
//!
//! Layout: node `n` owns `size(n)` rows of `stride(n)` floats in one flat buffer, value-major:
//! `vals[off + v · stride + b]`. A node that depends on no input (*static*: holes, constants
//! and what is computed from them alone) has `stride = R` (one column per restart, `b = c`);
//! a node that depends on an input has `stride = R · E` (`b = c · E + e`). Restarts are the
//! contiguous, innermost dimension, so every inner loop is a plain loop over `f32` rows that
//! the compiler vectorises.
//!
//! The graph is compiled once into a flat list of `Op`s whose arguments all have the width
//! of their output: a static node read by a per-example node gets one *broadcast* copy (its
//! backward sums over the examples), so no inner loop ever mixes widths. Two-argument tables
//! over two-valued domains (`==`, `&&`, `^`, …, the bulk of every Boolean sketch) and
//! one-argument Boolean tables get fused kernels: one pass over the columns computes all four
//! products (a version per table, through a const generic, so each output value is a plain
//! sum), and one backward pass updates both arguments, reading the output gradient of each
//! table entry directly. Every other table runs the generic contraction, entry by entry. Both
//! give bit-identical results: the fused forward adds the products of each output value in
//! table order, as the generic loop does. What depends on no hole is computed once, in
//! [`Kernel::new`]. The hot sweeps are compiled three times, for the baseline instruction set,
//! for AVX2 and for AVX-512, and picked at run time; all compute exactly the same (no fused
//! multiply-add).
//!
//! *Fewer passes over memory.* No gradient row is zeroed before the backward pass unless it
//! has to be: the first write of a row assigns (`Kernel::plan_grads`), a row nothing writes
//! stays 0 and is read from one shared zero row, and a `Bool2` whose row 0 nothing reads (an
//! observed comparison) computes row 1 only. An observation's gradient seed and the tests that
//! choose its loss path are one pass. When the driver promises one-hot hole values
//! ([`Kernel::set_one_hot`], the discrete methods), every value is exactly 0 or 1 and the loss
//! takes its exact path without testing or dividing.
//!
//! *Fused observations.* A two-valued table whose output is observed once and read by nothing
//! else (`observe a == b`) computes its row, the seed of its gradient and its backward pass
//! into its arguments in one pass (see `Kernel::plan_fusion`), with the same bits as the
//! general passes; the discrete sweep counts its violations as it computes them. On the parity
//! chain (K = 256, 48 columns) a forward and backward pass took 17 µs fused against 22.5 µs
//! unfused (`cargo run --release -p weft-grad --example kernel_ab`, alternating in one process).
//!
//! *Measured* (parity chain, K = 256, 100 restarts, one thread, CPU seconds for 2000 steps on
//! the shared 2-core development machine): the previous kernel (per-entry loops, restarts
//! innermost only within a row, parameters restart-major) took ~1.06 s for FMGD; this one
//! 0.20 s (0.37 s without the AVX2 copy and the loss as a log of products); Bop 0.13 s
//! (0.17 s without the AVX2 copy). Then (medians of 11 interleaved runs, load 3–4, the same
//! command): FMGD 213 → 152 ms, Bop 175 → 100 ms of task clock, from the AVX-512 copy, the
//! fused end-of-step passes of the driver, the gradient-row plan and the one-hot loss. Tried
//! and dropped: padding the columns to a multiple of 16 (no partial vector at the end of a
//! row): no faster at 100 restarts (Bop 72–77 ms unpadded against 81–87 ms padded), since the
//! padding lanes cost as much as the partial vector saved.
//!
//! *The discrete sweep* ([`Kernel::violations`]) runs the discrete programs of all columns at
//! once on integer rows (the same ops, on value indices) and counts violated observations and
//! outputs: a cheap filter before the exact evaluator, which stays the judge.
//!
//! *Active columns.* Only the first `n` restart columns ([`Kernel::set_active`]) are computed:
//! the driver moves finished restarts to the end and shrinks `n`, so a restart that has
//! succeeded costs nothing. Columns never interact, so the result of a column does not depend
//! on `n` or on its position.
//!
//! Two interfaces for hole distributions and their gradients: *parameter layout*
//! `[r · D + hole_offset(h) + v]`, `D = Σ_h size(h)` ([`Kernel::set_holes`],
//! [`Kernel::backward`]; convenient, with a transposition), and the kernel's own column layout
//! ([`Kernel::hole_vals_mut`], [`Kernel::hole_grads`]: `[v · R + c]`), which the driver uses.

// Column loops index several parallel rows at once.
#![allow(clippy::needless_range_loop)]

use weft_ir::{Examples, Graph, Node};

use crate::math::ln_fast;
use crate::GradError;

#[derive(Clone, Copy, Debug)]
struct KNode {
    size: usize,
    dynamic: bool,
    /// Depends on a hole (so gradients flow into it).
    needs_grad: bool,
    off: usize,
}

/// One step of the compiled program. Node fields are internal node indices; every argument
/// has the width of the output.
#[derive(Clone, Debug)]
enum Op {
    /// A two-valued output of two two-valued arguments. `mask[v][t]` is 1 when table entry
    /// `t = 2·x + y` yields `v`; `data[t]` is that value.
    Bool2 {
        out: usize,
        a: usize,
        b: usize,
        /// Bit `t` set: entry `t` yields 1 (the table, as a number 0..16).
        mask: u8,
        data: [usize; 4],
        /// Per argument: the backward pass writes its gradient rows first (`=`, not `+=`;
        /// see [`Kernel::plan_grads`]).
        assign: [bool; 2],
        /// Nothing reads the output's row 0 (an observation's "false"): it is not computed.
        only1: bool,
    },
    /// A two-valued output of one two-valued argument.
    Bool1 {
        out: usize,
        a: usize,
        mask: [[f32; 2]; 2],
        data: [usize; 2],
        /// As `Bool2`'s.
        assign: bool,
    },
    /// Any other table: `args[a.0..a.1]` are the arguments.
    Table {
        out: usize,
        table: usize,
        args: (usize, usize),
    },
    /// Selector then cases: `args[a.0..a.1]`.
    Mux { out: usize, args: (usize, usize) },
    /// A per-example copy of a static node.
    Broadcast { out: usize, src: usize },
}

impl Op {
    fn out(&self) -> usize {
        match *self {
            Op::Bool2 { out, .. }
            | Op::Bool1 { out, .. }
            | Op::Table { out, .. }
            | Op::Mux { out, .. }
            | Op::Broadcast { out, .. } => out,
        }
    }
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
    /// Active restart columns.
    n: usize,
    nodes: Vec<KNode>,
    ops: Vec<Op>,
    args: Vec<usize>,
    tables: Vec<KTable>,
    vals: Vec<f32>,
    grads: Vec<f32>,
    /// Per hole: the internal node holding its rows (holes no node reads get rows of their own
    /// that nothing reads), and its parameter offset.
    holes: Vec<(usize, usize)>,
    /// Per hole: its domain size.
    hole_sizes: Vec<usize>,
    dims: usize,
    /// Internal nodes.
    observations: Vec<usize>,
    /// Output node (internal) and its expected value per example.
    outputs: Vec<(usize, Vec<Option<u32>>)>,
    /// Cost node (internal), weights, counted once.
    costs: Vec<(usize, Vec<f32>, bool)>,
    /// `[c · E + e]`.
    weights: Vec<f32>,
    loss: Vec<f32>,
    eps: f32,
    ln_eps: f32,
    cost_weight: f32,
    scratch: Vec<usize>,
    /// Nodes whose gradient rows are zeroed before every backward pass (see
    /// [`Kernel::plan_grads`]); per observation: its seed is the first write of its row.
    gzero: Vec<usize>,
    obs_assign: Vec<bool>,
    /// The ops the forward and backward passes run, in order: those that depend on a hole
    /// and are not fused.
    plain_ops: Vec<usize>,
    /// The fused ops ([`Kernel::plan_fusion`]), in the order they run (decreasing index), and
    /// per observation its slot among them (`usize::MAX`: not fused); per slot, what
    /// [`classify`] says of the row it computed.
    fused_ops: Vec<usize>,
    obs_fused: Vec<usize>,
    fused_class: Vec<(bool, bool)>,
    /// Per node: bit `v` set when nothing ever writes gradient row `v` (it stays 0; the
    /// backward pass reads [`Kernel::zeros`] instead, a row that stays in the L1 cache).
    gzrow: Vec<u64>,
    zeros: Vec<f32>,
    /// A row of ones (the weights of a static fused op's seed). Two rows after the nodes'
    /// in `grads`, at `sink`, take the "gradient" a fused op writes for an argument that
    /// takes none.
    ones: Vec<f32>,
    sink: usize,
    /// Per slot of `fused_ops`: its rows, resolved once.
    fplans: Vec<FPlan>,
    /// Every hole distribution is one-hot, so every value is exactly 0 or 1
    /// ([`Kernel::set_one_hot`]).
    one_hot: bool,
    /// Running products of probabilities (`R` static, then `R · E` per example) and their
    /// exponents, for the loss.
    prod: Vec<f32>,
    prod_exp: Vec<i32>,
    /// The rows (offsets into `vals`) multiplied into those products in this forward pass,
    /// static and per example, in observation order.
    prod_rows: [Vec<usize>; 2],
    /// When every observation (of two or more values) is fused: their rows in observation
    /// order, static and per example (`prod_rows` when all go to the products, as the fused
    /// passes usually find; see `fused_product`). `None` otherwise.
    obs_rows: Option<[Vec<usize>; 2]>,
    /// Every fused op's row of this forward pass is finite and not exact (see [`classify`]).
    fused_product: bool,
    /// The discrete sweep ([`Kernel::violations`]): one row of value indices per node, at
    /// `doffs[node]` (`u32::MAX`: undefined, e.g. a multiplexer selecting no case).
    dvals: Vec<u32>,
    doffs: Vec<usize>,
    /// Per node: the hole it is (its row is read from the program), or `u32::MAX`.
    dhole: Vec<u32>,
    /// The fused ops ([`Kernel::plan_fusion`]) as the sweep runs them: their violations are
    /// counted from rows resolved once, and their own rows are never written.
    dfused: Vec<DFused>,
    /// Gathered programs, for [`Kernel::violations_of`].
    dprog: Vec<u32>,
    row: Vec<f32>,
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
        let mut b = Build {
            nodes: Vec::with_capacity(g.nodes.len()),
            ops: Vec::new(),
            args: Vec::new(),
            off: 0,
            r,
            e,
            bcast: vec![usize::MAX; g.nodes.len()],
        };
        let mut tables: Vec<Option<KTable>> = vec![None; g.tables.len()];
        // IR node → internal node.
        let mut map = Vec::with_capacity(g.nodes.len());
        for (i, nd) in g.nodes.iter().enumerate() {
            let size = g.domain(nd.domain).size as usize;
            let arg_ok = |a: &weft_ir::NodeId| (a.0 as usize) < i;
            let id = match &nd.node {
                Node::Input(_) => b.node(size, true, false),
                Node::Const(_) => b.node(size, false, false),
                Node::Hole(_) => b.node(size, false, true),
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
                    let kt = tables[ti].as_ref().expect("compiled above");
                    let ins: Vec<usize> = a.iter().map(|x| map[x.0 as usize]).collect();
                    let dynamic = ins.iter().any(|&x| b.nodes[x].dynamic);
                    let ng = ins.iter().any(|&x| b.nodes[x].needs_grad);
                    let ins: Vec<usize> = a
                        .iter()
                        .map(|x| b.widen(x.0 as usize, map[x.0 as usize], dynamic))
                        .collect();
                    let out = b.node(size, dynamic, ng);
                    let sizes: Vec<usize> = ins.iter().map(|&x| b.nodes[x].size).collect();
                    let op = match (&ins[..], &sizes[..], size) {
                        (&[x, y], &[2, 2], 2) if x != y => {
                            let mut mask = 0u8;
                            let mut data = [0; 4];
                            for t in 0..4 {
                                data[t] = kt.data[t] as usize;
                                mask |= (data[t] as u8) << t;
                            }
                            Op::Bool2 {
                                out,
                                a: x,
                                b: y,
                                mask,
                                data,
                                assign: [false; 2],
                                only1: false,
                            }
                        }
                        (&[x], &[2], 2) => {
                            let mut mask = [[0.0; 2]; 2];
                            let mut data = [0; 2];
                            for t in 0..2 {
                                data[t] = kt.data[t] as usize;
                                mask[data[t]][t] = 1.0;
                            }
                            Op::Bool1 {
                                out,
                                a: x,
                                mask,
                                data,
                                assign: false,
                            }
                        }
                        _ => {
                            let start = b.args.len();
                            b.args.extend(&ins);
                            Op::Table {
                                out,
                                table: ti,
                                args: (start, b.args.len()),
                            }
                        }
                    };
                    b.ops.push(op);
                    out
                }
                Node::Mux(s, cases) => {
                    if !arg_ok(s) || !cases.iter().all(arg_ok) {
                        return Err(GradError::Graph(format!("node {i}: argument out of order")));
                    }
                    let all: Vec<usize> = std::iter::once(s)
                        .chain(cases)
                        .map(|x| x.0 as usize)
                        .collect();
                    let dynamic = all.iter().any(|&x| b.nodes[map[x]].dynamic);
                    let ng = all.iter().any(|&x| b.nodes[map[x]].needs_grad);
                    let ins: Vec<usize> =
                        all.iter().map(|&x| b.widen(x, map[x], dynamic)).collect();
                    let out = b.node(size, dynamic, ng);
                    let start = b.args.len();
                    b.args.extend(&ins);
                    b.ops.push(Op::Mux {
                        out,
                        args: (start, b.args.len()),
                    });
                    out
                }
            };
            map.push(id);
        }
        let mut holes = vec![(usize::MAX, 0); g.holes.len()];
        for (i, nd) in g.nodes.iter().enumerate() {
            if let Node::Hole(h) = nd.node {
                if let Some(slot) = holes.get_mut(h.0 as usize) {
                    slot.0 = map[i];
                }
            }
        }
        let hole_sizes: Vec<usize> = g
            .holes
            .iter()
            .map(|h| g.domain(h.domain).size as usize)
            .collect();
        let mut dims = 0;
        for (slot, &size) in holes.iter_mut().zip(&hole_sizes) {
            if slot.0 == usize::MAX {
                // No node reads this hole: rows of its own, so that every parameter has a row;
                // its gradient stays 0.
                slot.0 = b.node(size, false, true);
            }
            slot.1 = dims;
            dims += size;
        }
        let Build {
            nodes, ops, args, ..
        } = b;
        let mut vals = vec![0f32; b.off];
        // Inputs and constants are one-hot and never change (nor do their broadcasts, which
        // are computed once here).
        for (i, nd) in g.nodes.iter().enumerate() {
            let k = nodes[map[i]];
            let w = stride(&k, r, e);
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
        let outputs = g
            .outputs
            .iter()
            .enumerate()
            .map(|(o, out)| {
                let col = ex.expected.get(o).cloned().unwrap_or_default();
                (map[out.node.0 as usize], col)
            })
            .collect();
        let costs = g
            .costs
            .iter()
            .map(|c| {
                (
                    map[c.node.0 as usize],
                    c.weights.iter().map(|&w| w as f32).collect(),
                    c.once,
                )
            })
            .collect();
        // The nodes' rows, then the sink's two.
        let vals_len = vals.len();
        let grads = vec![0f32; vals_len + 2 * r * e];
        let mut k = Kernel {
            r,
            e,
            n: r,
            nodes,
            ops,
            args,
            tables,
            vals,
            grads,
            holes,
            hole_sizes,
            dims,
            observations: g
                .observations
                .iter()
                .map(|o| map[o.node.0 as usize])
                .collect(),
            outputs,
            costs,
            weights: vec![1.0; r * e],
            loss: vec![0.0; r],
            eps,
            ln_eps: eps.ln(),
            cost_weight,
            scratch: Vec::new(),
            gzero: Vec::new(),
            obs_assign: Vec::new(),
            fused_ops: Vec::new(),
            plain_ops: Vec::new(),
            obs_fused: Vec::new(),
            fused_class: Vec::new(),
            gzrow: Vec::new(),
            zeros: vec![0.0; r * e],
            ones: vec![1.0; r * e],
            sink: vals_len,
            fplans: Vec::new(),
            one_hot: false,
            prod: vec![1.0; r + r * e],
            prod_exp: vec![0; r + r * e],
            prod_rows: [Vec::new(), Vec::new()],
            obs_rows: None,
            fused_product: false,
            dvals: Vec::new(),
            doffs: Vec::new(),
            dhole: Vec::new(),
            dfused: Vec::new(),
            dprog: Vec::new(),
            row: vec![0.0; r * e],
        };
        k.plan_grads();
        // What depends on no hole (constants, inputs and what is computed from them alone)
        // never changes: computed once, for every column.
        for i in 0..k.ops.len() {
            if !k.nodes[k.ops[i].out()].needs_grad {
                k.forward_op(i);
            }
        }
        // The discrete sweep's rows: constants and inputs (one-hot above) read back as
        // indices, once.
        let mut doff = 0;
        for node in &k.nodes {
            k.doffs.push(doff);
            doff += stride(node, r, e);
        }
        k.dvals = vec![u32::MAX; doff];
        k.dhole = vec![u32::MAX; k.nodes.len()];
        for (h, &(node, _)) in k.holes.iter().enumerate() {
            k.dhole[node] = h as u32;
        }
        // (After the sweep's rows are laid out: the fused ops' sweep reads them.)
        k.plan_fusion(true);
        for (i, node) in k.nodes.iter().enumerate() {
            if node.needs_grad {
                continue;
            }
            let w = stride(node, r, e);
            for b in 0..w {
                if let Some(v) = (0..node.size).find(|&v| k.vals[node.off + v * w + b] == 1.0) {
                    k.dvals[k.doffs[i] + b] = v as u32;
                }
            }
        }
        Ok(k)
    }

    /// Decides who initialises each gradient row, so that the rows need not all be zeroed
    /// before every backward pass (a pass over all of them that cost ~3% of a step). The
    /// writes of one pass, in order: the observation seeds, the output and cost seeds, then
    /// the ops' backward passes in reverse. The first write of a row assigns instead of
    /// adding (`0 + x`, so that even the sign of a zero is what the sum gave); a row nothing
    /// writes stays 0 from construction. Nodes whose rows are written piecemeal (output and
    /// cost seeds, generic tables, multiplexers, broadcasts), or whose rows would be
    /// initialised by different writers, are zeroed as before.
    fn plan_grads(&mut self) {
        let nn = self.nodes.len();
        let mut zero = vec![false; nn];
        for (node, _) in &self.outputs {
            zero[*node] = true;
        }
        for (node, _, _) in &self.costs {
            zero[*node] = true;
        }
        loop {
            // Rows written so far: `written[node] & (1 << v)` (zeroed nodes: all).
            let mut written: Vec<u64> = zero.iter().map(|&z| if z { !0 } else { 0 }).collect();
            let mut more = false;
            let mut obs_assign = Vec::with_capacity(self.observations.len());
            for &node in &self.observations {
                let k = self.nodes[node];
                if k.size < 2 || !k.needs_grad {
                    obs_assign.push(false);
                    continue;
                }
                obs_assign.push(written[node] & 2 == 0);
                written[node] |= 2;
            }
            for op in self.ops.iter_mut().rev() {
                if !self.nodes[op.out()].needs_grad {
                    continue;
                }
                // (argument, whether the op writes it whole).
                let mut args: Vec<(usize, Option<&mut bool>)> = Vec::new();
                match op {
                    Op::Bool2 { a, b, assign, .. } => {
                        let [aa, ab] = assign;
                        args.push((*a, Some(aa)));
                        args.push((*b, Some(ab)));
                    }
                    Op::Bool1 { a, assign, .. } => args.push((*a, Some(assign))),
                    Op::Table { args: (a0, a1), .. } | Op::Mux { args: (a0, a1), .. } => {
                        args.extend(self.args[*a0..*a1].iter().map(|&x| (x, None)));
                    }
                    Op::Broadcast { src, .. } => args.push((*src, None)),
                }
                for (x, flag) in args {
                    if !self.nodes[x].needs_grad {
                        continue;
                    }
                    // Two-valued: both rows (bits 0 and 1).
                    let w = written[x];
                    match flag {
                        Some(f) if self.nodes[x].size == 2 && w & 3 == 0 => *f = true,
                        Some(f) if self.nodes[x].size == 2 && w & 3 == 3 => *f = false,
                        _ if w == !0 => {
                            if let Some(f) = flag {
                                *f = false;
                            }
                        }
                        _ => {
                            zero[x] = true;
                            more = true;
                        }
                    }
                    written[x] = !0;
                }
            }
            if !more {
                self.obs_assign = obs_assign;
                self.gzrow = written.iter().map(|&w| !w).collect();
                break;
            }
        }
        // Output rows nothing reads: a `Bool2` computing a gradient-bearing value that is
        // only observed need not compute its row 0.
        let mut read = vec![0u64; nn];
        for op in &self.ops {
            match *op {
                Op::Bool2 { a, b, .. } => {
                    read[a] = !0;
                    read[b] = !0;
                }
                Op::Bool1 { a, .. } => read[a] = !0,
                Op::Table { args: (a0, a1), .. } | Op::Mux { args: (a0, a1), .. } => {
                    for &x in &self.args[a0..a1] {
                        read[x] = !0;
                    }
                }
                Op::Broadcast { src, .. } => read[src] = !0,
            }
        }
        for (node, _) in &self.outputs {
            read[*node] = !0;
        }
        for (node, _, _) in &self.costs {
            read[*node] = !0;
        }
        for &node in &self.observations {
            read[node] |= 2;
        }
        for op in &mut self.ops {
            if let Op::Bool2 { out, only1, .. } = op {
                *only1 = self.nodes[*out].needs_grad && read[*out] & 1 == 0;
            }
        }
        self.gzero = (0..nn)
            .filter(|&i| zero[i] && self.nodes[i].needs_grad)
            .collect();
    }

    /// The arguments of op `i`.
    fn op_args(&self, i: usize) -> Vec<usize> {
        match self.ops[i] {
            Op::Bool2 { a, b, .. } => vec![a, b],
            Op::Bool1 { a, .. } => vec![a],
            Op::Table { args: (a0, a1), .. } | Op::Mux { args: (a0, a1), .. } => {
                self.args[a0..a1].to_vec()
            }
            Op::Broadcast { src, .. } => vec![src],
        }
    }

    /// Chooses the `Bool2` and `Bool1` ops whose whole life in a step is one pass (`fused2`,
    /// `fused1`): an op whose
    /// output is observed once and read by nothing else (an observed comparison such as
    /// `observe a == b`, the bulk of a Boolean sketch's loss). Its forward pass, the seed of
    /// its output gradient and its backward pass into its arguments then run together in
    /// [`Kernel::compute_loss`], once every value is known, instead of in three passes (the
    /// output's gradient is never stored: nothing else reads it).
    ///
    /// The fused ops run in decreasing index, before the backward pass, so their writes to an
    /// argument's gradient rows come before those of the other ops. That is the order of the
    /// backward pass itself (decreasing index), and so bit for bit the same sums, as long as
    /// every fused writer of a node comes after all its other writers: an op that would break
    /// this (or whose argument also gets a seed of its own, as an observed, output or cost
    /// node) is not fused. `on = false`: nothing is fused (every op runs in the general
    /// passes; the results are the same).
    fn plan_fusion(&mut self, on: bool) {
        let nn = self.nodes.len();
        let mut reads = vec![0usize; nn];
        for i in 0..self.ops.len() {
            for x in self.op_args(i) {
                reads[x] += 1;
            }
        }
        let mut observed = vec![0usize; nn];
        for &node in &self.observations {
            observed[node] += 1;
        }
        // Outputs and costs: seeded (and zeroed) by the loss.
        let mut loss_node = vec![false; nn];
        for (node, _) in &self.outputs {
            loss_node[*node] = true;
        }
        for (node, _, _) in &self.costs {
            loss_node[*node] = true;
        }
        let seeded: Vec<bool> = (0..nn).map(|x| observed[x] > 0 || loss_node[x]).collect();
        let mut fused: Vec<bool> = (0..self.ops.len())
            .map(|i| {
                let out = self.ops[i].out();
                let ko = self.nodes[out];
                matches!(self.ops[i], Op::Bool2 { .. } | Op::Bool1 { .. })
                    && !matches!(self.ops[i], Op::Bool2 { a, b, .. } if a == b)
                    && on
                    && ko.needs_grad
                    && ko.size == 2
                    && reads[out] == 0
                    && observed[out] == 1
                    && !loss_node[out]
                    && self
                        .op_args(i)
                        .iter()
                        .all(|&x| !self.nodes[x].needs_grad || !seeded[x])
            })
            .collect();
        // Every fused writer of a node after all its other writers: un-fusing one op can
        // break the condition for others, so until nothing changes.
        loop {
            let mut last_plain = vec![None::<usize>; nn];
            for i in 0..self.ops.len() {
                if fused[i] || !self.nodes[self.ops[i].out()].needs_grad {
                    continue;
                }
                for x in self.op_args(i) {
                    last_plain[x] = last_plain[x].max(Some(i));
                }
            }
            let mut changed = false;
            for i in 0..self.ops.len() {
                if fused[i]
                    && self
                        .op_args(i)
                        .iter()
                        .any(|&x| self.nodes[x].needs_grad && last_plain[x] > Some(i))
                {
                    fused[i] = false;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let mut obs_of = vec![usize::MAX; nn];
        for (o, &node) in self.observations.iter().enumerate() {
            obs_of[node] = o;
        }
        self.fused_ops.clear();
        self.obs_fused = vec![usize::MAX; self.observations.len()];
        for i in (0..self.ops.len()).rev() {
            if fused[i] {
                self.obs_fused[obs_of[self.ops[i].out()]] = self.fused_ops.len();
                self.fused_ops.push(i);
            }
        }
        self.fused_class = vec![(true, true); self.fused_ops.len()];
        self.fplans = self.fused_ops.iter().map(|&i| self.fplan(i)).collect();
        let mut rows = [Vec::new(), Vec::new()];
        let mut all = true;
        for (o, &node) in self.observations.iter().enumerate() {
            let k = self.nodes[node];
            if k.size >= 2 {
                all &= self.obs_fused[o] != usize::MAX;
                let w = if k.dynamic { self.r * self.e } else { self.r };
                rows[k.dynamic as usize].push(k.off + w);
            }
        }
        self.obs_rows = all.then_some(rows);
        self.plan_sweep();
        self.plain_ops = (0..self.ops.len())
            .filter(|&i| self.nodes[self.ops[i].out()].needs_grad && !fused[i])
            .collect();
    }

    /// The rows of fused op `i` (see [`FPlan`]).
    fn fplan(&self, i: usize) -> FPlan {
        let out = self.ops[i].out();
        let ko = self.nodes[out];
        let w = if ko.dynamic { self.r * self.e } else { self.r };
        // An argument's two value rows, and its two gradient rows (the sink's when it takes
        // no gradient).
        let rows = |x: usize| {
            let k = self.nodes[x];
            let g = if k.needs_grad { k.off } else { self.sink };
            ([k.off, k.off + w], g)
        };
        let (x, g, kind) = match self.ops[i] {
            Op::Bool2 {
                a, b, mask, assign, ..
            } => {
                let ((xa, ga), (xb, gb)) = (rows(a), rows(b));
                let keep = assign.map(|f| if f { 0 } else { !0 });
                let kind = FKind::Bool2 { mask, keep };
                ([xa[0], xa[1], xb[0], xb[1]], [ga, gb], kind)
            }
            Op::Bool1 {
                a,
                mask,
                data,
                assign,
                ..
            } => {
                let (xa, ga) = rows(a);
                let kind = FKind::Bool1 {
                    m1: mask[1],
                    e: data.map(|v| v == 1),
                    keep: if assign { 0 } else { !0 },
                };
                ([xa[0], xa[1], 0, 0], [ga, 0], kind)
            }
            _ => unreachable!("only Bool1 and Bool2 ops are fused"),
        };
        FPlan {
            x,
            g,
            w,
            o1: ko.off + w,
            dynamic: ko.dynamic,
            kind,
        }
    }

    /// Fuses the observed comparisons (`Kernel::plan_fusion`; the default) or runs every op
    /// through the general forward and backward passes. The results are bit for bit the same
    /// either way: this is for tests and measurements.
    pub fn set_fusion(&mut self, on: bool) {
        self.plan_fusion(on);
    }

    /// The fused ops as the discrete sweep runs them (see `dfused`).
    fn plan_sweep(&mut self) {
        let r = self.r;
        let row = |x: usize| match self.dhole[x] {
            u32::MAX => DRow {
                hole: false,
                off: self.doffs[x],
            },
            h => DRow {
                hole: true,
                off: h as usize * r,
            },
        };
        self.dfused = self
            .fused_ops
            .iter()
            .rev()
            .map(|&i| match self.ops[i] {
                Op::Bool2 {
                    out, a, b, data, ..
                } => DFused {
                    unary: false,
                    args: [row(a), row(b)],
                    vmask: vmask(&data),
                    dynamic: self.nodes[out].dynamic,
                },
                Op::Bool1 { out, a, data, .. } => DFused {
                    unary: true,
                    args: [row(a), row(a)],
                    vmask: vmask(&data),
                    dynamic: self.nodes[out].dynamic,
                },
                _ => unreachable!("only Bool1 and Bool2 ops are fused"),
            })
            .collect();
    }

    /// How many ops run fused ([`Kernel::set_fusion`]).
    pub fn fused_ops(&self) -> usize {
        self.fused_ops.len()
    }

    /// Restarts (columns).
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
    /// Promises (or withdraws the promise) that every hole distribution the driver sets is
    /// one-hot, as the discrete methods' are. Then every value the forward pass computes is
    /// exactly 0 or 1 (products and sums of one-hot rows, one term at most per value), and the
    /// loss skips the tests and divisions it would otherwise make per value, with exactly the
    /// same results.
    pub fn set_one_hot(&mut self, one_hot: bool) {
        self.one_hot = one_hot;
    }
    /// Computes only the first `n` restart columns from now on (`n ≤ R`).
    pub fn set_active(&mut self, n: usize) {
        assert!(n <= self.r, "{n} active columns of {}", self.r);
        self.n = n;
    }
    /// The number of active restart columns.
    pub fn active(&self) -> usize {
        self.n
    }
    /// Example weights, `[c · E + e]` (all 1 unless changed).
    pub fn weights_mut(&mut self) -> &mut [f32] {
        &mut self.weights
    }
    /// Swaps the per-column state of columns `a` and `b`: the example weights and the hole
    /// distributions (which a driver may set for the next step before it moves columns).
    pub fn swap_columns(&mut self, a: usize, b: usize) {
        let (r, e) = (self.r, self.e);
        for ei in 0..e {
            self.weights.swap(a * e + ei, b * e + ei);
        }
        for &(node, _) in &self.holes {
            let k = self.nodes[node];
            for v in 0..k.size {
                self.vals.swap(k.off + v * r + a, k.off + v * r + b);
            }
        }
    }
    /// The loss of every active column from the last [`Kernel::forward`].
    pub fn loss(&self) -> &[f32] {
        &self.loss[..self.n]
    }
    /// The distribution rows of hole `h`, `[v · R + c]` (column layout; columns beyond the
    /// active ones are ignored).
    pub fn hole_vals_mut(&mut self, h: usize) -> &mut [f32] {
        let (node, _) = self.holes[h];
        let k = self.nodes[node];
        &mut self.vals[k.off..k.off + k.size * self.r]
    }
    /// The distribution rows of hole `h`, as [`Kernel::hole_vals_mut`].
    pub fn hole_vals(&self, h: usize) -> &[f32] {
        let (node, _) = self.holes[h];
        let k = self.nodes[node];
        &self.vals[k.off..k.off + k.size * self.r]
    }
    /// The distribution rows of hole `h` (as [`Kernel::hole_vals_mut`]) and their gradient
    /// rows (as [`Kernel::hole_grads`]) at once.
    #[inline]
    pub fn hole_rows_mut(&mut self, h: usize) -> (&mut [f32], &[f32]) {
        let (node, _) = self.holes[h];
        let k = self.nodes[node];
        let rows = k.off..k.off + k.size * self.r;
        (&mut self.vals[rows.clone()], &self.grads[rows])
    }
    /// `∂loss_c/∂p(hole h = v)` of the last [`Kernel::backward_rows`], `[v · R + c]`.
    pub fn hole_grads(&self, h: usize) -> &[f32] {
        let (node, _) = self.holes[h];
        let k = self.nodes[node];
        &self.grads[k.off..k.off + k.size * self.r]
    }

    /// Sets every hole's distribution from `probs` (parameter layout, `R × D`).
    pub fn set_holes(&mut self, probs: &[f32]) {
        let (r, d) = (self.r, self.dims);
        for h in 0..self.holes.len() {
            let poff = self.holes[h].1;
            let size = self.hole_sizes[h];
            let rows = self.hole_vals_mut(h);
            for v in 0..size {
                for ri in 0..r {
                    rows[v * r + ri] = probs[ri * d + poff + v];
                }
            }
        }
    }

    /// The backward pass of the last forward pass: writes `∂loss_r/∂p(hole = v)` into `grad`
    /// (parameter layout, `R × D`; rows of inactive columns are left alone).
    pub fn backward(&mut self, grad: &mut [f32]) {
        self.backward_rows();
        let (r, d, n) = (self.r, self.dims, self.n);
        for h in 0..self.holes.len() {
            let poff = self.holes[h].1;
            let rows = self.hole_grads(h);
            for v in 0..self.hole_sizes[h] {
                for ri in 0..n {
                    grad[ri * d + poff + v] = rows[v * r + ri];
                }
            }
        }
    }

    /// The forward pass over the active columns; returns their losses.
    pub fn forward(&mut self) -> &[f32] {
        self.forward_simd();
        &self.loss[..self.n]
    }

    fn forward_simd(&mut self) {
        widest_simd!(Kernel::forward_body, (k: &mut Kernel = self) -> ())
    }

    #[inline(always)]
    fn forward_body(&mut self) {
        // What does not depend on a hole was computed once, in `new`; the fused ops run in
        // `compute_loss`.
        for j in 0..self.plain_ops.len() {
            self.forward_op(self.plain_ops[j]);
        }
        self.compute_loss();
    }

    #[inline(always)]
    fn forward_op(&mut self, i: usize) {
        {
            match self.ops[i] {
                Op::Bool2 {
                    out,
                    a,
                    b,
                    mask,
                    only1,
                    ..
                } => {
                    let (len, w) = self.len_stride(out);
                    let (ka, kb, ko) = (self.nodes[a], self.nodes[b], self.nodes[out]);
                    let (lo, hi) = self.vals.split_at_mut(ko.off);
                    let (o0, o1) = hi.split_at_mut(w);
                    let (o0, o1) = (&mut o0[..len], &mut o1[..len]);
                    let x0 = &lo[ka.off..ka.off + len];
                    let x1 = &lo[ka.off + w..ka.off + w + len];
                    let y0 = &lo[kb.off..kb.off + len];
                    let y1 = &lo[kb.off + w..kb.off + w + len];
                    bool2_forward(mask, only1, [x0, x1, y0, y1], o0, o1);
                }
                Op::Bool1 {
                    out, a, ref mask, ..
                } => {
                    let (len, w) = self.len_stride(out);
                    let (ka, ko) = (self.nodes[a], self.nodes[out]);
                    let (lo, hi) = self.vals.split_at_mut(ko.off);
                    let (o0, o1) = hi.split_at_mut(w);
                    let (o0, o1) = (&mut o0[..len], &mut o1[..len]);
                    let x0 = &lo[ka.off..ka.off + len];
                    let x1 = &lo[ka.off + w..ka.off + w + len];
                    let [m0, m1] = *mask;
                    for c in 0..len {
                        o0[c] = 0.0 + m0[0] * x0[c] + m0[1] * x1[c];
                        o1[c] = 0.0 + m1[0] * x0[c] + m1[1] * x1[c];
                    }
                }
                Op::Table {
                    out,
                    table,
                    args: (a0, a1),
                } => {
                    let (len, w) = self.len_stride(out);
                    let ko = self.nodes[out];
                    let (lo, hi) = self.vals.split_at_mut(ko.off);
                    for v in 0..ko.size {
                        hi[v * w..v * w + len].fill(0.0);
                    }
                    let t = &self.tables[table];
                    let args = &self.args[a0..a1];
                    let rows = &mut self.scratch;
                    rows.clear();
                    rows.resize(args.len(), 0);
                    for (ti, &o) in t.data.iter().enumerate() {
                        let combo = &t.combos[ti * t.arity..(ti + 1) * t.arity];
                        for (j, (&a, &c)) in args.iter().zip(combo).enumerate() {
                            rows[j] = self.nodes[a].off + c as usize * w;
                        }
                        let dst = &mut hi[o as usize * w..o as usize * w + len];
                        product_into(dst, rows, lo);
                    }
                }
                Op::Mux {
                    out,
                    args: (a0, a1),
                } => {
                    let (len, w) = self.len_stride(out);
                    let ko = self.nodes[out];
                    let (lo, hi) = self.vals.split_at_mut(ko.off);
                    for v in 0..ko.size {
                        hi[v * w..v * w + len].fill(0.0);
                    }
                    let sel = self.nodes[self.args[a0]];
                    for (c, &cn) in self.args[a0 + 1..a1].iter().enumerate() {
                        let cn = self.nodes[cn];
                        let srow = &lo[sel.off + c * w..sel.off + c * w + len];
                        for v in 0..ko.size {
                            let crow = &lo[cn.off + v * w..cn.off + v * w + len];
                            let dst = &mut hi[v * w..v * w + len];
                            for ((d, s), x) in dst.iter_mut().zip(srow).zip(crow) {
                                *d += s * x;
                            }
                        }
                    }
                }
                Op::Broadcast { out, src } => self.broadcast(out, src),
            }
        }
    }

    /// The fused ops ([`Kernel::plan_fusion`]), in decreasing index: each computes its row
    /// of "true", the seed of its gradient and its backward pass into its arguments in one
    /// pass (`fused2`, `fused1`), and records what [`classify`] says of the row. A function
    /// of its own (compiled for the widest vector instructions), so that its loops get the
    /// registers to themselves: inlined in the forward pass, a third of each op's set-up was
    /// spills.
    fn run_fused(&mut self) {
        widest_simd!(Kernel::run_fused_body, (k: &mut Kernel = self) -> ())
    }

    #[inline(always)]
    fn run_fused_body(&mut self) {
        let (eps, one_hot) = (self.eps, self.one_hot);
        let d = [bce_grad(0.0, eps), bce_grad(1.0, eps)];
        let mut product = true;
        for (slot, f) in self.fplans.iter().enumerate() {
            let len = if f.dynamic { self.n * self.e } else { self.n };
            // A static row's seed is multiplied by ones: exactly the unweighted seed.
            let wt = if f.dynamic {
                &self.weights[..len]
            } else {
                &self.ones[..len]
            };
            // The arguments' rows come before the output's.
            let (lo, hi) = self.vals.split_at_mut(f.o1);
            let o1 = &mut hi[..len];
            let x = |j: usize| &lo[f.x[j]..f.x[j] + len];
            let class = match f.kind {
                FKind::Bool1 { m1, e, keep } => {
                    let (g0, g1) = two_rows(&mut self.grads, f.g[0], f.w, len);
                    let c = Fused {
                        keep: [keep, 0],
                        eps,
                        d,
                    };
                    if one_hot {
                        fused1::<true>(c, m1, e, x(0), x(1), wt, o1, g0, g1)
                    } else {
                        fused1::<false>(c, m1, e, x(0), x(1), wt, o1, g0, g1)
                    }
                }
                FKind::Bool2 { mask, keep } => {
                    // Distinct nodes (or the sink), so disjoint pairs of rows.
                    let (gl, gh) = self.grads.split_at_mut(f.g[0].max(f.g[1]));
                    let (ga, gb) = if f.g[0] < f.g[1] {
                        (&mut gl[f.g[0]..], gh)
                    } else {
                        (gh, &mut gl[f.g[1]..])
                    };
                    let (ga0, ga1) = two_rows(ga, 0, f.w, len);
                    let (gb0, gb1) = two_rows(gb, 0, f.w, len);
                    let c = Fused { keep, eps, d };
                    let (x0, x1, y0, y1) = (x(0), x(1), x(2), x(3));
                    macro_rules! dispatch {
                        ($($t:literal)*) => {
                            match (mask, one_hot) {
                                $(($t, false) => fused2::<$t, false>(
                                    c, x0, x1, y0, y1, wt, o1, ga0, ga1, gb0, gb1,
                                ),)*
                                $(($t, true) => fused2::<$t, true>(
                                    c, x0, x1, y0, y1, wt, o1, ga0, ga1, gb0, gb1,
                                ),)*
                                _ => unreachable!("a 2×2 Boolean table is a number below 16"),
                            }
                        };
                    }
                    dispatch!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
                }
            };
            self.fused_class[slot] = class;
            product &= class.0 && !class.1;
        }
        self.fused_product = product;
    }

    /// (active length, stride) of a node's rows.
    #[inline(always)]
    fn len_stride(&self, node: usize) -> (usize, usize) {
        if self.nodes[node].dynamic {
            (self.n * self.e, self.r * self.e)
        } else {
            (self.n, self.r)
        }
    }

    #[inline(always)]
    fn broadcast(&mut self, out: usize, src: usize) {
        let (r, e, n) = (self.r, self.e, self.n);
        let (ks, ko) = (self.nodes[src], self.nodes[out]);
        let (lo, hi) = self.vals.split_at_mut(ko.off);
        for v in 0..ko.size {
            let s = &lo[ks.off + v * r..ks.off + v * r + n];
            let d = &mut hi[v * r * e..v * r * e + n * e];
            for (blk, &x) in d.chunks_exact_mut(e).zip(s) {
                blk.fill(x);
            }
        }
    }

    /// The loss terms, and the gradient seeds for the backward pass.
    #[inline(always)]
    fn compute_loss(&mut self) {
        let (r, e, n, eps) = (self.r, self.e, self.n, self.eps);
        for &node in &self.gzero {
            let k = self.nodes[node];
            let (len, w) = if k.dynamic { (n * e, r * e) } else { (n, r) };
            for v in 0..k.size {
                self.grads[k.off + v * w..k.off + v * w + len].fill(0.0);
            }
        }
        self.run_fused();
        let loss = &mut self.loss[..n];
        loss.fill(0.0);
        let fast = eps >= f32::MIN_POSITIVE;
        // −Σ ln p over many rows is −ln Π p: the probabilities of rows that are not exactly
        // 0/1 are multiplied into running products (per column for static observations, per
        // column × example for the others), kept normal by moving their exponent into an
        // integer after every second factor, and one `ln` per product is taken at the end
        // instead of one per probability. Only for unit example weights (a weighted sum is
        // not the log of a product) and finite probabilities; otherwise row by row.
        let unit = self.weights[..n * e].iter().all(|&w| w == 1.0);
        let lnrow = &mut self.row;
        let (ps, pd) = self.prod.split_at_mut(r);
        let (ps, pd) = (&mut ps[..n], &mut pd[..n * e]);
        let (es, ed) = self.prod_exp.split_at_mut(r);
        let (es, ed) = (&mut es[..n], &mut ed[..n * e]);
        let [mut rows_s, mut rows_d] = std::mem::take(&mut self.prod_rows);
        rows_s.clear();
        rows_d.clear();
        // Two factors of at least eps stay normal (times [1, 2)) down to eps = 1e-18.
        let every = if eps >= 1e-18 { 2 } else { 1 };
        // Every observation fused, and every fused row bound for the products: their rows are
        // known, and the loop below has nothing to do.
        let shortcut = self.fused_product
            && fast
            && (self.obs_rows.as_ref()).is_some_and(|r| unit || r[1].is_empty());
        let obs = if shortcut { 0 } else { self.observations.len() };
        for (o, (&node, &assign)) in self.observations[..obs]
            .iter()
            .zip(&self.obs_assign)
            .enumerate()
        {
            let k = self.nodes[node];
            if k.size < 2 {
                continue;
            }
            let (len, w) = if k.dynamic { (n * e, r * e) } else { (n, r) };
            let p = &self.vals[k.off + w..k.off + w + len];
            // The seed of the gradient, and the row's class, in one pass (a fused op's, in
            // `run_fused`).
            let slot = self.obs_fused[o];
            let (finite, exact) = if slot != usize::MAX {
                self.fused_class[slot]
            } else if k.needs_grad && self.one_hot {
                // Every value is exactly 0 or 1 (see `set_one_hot`): the seed takes one of two
                // values, computed once by the same function, and the row is exact.
                let g = &mut self.grads[k.off + w..k.off + w + len];
                let wt = &self.weights[..len];
                let d = [bce_grad(0.0, eps), bce_grad(1.0, eps)];
                match (k.dynamic, assign) {
                    (true, true) => seed_one_hot::<true, true>(g, p, wt, d),
                    (true, false) => seed_one_hot::<true, false>(g, p, wt, d),
                    (false, true) => seed_one_hot::<false, true>(g, p, wt, d),
                    (false, false) => seed_one_hot::<false, false>(g, p, wt, d),
                }
                (true, true)
            } else if self.one_hot {
                (true, true)
            } else if k.needs_grad {
                let g = &mut self.grads[k.off + w..k.off + w + len];
                let wt = &self.weights[..len];
                match (k.dynamic, assign) {
                    (true, true) => seed_classify::<true, true>(g, p, wt, eps),
                    (true, false) => seed_classify::<true, false>(g, p, wt, eps),
                    (false, true) => seed_classify::<false, true>(g, p, wt, eps),
                    (false, false) => seed_classify::<false, false>(g, p, wt, eps),
                }
            } else {
                classify(p, eps)
            };
            if !exact && fast && finite && (unit || !k.dynamic) {
                // Multiplied in after this loop, all rows at once (see `products`).
                if k.dynamic { &mut rows_d } else { &mut rows_s }.push(k.off + w);
                continue;
            }
            if exact && !k.dynamic {
                // One-hot values (the discrete methods): −ln 1 = 0 or −ln eps, straight into
                // the loss (what the general path below computes, without the row between).
                let ln_eps = self.ln_eps;
                for (l, &x) in loss.iter_mut().zip(p) {
                    *l -= if x == 1.0 { 0.0 } else { ln_eps };
                }
                continue;
            }
            let ln = &mut lnrow[..len];
            ln_clamped(p, eps, self.ln_eps, fast, (finite, exact), ln);
            if k.dynamic {
                let wt = &self.weights[..len];
                for c in 0..n {
                    for ei in 0..e {
                        loss[c] -= wt[c * e + ei] * ln[c * e + ei];
                    }
                }
            } else {
                for (l, &x) in loss.iter_mut().zip(ln.iter()) {
                    *l -= x;
                }
            }
        }
        let (ls, ld) = match &self.obs_rows {
            Some(rows) if shortcut => (&rows[0][..], &rows[1][..]),
            _ => (&rows_s[..], &rows_d[..]),
        };
        if !ls.is_empty() {
            products(&self.vals, ls, eps, every, ps, es);
            renormalise(ps, es);
            for ((l, &m), &x) in loss.iter_mut().zip(ps.iter()).zip(es.iter()) {
                *l -= ln_product(m, x);
            }
        }
        if !ld.is_empty() {
            products(&self.vals, ld, eps, every, pd, ed);
            renormalise(pd, ed);
            for (c, l) in loss.iter_mut().enumerate() {
                for ei in c * e..(c + 1) * e {
                    *l -= ln_product(pd[ei], ed[ei]);
                }
            }
        }
        self.prod_rows = [rows_s, rows_d];
        for (node, expected) in &self.outputs {
            let k = self.nodes[*node];
            let w = if k.dynamic { r * e } else { r };
            for c in 0..n {
                for (ei, x) in expected.iter().enumerate() {
                    let Some(v) = *x else { continue };
                    let b = if k.dynamic { c * e + ei } else { c };
                    let wt = self.weights[c * e + ei];
                    let idx = k.off + v as usize * w + b;
                    let raw = self.vals[idx];
                    let p = raw.max(eps);
                    let ln = if p == 1.0 {
                        0.0
                    } else if p == eps {
                        self.ln_eps
                    } else {
                        p.ln()
                    };
                    loss[c] -= wt * ln;
                    if k.needs_grad {
                        self.grads[idx] -= wt * bce_grad(raw, eps);
                    }
                }
            }
        }
        if self.cost_weight != 0.0 {
            for (node, weights, once) in &self.costs {
                let k = self.nodes[*node];
                let w = if k.dynamic { r * e } else { r };
                let es = if k.dynamic { e } else { 1 };
                // A static per-example cost counts once per example.
                let mult = if !k.dynamic && !once { e as f32 } else { 1.0 };
                for (v, &cw) in weights.iter().enumerate().take(k.size) {
                    let cst = self.cost_weight * cw * mult;
                    for c in 0..n {
                        for ei in 0..es {
                            let idx = k.off + v * w + c * es + ei;
                            loss[c] += cst * self.vals[idx];
                            if k.needs_grad {
                                self.grads[idx] += cst;
                            }
                        }
                    }
                }
            }
        }
    }

    /// [`Kernel::violations`] of the columns `cols` (ascending, active) only: `out[j]` is
    /// column `cols[j]`'s count. Their programs are gathered into the first columns and the
    /// sweep runs over those alone (every column reads the same inputs and constants, so a
    /// program's verdict does not depend on its column).
    pub fn violations_of(&mut self, prog: &[u32], cols: &[usize], out: &mut [u32]) {
        let r = self.r;
        let mut g = std::mem::take(&mut self.dprog);
        g.resize(self.holes.len() * r, 0);
        for (dst, src) in g
            .chunks_exact_mut(r.max(1))
            .zip(prog.chunks_exact(r.max(1)))
        {
            for (d, &c) in dst.iter_mut().zip(cols) {
                *d = src[c];
            }
        }
        let n = self.n;
        self.n = cols.len();
        self.violations(&g, out);
        self.n = n;
        self.dprog = g;
    }

    /// The discrete sweep: runs the program `prog` (hole `h`'s value for column `c` at
    /// `prog[h · R + c]`) on every example, exactly, for every active column at once, and
    /// writes into `out[c]` how many observations and expected outputs it violates (an
    /// undefined value, such as a multiplexer selecting none of its cases, counts as no
    /// violation, so that `0` never rules out a program the exact evaluator would accept).
    /// A cheap filter before [`weft_ir::Evaluator::passes_all`], which stays the judge.
    pub fn violations(&mut self, prog: &[u32], out: &mut [u32]) {
        widest_simd!(Kernel::violations_body, (
            k: &mut Kernel = self,
            prog: &[u32] = prog,
            out: &mut [u32] = out,
        ) -> ())
    }

    #[inline(always)]
    fn violations_body(&mut self, prog: &[u32], out: &mut [u32]) {
        let (r, e, n) = (self.r, self.e, self.n);
        let out = &mut out[..n];
        out.fill(0);
        // A hole's row is read straight from `prog`; every other node's from `dvals`.
        let hole_of = &self.dhole;
        // The ops that depend on a hole, but for the fused ones: their rows.
        for &i in &self.plain_ops {
            let node = self.ops[i].out();
            let len = if self.nodes[node].dynamic { n * e } else { n };
            let (lo, hi) = self.dvals.split_at_mut(self.doffs[node]);
            // The first `len` values of an argument's row (`len` by default).
            macro_rules! src {
                ($x:expr) => {
                    src!($x, len)
                };
                ($x:expr, $len:expr) => {
                    match hole_of[$x] {
                        u32::MAX => &lo[self.doffs[$x]..][..$len],
                        h => &prog[h as usize * r..][..$len],
                    }
                };
            }
            match self.ops[i] {
                Op::Bool2 { a, b, data, .. } => {
                    let (x, y): (&[u32], &[u32]) = (src!(a), src!(b));
                    let t = data.map(|v| v as u32);
                    for ((d, &x), &y) in hi[..len].iter_mut().zip(x).zip(y) {
                        *d = bool2_value(t, x, y);
                    }
                }
                Op::Bool1 { a, data, .. } => {
                    let x: &[u32] = src!(a);
                    let t = [data[0] as u32, data[1] as u32, 0, 0];
                    for (d, &x) in hi[..len].iter_mut().zip(x) {
                        *d = bool1_value(t, x);
                    }
                }
                Op::Table {
                    table,
                    args: (a0, a1),
                    ..
                } => {
                    let t = &self.tables[table];
                    let args = &self.args[a0..a1];
                    for (b, d) in hi[..len].iter_mut().enumerate() {
                        let mut idx = 0usize;
                        let mut ok = true;
                        for &a in args {
                            let v = src!(a)[b];
                            let size = self.nodes[a].size;
                            ok &= (v as usize) < size;
                            idx = idx * size + v as usize;
                        }
                        *d = if ok {
                            t.data.get(idx).copied().unwrap_or(u32::MAX)
                        } else {
                            u32::MAX
                        };
                    }
                }
                Op::Mux { args: (a0, a1), .. } => {
                    let sel: &[u32] = src!(self.args[a0]);
                    let cases = &self.args[a0 + 1..a1];
                    for (b, d) in hi[..len].iter_mut().enumerate() {
                        *d = match cases.get(sel[b] as usize) {
                            Some(&cn) => src!(cn)[b],
                            None => u32::MAX,
                        };
                    }
                }
                Op::Broadcast { src: s, .. } => {
                    let s: &[u32] = src!(s, n);
                    for (blk, &x) in hi[..len].chunks_exact_mut(e).zip(s) {
                        blk.fill(x);
                    }
                }
            }
        }
        // The fused ops (observed, read by nothing else; see `plan_fusion`): only their
        // violations count, from rows resolved once (`dfused`), without writing their own.
        // The static ones all at once per block of columns (see `count_fused`); the last
        // block reads past the active columns when the rows have room (every row has `r`),
        // and only the active columns' counts are kept.
        let mut c = 0;
        while c + 32 <= n {
            count_fused::<32>(&self.dfused, prog, &self.dvals, c, &mut out[c..c + 32]);
            c += 32;
        }
        while c < n {
            let take = (n - c).min(16);
            if take > 8 && c + 16 <= r {
                count_fused::<16>(&self.dfused, prog, &self.dvals, c, &mut out[c..c + take]);
                c += take;
            } else if c + 8 <= r {
                let take = take.min(8);
                count_fused::<8>(&self.dfused, prog, &self.dvals, c, &mut out[c..c + take]);
                c += take;
            } else {
                count_fused::<1>(&self.dfused, prog, &self.dvals, c, &mut out[c..c + 1]);
                c += 1;
            }
        }
        // The dynamic ones op by op: `e` values per column.
        for f in self.dfused.iter().filter(|f| f.dynamic) {
            let src = |d: DRow| -> &[u32] {
                let buf = if d.hole { prog } else { &self.dvals };
                &buf[d.off..][..n * e]
            };
            let (x, y) = (src(f.args[0]), src(f.args[1]));
            for (o, (xs, ys)) in out.iter_mut().zip(x.chunks_exact(e).zip(y.chunks_exact(e))) {
                for (&x, &y) in xs.iter().zip(ys) {
                    *o += if f.unary {
                        violated1(f.vmask, x)
                    } else {
                        violated2(f.vmask, x, y)
                    };
                }
            }
        }
        let row = |node: usize| -> &[u32] {
            match hole_of[node] {
                u32::MAX => &self.dvals[self.doffs[node]..],
                h => &prog[h as usize * r..],
            }
        };
        for (o, &node) in self.observations.iter().enumerate() {
            let k = self.nodes[node];
            if k.size < 2 || self.obs_fused[o] != usize::MAX {
                continue;
            }
            count_violations(
                out,
                e,
                k.dynamic,
                &row(node)[..if k.dynamic { n * e } else { n }],
            );
        }
        for (node, expected) in &self.outputs {
            let k = self.nodes[*node];
            let row = row(*node);
            for (c, o) in out.iter_mut().enumerate() {
                for (ei, x) in expected.iter().enumerate() {
                    let Some(want) = *x else { continue };
                    let v = row[if k.dynamic { c * e + ei } else { c }];
                    *o += (v != u32::MAX && v != want) as u32;
                }
            }
        }
    }

    /// The backward pass of the last forward pass over the active columns; read the result
    /// with [`Kernel::hole_grads`].
    pub fn backward_rows(&mut self) {
        widest_simd!(Kernel::backward_body, (k: &mut Kernel = self) -> ())
    }

    #[inline(always)]
    fn backward_body(&mut self) {
        let (r, e, n) = (self.r, self.e, self.n);
        // (A fused op's backward pass ran with its forward pass, in `compute_loss`.)
        for j in (0..self.plain_ops.len()).rev() {
            let i = self.plain_ops[j];
            let out = self.ops[i].out();
            let ko = self.nodes[out];
            let (len, w) = self.len_stride(out);
            let (glo, ghi) = self.grads.split_at_mut(ko.off);
            let gout = &ghi[..ko.size * w];
            let vals = &self.vals;
            match self.ops[i] {
                Op::Bool2 {
                    a, b, data, assign, ..
                } => {
                    let (ka, kb) = (self.nodes[a], self.nodes[b]);
                    let x0 = &vals[ka.off..ka.off + len];
                    let x1 = &vals[ka.off + w..ka.off + w + len];
                    let y0 = &vals[kb.off..kb.off + len];
                    let y1 = &vals[kb.off + w..kb.off + w + len];
                    // The output gradient of each table entry (a row never written is 0).
                    let zero = self.gzrow[out];
                    let g = |t: usize| {
                        if zero >> data[t] & 1 == 1 {
                            &self.zeros[..len]
                        } else {
                            &gout[data[t] * w..data[t] * w + len]
                        }
                    };
                    let (g0, g1, g2, g3) = (g(0), g(1), g(2), g(3));
                    if ka.needs_grad && kb.needs_grad {
                        // One pass for both arguments (distinct nodes, so disjoint rows).
                        let (gl, gh) = glo.split_at_mut(ka.off.max(kb.off));
                        let (ga, gb) = if ka.off < kb.off {
                            (&mut gl[ka.off..], &mut gh[..])
                        } else {
                            (&mut gh[..], &mut gl[kb.off..])
                        };
                        let (ga0, ga1) = two_rows(ga, 0, w, len);
                        let (gb0, gb1) = two_rows(gb, 0, w, len);
                        let (gs, xy) = ([g0, g1, g2, g3], [x0, x1, y0, y1]);
                        match assign {
                            [false, false] => {
                                bool2_back2::<false, false>(gs, xy, ga0, ga1, gb0, gb1)
                            }
                            [false, true] => bool2_back2::<false, true>(gs, xy, ga0, ga1, gb0, gb1),
                            [true, false] => bool2_back2::<true, false>(gs, xy, ga0, ga1, gb0, gb1),
                            [true, true] => bool2_back2::<true, true>(gs, xy, ga0, ga1, gb0, gb1),
                        }
                    } else if ka.needs_grad {
                        let (ga0, ga1) = two_rows(glo, ka.off, w, len);
                        if assign[0] {
                            bool2_back1::<true>([g0, g1, g2, g3], [y0, y1], ga0, ga1);
                        } else {
                            bool2_back1::<false>([g0, g1, g2, g3], [y0, y1], ga0, ga1);
                        }
                    } else if kb.needs_grad {
                        let (gb0, gb1) = two_rows(glo, kb.off, w, len);
                        // The same with the roles of the arguments exchanged: entries 1, 2.
                        if assign[1] {
                            bool2_back1::<true>([g0, g2, g1, g3], [x0, x1], gb0, gb1);
                        } else {
                            bool2_back1::<false>([g0, g2, g1, g3], [x0, x1], gb0, gb1);
                        }
                    }
                }
                Op::Bool1 {
                    a, data, assign, ..
                } => {
                    let ka = self.nodes[a];
                    if ka.needs_grad {
                        let g0 = &gout[data[0] * w..data[0] * w + len];
                        let g1 = &gout[data[1] * w..data[1] * w + len];
                        let (ga0, ga1) = two_rows(glo, ka.off, w, len);
                        let base = |x: f32| if assign { 0.0 } else { x };
                        for c in 0..len {
                            ga0[c] = base(ga0[c]) + g0[c];
                            ga1[c] = base(ga1[c]) + g1[c];
                        }
                    }
                }
                Op::Table {
                    table,
                    args: (a0, a1),
                    ..
                } => {
                    let t = &self.tables[table];
                    let args = &self.args[a0..a1];
                    let rows = &mut self.scratch;
                    rows.clear();
                    rows.resize(args.len(), 0);
                    for (ti, &o) in t.data.iter().enumerate() {
                        let combo = &t.combos[ti * t.arity..(ti + 1) * t.arity];
                        for (j, (&a, &c)) in args.iter().zip(combo).enumerate() {
                            rows[j] = self.nodes[a].off + c as usize * w;
                        }
                        let go = &gout[o as usize * w..o as usize * w + len];
                        for (j, &a) in args.iter().enumerate() {
                            if self.nodes[a].needs_grad {
                                apply_backward(go, rows, j, vals, glo);
                            }
                        }
                    }
                }
                Op::Mux { args: (a0, a1), .. } => {
                    let sel = self.nodes[self.args[a0]];
                    for (c, &cn) in self.args[a0 + 1..a1].iter().enumerate() {
                        let cn = self.nodes[cn];
                        let srow = sel.off + c * w;
                        for v in 0..ko.size {
                            let crow = cn.off + v * w;
                            let go = &gout[v * w..v * w + len];
                            let rows = [srow, crow];
                            if sel.needs_grad {
                                apply_backward(go, &rows, 0, vals, glo);
                            }
                            if cn.needs_grad {
                                apply_backward(go, &rows, 1, vals, glo);
                            }
                        }
                    }
                }
                Op::Broadcast { src, .. } => {
                    let ks = self.nodes[src];
                    for v in 0..ko.size {
                        let go = &gout[v * w..v * w + len];
                        let gs = &mut glo[ks.off + v * r..ks.off + v * r + n];
                        for (d, blk) in gs.iter_mut().zip(go.chunks_exact(e)) {
                            for &x in blk {
                                *d += x;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The forward pass of a Boolean table of two Boolean arguments, specialised (a const
/// generic) for each of the 16 tables: each output value is the sum of its entries' products
/// in table order, exactly as the generic loop adds them, without multiplying by masks.
/// `only1`: compute output row 1 only (row 0 is left as it was).
#[inline(always)]
fn bool2_forward(
    table: u8,
    only1: bool,
    [x0, x1, y0, y1]: [&[f32]; 4],
    o0: &mut [f32],
    o1: &mut [f32],
) {
    macro_rules! dispatch {
        ($($t:literal)*) => {
            match (table, only1) {
                $(($t, false) => bool2::<$t, false>(x0, x1, y0, y1, o0, o1),)*
                $(($t, true) => bool2::<$t, true>(x0, x1, y0, y1, o0, o1),)*
                _ => unreachable!("a 2×2 Boolean table is a number below 16"),
            }
        };
    }
    dispatch!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
}

#[inline(always)]
fn bool2<const T: u8, const ONLY1: bool>(
    x0: &[f32],
    x1: &[f32],
    y0: &[f32],
    y1: &[f32],
    o0: &mut [f32],
    o1: &mut [f32],
) {
    let len = o0.len();
    let (x0, x1, y0, y1, o1) = (
        &x0[..len],
        &x1[..len],
        &y0[..len],
        &y1[..len],
        &mut o1[..len],
    );
    for c in 0..len {
        let p = [x0[c] * y0[c], x0[c] * y1[c], x1[c] * y0[c], x1[c] * y1[c]];
        let (mut s0, mut s1) = (0.0f32, 0.0f32);
        for (t, &pt) in p.iter().enumerate() {
            if T >> t & 1 == 1 {
                s1 += pt;
            } else {
                s0 += pt;
            }
        }
        if !ONLY1 {
            o0[c] = s0;
        }
        o1[c] = s1;
    }
}

/// The backward pass of a `Bool2` into both arguments (`AA`, `AB`: the first write of that
/// argument's rows, `0 + …`; otherwise `+=`), from the output gradient of each table entry
/// `g` and the argument rows `[x0, x1, y0, y1]`.
#[inline(always)]
fn bool2_back2<const AA: bool, const AB: bool>(
    [g0, g1, g2, g3]: [&[f32]; 4],
    [x0, x1, y0, y1]: [&[f32]; 4],
    ga0: &mut [f32],
    ga1: &mut [f32],
    gb0: &mut [f32],
    gb1: &mut [f32],
) {
    let len = ga0.len();
    let (g0, g1, g2, g3) = (&g0[..len], &g1[..len], &g2[..len], &g3[..len]);
    let (x0, x1, y0, y1) = (&x0[..len], &x1[..len], &y0[..len], &y1[..len]);
    let (ga1, gb0, gb1) = (&mut ga1[..len], &mut gb0[..len], &mut gb1[..len]);
    for c in 0..len {
        let (a0, a1) = if AA { (0.0, 0.0) } else { (ga0[c], ga1[c]) };
        let (b0, b1) = if AB { (0.0, 0.0) } else { (gb0[c], gb1[c]) };
        ga0[c] = a0 + g0[c] * y0[c] + g1[c] * y1[c];
        ga1[c] = a1 + g2[c] * y0[c] + g3[c] * y1[c];
        gb0[c] = b0 + g0[c] * x0[c] + g2[c] * x1[c];
        gb1[c] = b1 + g1[c] * x0[c] + g3[c] * x1[c];
    }
}

/// The backward pass of a `Bool2` into its first argument only (for the second, pass the
/// entry gradients as `[g0, g2, g1, g3]` and the first argument's rows): `ga0 (=|+=) g0 y0 +
/// g1 y1`, `ga1 (=|+=) g2 y0 + g3 y1`.
#[inline(always)]
fn bool2_back1<const A: bool>(
    [g0, g1, g2, g3]: [&[f32]; 4],
    [y0, y1]: [&[f32]; 2],
    ga0: &mut [f32],
    ga1: &mut [f32],
) {
    let len = ga0.len();
    let (g0, g1, g2, g3) = (&g0[..len], &g1[..len], &g2[..len], &g3[..len]);
    let (y0, y1, ga1) = (&y0[..len], &y1[..len], &mut ga1[..len]);
    for c in 0..len {
        let (a0, a1) = if A { (0.0, 0.0) } else { (ga0[c], ga1[c]) };
        ga0[c] = a0 + g0[c] * y0[c] + g1[c] * y1[c];
        ga1[c] = a1 + g2[c] * y0[c] + g3[c] * y1[c];
    }
}

/// The value of a Boolean table of two Boolean arguments in the discrete sweep (`t[2·x + y]`;
/// undefined, `u32::MAX`, when an argument is).
#[inline(always)]
fn bool2_value(t: [u32; 4], x: u32, y: u32) -> u32 {
    let (v0, v1) = if x == 0 { (t[0], t[1]) } else { (t[2], t[3]) };
    let v = if y == 0 { v0 } else { v1 };
    if (x | y) > 1 {
        u32::MAX
    } else {
        v
    }
}

/// [`bool2_value`] of a table of one argument (`t[x]`).
#[inline(always)]
fn bool1_value(t: [u32; 4], x: u32) -> u32 {
    match x {
        0 => t[0],
        1 => t[1],
        _ => u32::MAX,
    }
}

/// Where the discrete sweep reads an argument's row: in the program (a hole) or in its own
/// rows.
#[derive(Clone, Copy, Debug)]
struct DRow {
    hole: bool,
    off: usize,
}

/// A fused op in the discrete sweep.
#[derive(Clone, Copy, Debug)]
struct DFused {
    /// A `Bool1` (`args[1]` unused) or a `Bool2`.
    unary: bool,
    args: [DRow; 2],
    /// Bit `t` set: table entry `t` is violated (by [`violated`]).
    vmask: u32,
    dynamic: bool,
}

/// 1 when `v`, an observed value of the discrete sweep, is violated: other than 1 ("true")
/// and not undefined (`u32::MAX`).
#[inline(always)]
fn violated(v: u32) -> u32 {
    (v != 1 && v != u32::MAX) as u32
}

/// [`DFused::vmask`] of a table's values.
fn vmask(data: &[usize]) -> u32 {
    (data.iter().enumerate())
        .map(|(t, &v)| violated(v as u32) << t)
        .sum()
}

/// What [`violated`] of [`bool1_value`] says, from the table's [`DFused::vmask`].
#[inline(always)]
fn violated1(vmask: u32, x: u32) -> u32 {
    let bit = (vmask >> (x & 1)) & 1;
    if x <= 1 {
        bit
    } else {
        0
    }
}

/// What [`violated`] of [`bool2_value`] says, from the table's [`DFused::vmask`].
#[inline(always)]
fn violated2(vmask: u32, x: u32, y: u32) -> u32 {
    let bit = (vmask >> ((x << 1 | y) & 3)) & 1;
    if (x | y) <= 1 {
        bit
    } else {
        0
    }
}

/// Adds to `out` (the first of the `B` columns from `c`) the violations of the static fused
/// ops in `fused` (the dynamic ones are skipped), with their rows read from the program `prog`
/// or from `dvals` ([`violated1`], [`violated2`]): all the ops for a block of columns at once,
/// the counts held in registers (a pass per op cost as much again in loop set-up as in the
/// loop).
#[inline(always)]
fn count_fused<const B: usize>(
    fused: &[DFused],
    prog: &[u32],
    dvals: &[u32],
    c: usize,
    out: &mut [u32],
) {
    let mut acc = [0u32; B];
    let src = |d: DRow| -> &[u32] {
        let buf = if d.hole { prog } else { dvals };
        &buf[d.off + c..d.off + c + B]
    };
    for f in fused {
        if f.dynamic {
            continue;
        }
        let x = src(f.args[0]);
        if f.unary {
            for k in 0..B {
                acc[k] += violated1(f.vmask, x[k]);
            }
        } else {
            let y = src(f.args[1]);
            for k in 0..B {
                acc[k] += violated2(f.vmask, x[k], y[k]);
            }
        }
    }
    for (o, a) in out.iter_mut().zip(acc) {
        *o += a;
    }
}

/// Adds to `out[c]` the violated observations of a row of the discrete sweep (one value per
/// column, or `e` per column when `dynamic`).
#[inline(always)]
fn count_violations(out: &mut [u32], e: usize, dynamic: bool, vals: &[u32]) {
    if dynamic {
        for (o, vs) in out.iter_mut().zip(vals.chunks_exact(e)) {
            for &v in vs {
                *o += violated(v);
            }
        }
    } else {
        for (o, &v) in out.iter_mut().zip(vals) {
            *o += violated(v);
        }
    }
}

/// A fused op's rows ([`Kernel::run_fused`]), resolved once: offsets into `vals` of its
/// arguments' rows `x` (`x0, x1, y0, y1`; a `Bool1` has no `y`) and of its output's row of
/// "true" `o1`, and into `grads` of each argument's first gradient row `g` (its second is
/// `w` further).
#[derive(Clone, Copy, Debug)]
struct FPlan {
    x: [usize; 4],
    g: [usize; 2],
    w: usize,
    o1: usize,
    dynamic: bool,
    kind: FKind,
}

/// What a fused op computes; `keep` as [`Fused`]'s.
#[derive(Clone, Copy, Debug)]
enum FKind {
    /// Table `mask` (bit `t` set: entry `t = 2·x + y` yields 1).
    Bool2 { mask: u8, keep: [u32; 2] },
    /// `o1 = m1[0] · x0 + m1[1] · x1`; entry `v` yields 1 where `e[v]`.
    Bool1 {
        m1: [f32; 2],
        e: [bool; 2],
        keep: u32,
    },
}

/// The constants of one fused op (`fused2`, `fused1`).
#[derive(Clone, Copy)]
struct Fused {
    /// Per argument: 0 when this is the first write of its gradient rows (`0 + …`), all ones
    /// when it adds to them.
    keep: [u32; 2],
    eps: f32,
    /// `bce_grad` of 0 and 1 (the seeds on one-hot values).
    d: [f32; 2],
}

/// `x`, or +0 where `m` is 0: exact for every `x`.
#[inline(always)]
fn and(x: f32, m: u32) -> f32 {
    f32::from_bits(x.to_bits() & m)
}

/// An observation's seed, `0 − wt · bce_grad(s)` (on one-hot values, `bce_grad` of 0 or 1).
#[inline(always)]
fn fused_seed<const ONE_HOT: bool>(s: f32, wt: f32, c: &Fused) -> f32 {
    let d = if ONE_HOT {
        if s == 1.0 {
            c.d[1]
        } else {
            c.d[0]
        }
    } else {
        bce_grad(s, c.eps)
    };
    0.0 - wt * d
}

/// One fused `Bool2` (see [`Kernel::plan_fusion`]) of table `T` over a row of columns: the
/// output row of "true" `o1` (the sum of the products of the entries that yield 1, in table
/// order, as `bool2` computes it), the seed of its gradient `g` (`fused_seed`; `wt` is a row
/// of ones for a static row), and the backward pass into the arguments' rows, where each
/// entry's gradient is `g` if it yields 1 and 0 otherwise. Returns what [`classify`] says of
/// `o1` (`ONE_HOT`: the values are exactly 0 or 1), from flags kept as numbers, not `bool`s
/// ([`nonfinite_bits`], [`inexact_bit`]), so that the loop does not pack its
/// comparisons into bytes (14 instructions a vector of eight columns, against 7).
///
/// The general backward pass adds `0 · y` for an entry whose gradient is 0 (read from the row
/// of zeros); this pass leaves the term out. On finite values that adds +0 to a sum that is
/// never −0 (it starts at `0 + …`), so the results are bit for bit the same.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn fused2<const T: u8, const ONE_HOT: bool>(
    c: Fused,
    x0: &[f32],
    x1: &[f32],
    y0: &[f32],
    y1: &[f32],
    wt: &[f32],
    o1: &mut [f32],
    ga0: &mut [f32],
    ga1: &mut [f32],
    gb0: &mut [f32],
    gb1: &mut [f32],
) -> (bool, bool) {
    let len = o1.len();
    let (x0, x1, y0, y1, wt) = (&x0[..len], &x1[..len], &y0[..len], &y1[..len], &wt[..len]);
    let (ga0, ga1, gb0, gb1) = (
        &mut ga0[..len],
        &mut ga1[..len],
        &mut gb0[..len],
        &mut gb1[..len],
    );
    let on = |t: u8| T >> t & 1 == 1;
    let (mut nan, mut inexact) = (0u32, 0u32);
    for i in 0..len {
        let p = [x0[i] * y0[i], x0[i] * y1[i], x1[i] * y0[i], x1[i] * y1[i]];
        let mut s = 0.0f32;
        for (t, &pt) in p.iter().enumerate() {
            if on(t as u8) {
                s += pt;
            }
        }
        o1[i] = s;
        let g = fused_seed::<ONE_HOT>(s, wt[i], &c);
        // Entry t = 2·x + y: ∂/∂x_v gets g·y_u for the entries (v, u) that yield 1.
        let mut a0 = and(ga0[i], c.keep[0]);
        let mut a1 = and(ga1[i], c.keep[0]);
        let mut b0 = and(gb0[i], c.keep[1]);
        let mut b1 = and(gb1[i], c.keep[1]);
        if on(0) {
            a0 += g * y0[i];
        }
        if on(1) {
            a0 += g * y1[i];
        }
        if on(2) {
            a1 += g * y0[i];
        }
        if on(3) {
            a1 += g * y1[i];
        }
        if on(0) {
            b0 += g * x0[i];
        }
        if on(2) {
            b0 += g * x1[i];
        }
        if on(1) {
            b1 += g * x0[i];
        }
        if on(3) {
            b1 += g * x1[i];
        }
        ga0[i] = a0;
        ga1[i] = a1;
        gb0[i] = b0;
        gb1[i] = b1;
        if !ONE_HOT {
            nan |= nonfinite_bits(s);
            inexact |= inexact_bit(s, c.eps);
        }
    }
    (nan == 0, inexact == 0)
}

/// [`fused2`] for a `Bool1`: `o1 = 0 + m1[0] · x0 + m1[1] · x1` (its forward pass, with its
/// mask of floats), the seed `g`, and `ga_v (=|+=) g` where entry `v` yields 1 (`e[v]`).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn fused1<const ONE_HOT: bool>(
    c: Fused,
    m1: [f32; 2],
    e: [bool; 2],
    x0: &[f32],
    x1: &[f32],
    wt: &[f32],
    o1: &mut [f32],
    ga0: &mut [f32],
    ga1: &mut [f32],
) -> (bool, bool) {
    let len = o1.len();
    let (x0, x1, wt) = (&x0[..len], &x1[..len], &wt[..len]);
    let (ga0, ga1) = (&mut ga0[..len], &mut ga1[..len]);
    let m = e.map(|on| if on { !0u32 } else { 0 });
    let (mut nan, mut inexact) = (0u32, 0u32);
    for i in 0..len {
        let s = 0.0 + m1[0] * x0[i] + m1[1] * x1[i];
        o1[i] = s;
        let g = fused_seed::<ONE_HOT>(s, wt[i], &c);
        ga0[i] = and(ga0[i], c.keep[0]) + and(g, m[0]);
        ga1[i] = and(ga1[i], c.keep[0]) + and(g, m[1]);
        if !ONE_HOT {
            nan |= nonfinite_bits(s);
            inexact |= inexact_bit(s, c.eps);
        }
    }
    (nan == 0, inexact == 0)
}

/// All bits 0 exactly when `s` is finite: `s − s` is +0 then, and NaN otherwise.
#[inline(always)]
#[allow(clippy::eq_op)] // `s − s` is meant: NaN for ±∞ and NaN.
fn nonfinite_bits(s: f32) -> u32 {
    (s - s).to_bits()
}

/// 1 when `s` is neither exactly 1 nor at most `eps` (so NaN is inexact), else 0: the
/// negation of [`classify`]'s test for one value, as a number.
#[inline(always)]
#[allow(clippy::neg_cmp_op_on_partial_ord)] // `!(s <= eps)` is meant: true for NaN.
fn inexact_bit(s: f32, eps: f32) -> u32 {
    (s != 1.0 && !(s <= eps)) as u32
}

/// The two rows `[off, off + len)` and `[off + w, off + w + len)` of `buf`, mutably.
#[inline(always)]
fn two_rows(buf: &mut [f32], off: usize, w: usize, len: usize) -> (&mut [f32], &mut [f32]) {
    let (r0, r1) = buf[off..].split_at_mut(w);
    (&mut r0[..len], &mut r1[..len])
}

/// `−∂/∂p` of the binary cross entropy of probability `p` against "true", as PyTorch's
/// `binary_cross_entropy` computes it: `(1 − p) / max(p (1 − p), eps)`. That is `1/p` wherever
/// `p (1 − p) ≥ eps` (computed so, exactly), about `1/eps` at `p = 0`, and 0 at `p = 1`: a
/// satisfied observation on one-hot values pulls on nothing. (Tried: `1 / max(p, eps)`, which
/// is −1 at `p = 1`; under Adam's per-coordinate normalisation that −1 pushed STE's latent
/// logits towards their current values at the full learning rate, and STE solved 56% of the
/// runs at K = 4 against the seed's 100%.)
///
/// One division, of operands chosen first: the two quotients are each one IEEE division, so
/// this is exactly what dividing in both branches gives, at half the cost in vector code
/// (which computes both sides of a select).
#[inline(always)]
fn bce_grad(p: f32, eps: f32) -> f32 {
    let q = 1.0 - p;
    // Above 1 (only unnormalised inputs get there) it stays the derivative of −ln p.
    let (num, den) = if p * q >= eps || q < 0.0 {
        (1.0, p)
    } else {
        (q, eps)
    };
    num / den
}

/// One pass over a row (no early exit, so it vectorises): are the probabilities finite, and
/// are they all exactly 1 or at most `eps`, as on the one-hot values of the discrete methods?
#[inline(always)]
fn classify(p: &[f32], eps: f32) -> (bool, bool) {
    let (mut finite, mut exact) = (true, true);
    for &x in p {
        finite &= x.is_finite();
        exact &= x == 1.0 || x <= eps;
    }
    (finite, exact)
}

/// An observation's gradient seed `g (=|-=) wt · bce_grad(p)` (`=`: the first write of the
/// row, as `0 − x`; `wt` = 1 for a static row) and [`classify`] of `p`, in one pass.
#[inline(always)]
fn seed_classify<const DYN: bool, const ASSIGN: bool>(
    g: &mut [f32],
    p: &[f32],
    wt: &[f32],
    eps: f32,
) -> (bool, bool) {
    let len = p.len();
    let (g, wt) = (&mut g[..len], &wt[..len]);
    let (mut finite, mut exact) = (true, true);
    for c in 0..len {
        let x = p[c];
        let d = if DYN {
            wt[c] * bce_grad(x, eps)
        } else {
            bce_grad(x, eps)
        };
        g[c] = if ASSIGN { 0.0 - d } else { g[c] - d };
        finite &= x.is_finite();
        exact &= x == 1.0 || x <= eps;
    }
    (finite, exact)
}

/// [`seed_classify`]'s seed on a row of values that are all exactly 0 or 1: `d[x]` is
/// `bce_grad(x, eps)`. No division (a quarter of a discrete method's forward pass).
#[inline(always)]
fn seed_one_hot<const DYN: bool, const ASSIGN: bool>(
    g: &mut [f32],
    p: &[f32],
    wt: &[f32],
    [d0, d1]: [f32; 2],
) {
    let len = p.len();
    let (g, wt) = (&mut g[..len], &wt[..len]);
    for c in 0..len {
        debug_assert!(p[c] == 0.0 || p[c] == 1.0, "not one-hot: {}", p[c]);
        let d = if p[c] == 1.0 { d1 } else { d0 };
        let d = if DYN { wt[c] * d } else { d };
        g[c] = if ASSIGN { 0.0 - d } else { g[c] - d };
    }
}

/// The running products of the loss: `acc[c] = Π_j max(vals[rows[j] + c], eps)` over the
/// columns `c` of `acc`, in the order of `rows`, its exponent moved into `exp` (see
/// [`renormalise`]) after every `every`-th factor (1 or 2). All rows for a block of columns
/// at once, the block's products held in registers: one pass per row costed about as much
/// again in loop set-up as in the loop (the rows are a few vectors long), where this costs
/// a load, a max and a multiply per row and vector. Bit for bit what multiplying row by row
/// gives: the same operations on every column, in the same order.
#[inline(always)]
fn products(
    vals: &[f32],
    rows: &[usize],
    eps: f32,
    every: usize,
    acc: &mut [f32],
    exp: &mut [i32],
) {
    let len = acc.len();
    let exp = &mut exp[..len];
    let mut c = 0;
    while c + 32 <= len {
        products_block::<32>(
            vals,
            rows,
            c,
            eps,
            every,
            &mut acc[c..c + 32],
            &mut exp[c..c + 32],
        );
        c += 32;
    }
    while c + 8 <= len {
        products_block::<8>(
            vals,
            rows,
            c,
            eps,
            every,
            &mut acc[c..c + 8],
            &mut exp[c..c + 8],
        );
        c += 8;
    }
    while c < len {
        products_block::<1>(
            vals,
            rows,
            c,
            eps,
            every,
            &mut acc[c..c + 1],
            &mut exp[c..c + 1],
        );
        c += 1;
    }
}

/// [`products`] of the `B` columns from `c`.
#[inline(always)]
fn products_block<const B: usize>(
    vals: &[f32],
    rows: &[usize],
    c: usize,
    eps: f32,
    every: usize,
    acc: &mut [f32],
    exp: &mut [i32],
) {
    let mut a = [1.0f32; B];
    let mut x = [0i32; B];
    // `max(p, eps)` of a finite `p` (what `f32::max` gives, as one instruction).
    let times = |a: &mut [f32; B], off: usize| {
        let p = &vals[off + c..off + c + B];
        for k in 0..B {
            a[k] *= if p[k] > eps { p[k] } else { eps };
        }
    };
    let renorm = |a: &mut [f32; B], x: &mut [i32; B]| {
        for k in 0..B {
            let bits = a[k].to_bits();
            x[k] += ((bits >> 23) & 0xff) as i32 - 127;
            a[k] = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
        }
    };
    if every == 2 {
        let mut pairs = rows.chunks_exact(2);
        for pair in &mut pairs {
            times(&mut a, pair[0]);
            times(&mut a, pair[1]);
            renorm(&mut a, &mut x);
        }
        if let [last] = pairs.remainder() {
            times(&mut a, *last);
        }
    } else {
        for &off in rows {
            times(&mut a, off);
            renorm(&mut a, &mut x);
        }
    }
    acc[..B].copy_from_slice(&a);
    exp[..B].copy_from_slice(&x);
}

/// Moves the binary exponent of every (positive, normal) `acc` into `exp`, leaving `acc` in
/// `[1, 2)`.
#[inline(always)]
fn renormalise(acc: &mut [f32], exp: &mut [i32]) {
    for (a, x) in acc.iter_mut().zip(exp.iter_mut()) {
        let bits = a.to_bits();
        *x += ((bits >> 23) & 0xff) as i32 - 127;
        *a = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    }
}

/// `ln(m · 2^e)`.
#[inline(always)]
fn ln_product(m: f32, e: i32) -> f32 {
    (ln_fast(m) as f64 + e as f64 * std::f64::consts::LN_2) as f32
}

/// `out = ln(max(p, eps))`, vectorised: a Cephes-style polynomial (within 2 ulp of the
/// correctly rounded value, exact at 1 and at `eps`) when `fast`; `f32::ln` otherwise (an
/// `eps` below the smallest normal number, or a non-finite probability). `class`: what
/// [`classify`] says of `p`.
#[inline(always)]
fn ln_clamped(p: &[f32], eps: f32, ln_eps: f32, fast: bool, class: (bool, bool), out: &mut [f32]) {
    let (finite, exact) = class;
    if exact {
        for (o, &x) in out.iter_mut().zip(p) {
            *o = if x == 1.0 { 0.0 } else { ln_eps };
        }
    } else if fast && finite {
        for (o, &x) in out.iter_mut().zip(p) {
            let x = x.max(eps);
            *o = if x == eps { ln_eps } else { ln_fast(x) };
        }
    } else {
        for (o, &x) in out.iter_mut().zip(p) {
            *o = x.max(eps).ln();
        }
    }
}

fn stride(k: &KNode, r: usize, e: usize) -> usize {
    if k.dynamic {
        r * e
    } else {
        r
    }
}

/// The node list and op list under construction.
struct Build {
    nodes: Vec<KNode>,
    ops: Vec<Op>,
    args: Vec<usize>,
    off: usize,
    r: usize,
    e: usize,
    /// IR node → its broadcast copy (`usize::MAX`: none yet).
    bcast: Vec<usize>,
}

impl Build {
    fn node(&mut self, size: usize, dynamic: bool, needs_grad: bool) -> usize {
        let k = KNode {
            size,
            dynamic,
            needs_grad,
            off: self.off,
        };
        self.off += size * stride(&k, self.r, self.e);
        self.nodes.push(k);
        self.nodes.len() - 1
    }

    /// The internal node to read IR node `ir` (internal `id`) from for an output of the given
    /// width: itself, or its broadcast copy.
    fn widen(&mut self, ir: usize, id: usize, dynamic: bool) -> usize {
        let k = self.nodes[id];
        if !dynamic || k.dynamic {
            return id;
        }
        if self.bcast[ir] == usize::MAX {
            let out = self.node(k.size, true, k.needs_grad);
            self.ops.push(Op::Broadcast { out, src: id });
            self.bcast[ir] = out;
        }
        self.bcast[ir]
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

/// `dst[b] += Π_j src[row_j + b]`.
#[inline(always)]
fn product_into(dst: &mut [f32], rows: &[usize], src: &[f32]) {
    let w = dst.len();
    match *rows {
        [] => {
            for d in dst.iter_mut() {
                *d += 1.0;
            }
        }
        [a] => {
            for (d, x) in dst.iter_mut().zip(&src[a..a + w]) {
                *d += x;
            }
        }
        [a, b] => {
            for ((d, x), y) in dst.iter_mut().zip(&src[a..a + w]).zip(&src[b..b + w]) {
                *d += x * y;
            }
        }
        [a, b, c] => {
            for (((d, x), y), z) in dst
                .iter_mut()
                .zip(&src[a..a + w])
                .zip(&src[b..b + w])
                .zip(&src[c..c + w])
            {
                *d += x * y * z;
            }
        }
        _ => {
            for (b, d) in dst.iter_mut().enumerate() {
                *d += rows.iter().map(|&a| src[a + b]).product::<f32>();
            }
        }
    }
}

/// `g[row_j + b] += go[b] · Π_{i≠j} src[row_i + b]`.
#[inline(always)]
fn apply_backward(go: &[f32], rows: &[usize], j: usize, src: &[f32], g: &mut [f32]) {
    let w = go.len();
    let gj = rows[j];
    match rows.len() {
        1 => {
            for (d, x) in g[gj..gj + w].iter_mut().zip(go) {
                *d += x;
            }
        }
        2 => {
            let o = rows[1 - j];
            for ((d, x), y) in g[gj..gj + w].iter_mut().zip(go).zip(&src[o..o + w]) {
                *d += x * y;
            }
        }
        _ => {
            for b in 0..w {
                let mut p = go[b];
                for (i, &a) in rows.iter().enumerate() {
                    if i != j {
                        p *= src[a + b];
                    }
                }
                g[gj + b] += p;
            }
        }
    }
}
