//! The CNF encoding of an IR graph.
//!
//! Every node value is encoded **one-hot over the values it can actually take**: a node's
//! encoding ([`Val`]) lists its possible value indices with one literal each, exactly one of
//! which is true. The possible values are found while encoding (a forward value-set
//! propagation), so
//! - a node whose value is fixed (a constant, an example input, a table over constants) gets no
//!   variable at all and no clause;
//! - a node with two possible values gets one variable `x` (`¬x` for the first value, `x` for
//!   the second), which covers every bool;
//! - a node with `k ≥ 3` possible values gets `k` variables, one at-least-one clause and an
//!   at-most-one constraint (pairwise up to [`PAIRWISE_MAX`] values, rustsat's bimander
//!   encoding above).
//!
//! Holes are shared by all examples; *static* nodes (depending on no input: holes and what is
//! computed from them alone, such as `out[g] == k`) are encoded once; every other node is
//! encoded once per example, with the example's inputs as constants. A table application
//! `y = t(a1..an)` becomes one clause per combination of the *possible* values of all
//! arguments but one (the one with most values, say `an`) and output value `w`:
//! `¬(a1=v1) ∨ … ∨ ¬(a(n-1)=v(n-1)) ∨ (y=w) ∨ ⋁{an=u : t(v1..v(n-1),u) ≠ w}` — the rows that
//! agree on the output share a clause. A multiplexer `y = cases[s]` becomes, for each possible
//! selector value `i` and output value `w`, `s=i ∧ case_i=w → y=w` and `s=i ∧ case_i≠w → y≠w`.
//!
//! The alternative for the holes (the variables the solver branches on) is a log encoding
//! ([`HoleEncoding::Log`]): `⌈log2 n⌉` bits per hole with a channelling literal per value;
//! the measurements that chose the default are in ARCHITECTURE.md.

use rustsat::encodings::am1::{Bimander, Encode as _};
use rustsat::instances::{BasicVarManager, ManageVars};
use rustsat::types::Var;
use weft_ir::{Assignment, Examples, Graph, Node, NodeId};

use crate::cnf::{simplify, to_lit, Collect, Sink, FALSE, TRUE};
use crate::SatError;

/// A node's encoding: its possible value indices (ascending) with the literal that says "the
/// node has this value". A fixed value is one entry with literal [`TRUE`].
pub type Val = Vec<(u32, i32)>;

/// At-most-one constraints over up to this many literals are pairwise.
pub const PAIRWISE_MAX: usize = 6;

/// How a hole's value is encoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HoleEncoding {
    /// One literal per value, exactly one true (the default; see ARCHITECTURE.md).
    #[default]
    Direct,
    /// `⌈log2 n⌉` bits, values `≥ n` excluded, one channelling literal per value.
    Log,
}

/// Where the holes' values come from.
#[derive(Clone, Copy, Debug)]
pub enum Holes<'a> {
    /// Unknown: the solver chooses them; with `true`, holes that cannot matter are pinned
    /// ([`Encoder::break_redundancy`]).
    Free(HoleEncoding, bool),
    /// Known (a program being checked).
    Fixed(&'a Assignment),
}

/// Where one copy's inputs come from.
#[derive(Clone, Copy, Debug)]
pub enum Inputs<'a> {
    /// Example `e` of the examples: constants.
    Example(&'a Examples, usize),
    /// Symbolic inputs (one encoding per input slot), for the miter.
    Symbolic(&'a [Val]),
    /// A graph without inputs.
    None,
}

/// The literal of value `v` in an encoding ([`FALSE`] when `v` is not possible).
pub fn lit(val: &Val, v: u32) -> i32 {
    match val.binary_search_by_key(&v, |&(x, _)| x) {
        Ok(i) => val[i].1,
        Err(_) => FALSE,
    }
}

/// Encodes one graph into a sink; see the module documentation.
pub struct Encoder<'g> {
    pub g: &'g Graph,
    pub vm: BasicVarManager,
    is_static: Vec<bool>,
    /// Encodings of the static nodes (empty for the others).
    pub stat: Vec<Val>,
    /// Encodings of the holes.
    pub holes: Vec<Val>,
    limit: usize,
    buf: Vec<i32>,
}

impl<'g> Encoder<'g> {
    /// A new encoder; with `vm == None` it starts the variable numbering and sends the unit
    /// clause for [`TRUE`], otherwise it continues `vm` (several graphs in one formula).
    pub fn new(
        g: &'g Graph,
        vm: Option<BasicVarManager>,
        limit: usize,
        sink: &mut dyn Sink,
    ) -> Result<Encoder<'g>, SatError> {
        // The evaluator's checks make every index below safe.
        weft_ir::Evaluator::new(g)?;
        let fresh = vm.is_none();
        let mut vm = vm.unwrap_or_else(|| BasicVarManager::from_next_free(Var::new(0)));
        if fresh {
            let t = vm.new_var().pos_lit().to_ipasir();
            debug_assert_eq!(t, TRUE);
            sink.push(&[TRUE]);
        }
        let is_static: Vec<bool> = g.input_dependent().iter().map(|&d| !d).collect();
        Ok(Encoder {
            g,
            vm,
            is_static,
            stat: vec![Vec::new(); g.nodes.len()],
            holes: Vec::new(),
            limit,
            buf: Vec::new(),
        })
    }

    pub fn is_static(&self, n: NodeId) -> bool {
        self.is_static[n.0 as usize]
    }

    /// The next free variable (as a DIMACS number).
    pub fn n_vars(&self) -> u32 {
        self.vm.n_used()
    }

    pub fn new_var(&mut self) -> i32 {
        self.vm.new_var().pos_lit().to_ipasir()
    }

    /// Adds a clause, simplified.
    pub fn clause(&mut self, sink: &mut dyn Sink, lits: &[i32]) {
        let mut buf = std::mem::take(&mut self.buf);
        if simplify(lits, &mut buf) {
            sink.push(&buf);
        }
        self.buf = buf;
    }

    /// Refuses an encoding over the clause budget, and stops one the deadline or a
    /// cancellation has overtaken.
    fn check_budget(
        &self,
        sink: &mut dyn Sink,
        what: impl FnOnce() -> String,
    ) -> Result<(), SatError> {
        if let Some(reason) = sink.stop_reason() {
            return Err(SatError::Stopped { reason, at: what() });
        }
        if sink.n_clauses() > self.limit {
            return Err(SatError::TooLarge {
                clauses: sink.n_clauses(),
                limit: self.limit,
                at: what(),
            });
        }
        Ok(())
    }

    /// A fresh encoding over the given possible values (ascending, distinct): exactly one true.
    pub fn fresh(&mut self, sink: &mut dyn Sink, values: &[u32]) -> Val {
        match values {
            [] => {
                sink.push(&[]);
                Vec::new()
            }
            [v] => vec![(*v, TRUE)],
            [a, b] => {
                let x = self.new_var();
                vec![(*a, -x), (*b, x)]
            }
            _ => {
                let val: Val = values.iter().map(|&v| (v, self.new_var())).collect();
                let lits: Vec<i32> = val.iter().map(|&(_, l)| l).collect();
                self.clause(sink, &lits);
                self.at_most_one(sink, &lits);
                val
            }
        }
    }

    /// At most one of `lits` is true: pairwise for few literals, rustsat's bimander above.
    pub fn at_most_one(&mut self, sink: &mut dyn Sink, lits: &[i32]) {
        if lits.len() <= PAIRWISE_MAX {
            for i in 0..lits.len() {
                for j in i + 1..lits.len() {
                    self.clause(sink, &[-lits[i], -lits[j]]);
                }
            }
        } else {
            let mut enc: Bimander = lits.iter().map(|&l| to_lit(l)).collect();
            let mut col = Collect::new(sink);
            // Collecting into a sink cannot run out of memory.
            let _ = enc.encode(&mut col, &mut self.vm);
        }
    }

    /// Encodes the holes and every static node. Call once, before [`Encoder::copy`].
    pub fn encode_static(&mut self, sink: &mut dyn Sink, holes: Holes) -> Result<(), SatError> {
        let g = self.g;
        self.holes = Vec::with_capacity(g.holes.len());
        for (i, h) in g.holes.iter().enumerate() {
            let n = g.domain(h.domain).size;
            let val = match holes {
                Holes::Fixed(a) => match a.0.get(i) {
                    Some(&v) if v < n => vec![(v, TRUE)],
                    _ => {
                        return Err(SatError::Eval(weft_ir::EvalError::AssignmentLength {
                            expected: g.holes.len(),
                            got: a.0.len(),
                        }))
                    }
                },
                Holes::Free(HoleEncoding::Log, _) if n >= 3 => self.log_hole(sink, n),
                Holes::Free(..) => {
                    let values: Vec<u32> = (0..n).collect();
                    self.fresh(sink, &values)
                }
            };
            self.holes.push(val);
            // A hole of 65 536 values takes about half a second to encode: check each.
            self.check_budget(sink, || "the holes".to_string())?;
        }
        for i in 0..g.nodes.len() {
            if self.is_static[i] {
                let v = self.node(sink, NodeId(i as u32), &[], Inputs::None);
                self.stat[i] = v;
            }
            if self.is_static[i] {
                self.check_budget(sink, || "the holes and static nodes".to_string())?;
            }
        }
        if let Holes::Free(_, true) = holes {
            self.break_redundancy(sink);
        }
        self.check_budget(sink, || "the holes and static nodes".to_string())
    }

    /// Redundancy elimination for holes that cannot matter: a hole `s` used only as the
    /// selector of multiplexers whose values are read only by table applications that ignore
    /// them when another hole `c` has a value in `V` (TerpreT's `in2` of a NOT or NOP gate).
    /// For each `v ∈ V` the clause `c = v → s = 0` is added. Sound: under `c = v` nothing
    /// reads `s`, so any solution stays a solution (same outputs, observations and costs)
    /// with `s` set to its first value. Returns the number of clauses added.
    pub fn break_redundancy(&mut self, sink: &mut dyn Sink) -> usize {
        let g = self.g;
        let n = g.nodes.len();
        let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut root = vec![false; n];
        for r in g
            .outputs
            .iter()
            .map(|o| o.node)
            .chain(g.observations.iter().map(|o| o.node))
            .chain(g.costs.iter().map(|c| c.node))
        {
            root[r.0 as usize] = true;
        }
        for (i, nd) in g.nodes.iter().enumerate() {
            match &nd.node {
                Node::Apply(_, args) => args.iter().for_each(|a| users[a.0 as usize].push(i)),
                Node::Mux(sel, cases) => {
                    users[sel.0 as usize].push(i);
                    cases.iter().for_each(|c| users[c.0 as usize].push(i));
                }
                _ => {}
            }
        }
        let mut added = 0;
        for (i, nd) in g.nodes.iter().enumerate() {
            let Node::Hole(sh) = nd.node else { continue };
            if root[i] || users[i].is_empty() || self.holes[sh.0 as usize].len() < 2 {
                continue;
            }
            // (the controlling hole's node, the values under which `s` does not matter)
            let mut common: Option<(usize, Vec<u32>)> = None;
            let mut ok = true;
            'muxes: for &m in &users[i] {
                match &g.nodes[m].node {
                    Node::Mux(sel, cases)
                        if sel.0 as usize == i && !cases.iter().any(|c| c.0 as usize == i) => {}
                    _ => {
                        ok = false;
                        break;
                    }
                }
                if root[m] || users[m].is_empty() {
                    ok = false;
                    break;
                }
                for &u in &users[m] {
                    let Node::Apply(t, args) = &g.nodes[u].node else {
                        ok = false;
                        break 'muxes;
                    };
                    let holes: Vec<usize> = (0..args.len())
                        .filter(|&k| matches!(g.node(args[k]).node, Node::Hole(h) if h != sh))
                        .collect();
                    let [k] = holes[..] else {
                        ok = false;
                        break 'muxes;
                    };
                    let c = args[k].0 as usize;
                    let js: Vec<usize> = (0..args.len())
                        .filter(|&j| args[j].0 as usize == m)
                        .collect();
                    let vs = ignoring_values(g.table(*t), g, k, &js);
                    common = match common {
                        None => Some((c, vs)),
                        Some((c0, v0)) if c0 == c => {
                            Some((c, v0.into_iter().filter(|v| vs.contains(v)).collect()))
                        }
                        Some(_) => {
                            ok = false;
                            break 'muxes;
                        }
                    };
                }
            }
            let Some((c, vs)) = common.filter(|_| ok) else {
                continue;
            };
            let Node::Hole(ch) = g.nodes[c].node else {
                continue;
            };
            let first = self.holes[sh.0 as usize][0].1;
            for v in vs {
                let cv = lit(&self.holes[ch.0 as usize], v);
                self.clause(sink, &[-cv, first]);
                added += 1;
            }
        }
        added
    }

    /// A hole of `n ≥ 3` values in `⌈log2 n⌉` bits with a channelling literal per value.
    fn log_hole(&mut self, sink: &mut dyn Sink, n: u32) -> Val {
        let bits = 32 - (n - 1).leading_zeros();
        let b: Vec<i32> = (0..bits).map(|_| self.new_var()).collect();
        let bit = |v: u32, j: u32| {
            if v >> j & 1 == 1 {
                b[j as usize]
            } else {
                -b[j as usize]
            }
        };
        for v in n..1 << bits {
            let c: Vec<i32> = (0..bits).map(|j| -bit(v, j)).collect();
            self.clause(sink, &c);
        }
        let mut val = Vec::with_capacity(n as usize);
        for v in 0..n {
            let e = self.new_var();
            let mut back = vec![e];
            for j in 0..bits {
                self.clause(sink, &[-e, bit(v, j)]);
                back.push(-bit(v, j));
            }
            self.clause(sink, &back);
            val.push((v, e));
        }
        val
    }

    /// Encodes the example-dependent nodes once more, for one copy (one example, or symbolic
    /// inputs). Static nodes are read from [`Encoder::encode_static`]. Returns one encoding
    /// per node (empty for static nodes: use [`Encoder::get`]).
    pub fn copy(
        &mut self,
        sink: &mut dyn Sink,
        inputs: Inputs,
        what: &dyn Fn() -> String,
    ) -> Result<Vec<Val>, SatError> {
        let n = self.g.nodes.len();
        let mut copy: Vec<Val> = vec![Vec::new(); n];
        for i in 0..n {
            if !self.is_static[i] {
                copy[i] = self.node(sink, NodeId(i as u32), &copy, inputs);
            }
            if i % 256 == 255 {
                self.check_budget(sink, what)?;
            }
        }
        self.check_budget(sink, what)?;
        Ok(copy)
    }

    /// A node's encoding in a copy.
    pub fn get<'a>(&'a self, copy: &'a [Val], n: NodeId) -> &'a Val {
        let i = n.0 as usize;
        if self.is_static[i] {
            &self.stat[i]
        } else {
            &copy[i]
        }
    }

    fn node(&mut self, sink: &mut dyn Sink, id: NodeId, copy: &[Val], inputs: Inputs) -> Val {
        let g = self.g;
        let nd = g.node(id);
        match &nd.node {
            Node::Input(s) => match inputs {
                Inputs::Example(ex, e) => vec![(ex.inputs[*s as usize][e], TRUE)],
                Inputs::Symbolic(vals) => vals[*s as usize].clone(),
                // Static nodes never read inputs.
                Inputs::None => Vec::new(),
            },
            Node::Hole(h) => self.holes[h.0 as usize].clone(),
            Node::Const(v) => vec![(*v, TRUE)],
            Node::Apply(t, args) => self.apply(sink, *t, args, copy),
            Node::Mux(s, cases) => self.mux(sink, *s, cases, copy),
        }
    }

    fn apply(
        &mut self,
        sink: &mut dyn Sink,
        t: weft_ir::TableId,
        args: &[NodeId],
        copy: &[Val],
    ) -> Val {
        let g = self.g;
        let table = g.table(t);
        let n = args.len();
        if n == 0 {
            return vec![(table.data[0], TRUE)];
        }
        let mut strides = vec![1usize; n];
        for k in (0..n.saturating_sub(1)).rev() {
            strides[k] = strides[k + 1] * g.domain(table.args[k + 1]).size as usize;
        }
        let vals: Vec<Val> = args.iter().map(|&a| self.get(copy, a).clone()).collect();
        if vals.iter().any(|v| v.is_empty()) {
            return Vec::new();
        }
        // The grouped argument: the one with most possible values.
        let gi = (0..n).max_by_key(|&k| vals[k].len()).unwrap_or(0);
        let others: Vec<usize> = (0..n).filter(|&k| k != gi).collect();
        // Every prefix (combination of the other arguments' possible values), in mixed radix.
        let total: usize = others.iter().map(|&k| vals[k].len()).product();
        let mut outs: Vec<u32> = Vec::new();
        let mut rows: Vec<(Vec<i32>, Vec<u32>)> = Vec::with_capacity(total);
        for r in 0..total {
            let mut rest = r;
            let mut base = 0usize;
            let mut prefix = Vec::with_capacity(others.len());
            for &k in others.iter().rev() {
                let (v, l) = vals[k][rest % vals[k].len()];
                rest /= vals[k].len();
                base += v as usize * strides[k];
                prefix.push(-l);
            }
            let row: Vec<u32> = vals[gi]
                .iter()
                .map(|&(u, _)| table.data[base + u as usize * strides[gi]])
                .collect();
            outs.extend_from_slice(&row);
            rows.push((prefix, row));
        }
        outs.sort_unstable();
        outs.dedup();
        if let [(_, row)] = &rows[..] {
            // One non-constant argument: when an output value has a single preimage, its
            // literal *is* that argument value's literal (`out[g] == 2` is `out[g]=2`), so
            // no variable and no clause is needed.
            let pre = |w: u32| -> Vec<usize> { (0..row.len()).filter(|&j| row[j] == w).collect() };
            if outs.iter().all(|&w| pre(w).len() == 1) {
                let mut y: Val = row
                    .iter()
                    .zip(&vals[gi])
                    .map(|(&w, &(_, l))| (w, l))
                    .collect();
                y.sort_unstable();
                return y;
            }
            if let [w0, w1] = outs[..] {
                let (p0, p1) = (pre(w0), pre(w1));
                if p1.len() == 1 {
                    let l = vals[gi][p1[0]].1;
                    return vec![(w0, -l), (w1, l)];
                }
                if p0.len() == 1 {
                    let l = vals[gi][p0[0]].1;
                    return vec![(w0, l), (w1, -l)];
                }
            }
        }
        let y = self.fresh(sink, &outs);
        if outs.len() <= 1 {
            return y;
        }
        let mut c = Vec::new();
        for (prefix, row) in &rows {
            let mut ws = row.clone();
            ws.sort_unstable();
            ws.dedup();
            for &w in &ws {
                c.clear();
                c.extend_from_slice(prefix);
                c.push(lit(&y, w));
                for (j, &(_, l)) in vals[gi].iter().enumerate() {
                    if row[j] != w {
                        c.push(l);
                    }
                }
                self.clause(sink, &c);
            }
        }
        y
    }

    fn mux(&mut self, sink: &mut dyn Sink, s: NodeId, cases: &[NodeId], copy: &[Val]) -> Val {
        let sel = self.get(copy, s).clone();
        if let [(v, _)] = sel[..] {
            return self.get(copy, cases[v as usize]).clone();
        }
        let mut outs: Vec<u32> = Vec::new();
        for &(i, _) in &sel {
            outs.extend(self.get(copy, cases[i as usize]).iter().map(|&(w, _)| w));
        }
        outs.sort_unstable();
        outs.dedup();
        let y = self.fresh(sink, &outs);
        if outs.len() <= 1 {
            return y;
        }
        for &(i, si) in &sel {
            let case = self.get(copy, cases[i as usize]).clone();
            for &(w, yw) in &y {
                let cw = lit(&case, w);
                self.clause(sink, &[-si, -cw, yw]);
                self.clause(sink, &[-si, cw, -yw]);
            }
        }
        y
    }
}

/// The values of argument `k` under which the table does not depend on the arguments `js`.
fn ignoring_values(t: &weft_ir::Table, g: &Graph, k: usize, js: &[usize]) -> Vec<u32> {
    let sizes: Vec<usize> = t.args.iter().map(|&d| g.domain(d).size as usize).collect();
    let mut strides = vec![1usize; sizes.len()];
    for a in (0..sizes.len().saturating_sub(1)).rev() {
        strides[a] = strides[a + 1] * sizes[a + 1];
    }
    (0..sizes[k] as u32)
        .filter(|&v| {
            (0..t.data.len()).all(|r| {
                if (r / strides[k]) % sizes[k] != v as usize {
                    return true;
                }
                // The row with every argument in `js` set to 0 must give the same value.
                let base = js
                    .iter()
                    .fold(r, |r, &j| r - ((r / strides[j]) % sizes[j]) * strides[j]);
                t.data[r] == t.data[base]
            })
        })
        .collect()
}
