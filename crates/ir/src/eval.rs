//! The exact evaluator: the ground truth every solver's answer is checked by.
//!
//! An [`Evaluator`] is built once per graph. It checks that the graph is well formed (so that
//! evaluation itself cannot index out of bounds), and precomputes a flat copy of the nodes,
//! the table strides and which nodes are *static* (depend on no input).
//!
//! A key design decision: evaluation is two-phase. For one hole assignment the evaluator first
//! *resolves* the graph in one forward sweep: every node whose value no longer depends on the
//! example (structurally static nodes, but also a multiplexer whose selector is a hole, or a
//! table whose example-dependent arguments were all multiplexed away) gets its value once; a
//! multiplexer with a resolved selector becomes an alias of the chosen case; a table
//! application folds its resolved arguments into a base offset. A backward search from the
//! outputs and observations then keeps only the example-dependent operations they read. What
//! remains is a short straight-line program run over blocks of [`LANES`] examples at a time,
//! column by column (the inner loops run over examples, not nodes). For the Boolean circuit, where every
//! wire read is a multiplexer on a hole, only the gate applications survive: one table lookup
//! per gate and example.
//!
//! [`Evaluator::passes_all`] is the enumerate solver's hot loop: it reuses buffers across calls
//! (no allocation once warm) and stops at the first failure. It first runs one scalar sweep
//! over the nodes on the example that failed last time, since most candidates fail there
//! again; only a candidate that survives is resolved, checked on what the assignment alone
//! decides (resolved observations and outputs), and run block by block. Measured on the
//! 3-wire, 3-gate circuit with unsatisfiable examples (2.5 million candidates, release build):
//! resolving and running blocks for every candidate took about 270 ns per candidate, the
//! scalar sweep first about 110 ns.
//!
//! [`Evaluator::failures`] counts failed outputs and observations (the local search's
//! fitness), and [`Evaluator::failures_near`] does so for an assignment a few holes away from a
//! resolved *base*, re-resolving only the nodes downstream of the changed holes. [`Moves`]
//! goes further for the local search's inner loop: it also keeps every node's values and
//! propagates a move's changes forward, recomputing only the operations whose inputs changed
//! (see its module).
//!
//! [`Evaluator::evaluate`] computes everything (outputs, failed observations, total cost).
//! [`Evaluator::trace`] is a deliberately naive interpreter of one example, used as a reference
//! in tests and for debugging encodings.

use thiserror::Error;

use crate::examples::{Assignment, Examples};
use crate::graph::{Graph, Node};

mod moves;
pub use moves::{Moves, MAX_KEPT};

/// Examples evaluated together in one block.
pub const LANES: usize = 64;

/// Tags a resolved location as "computed per example by node/row `x & !DYN`" rather than a
/// value. Domain sizes and table lengths are checked to stay below it.
const DYN: u32 = 1 << 31;

/// Why a graph, an assignment or a set of examples cannot be evaluated.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum EvalError {
    /// The graph is not well formed (a bug in whatever built it); the message names the place.
    #[error("malformed graph: {0}")]
    Malformed(String),
    /// The evaluator was built for another graph than the one passed in.
    #[error("the evaluator was built for another graph ({expected} nodes, {got} given)")]
    GraphMismatch { expected: usize, got: usize },
    /// The assignment does not have one value per hole.
    #[error("the assignment has {got} values, the sketch has {expected} holes")]
    AssignmentLength { expected: usize, got: usize },
    /// A hole's value index lies outside its domain.
    #[error("hole {hole}: value index {value} is outside its domain {domain}")]
    HoleValue {
        hole: String,
        value: u32,
        domain: String,
    },
    /// The examples have the wrong number of input or output columns.
    #[error("the examples have {got} {what} columns, the sketch has {expected}")]
    ExampleColumns {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    /// A column's length differs from the number of examples ([`Examples::len`]).
    #[error("{what} column {slot} has {got} values for {expected} examples")]
    ColumnLength {
        what: &'static str,
        slot: String,
        expected: usize,
        got: usize,
    },
    /// An input or expected output value lies outside its slot's domain.
    #[error(
        "example {example}{origin}: {slot} has value index {value}, outside its domain {domain}"
    )]
    ExampleValue {
        example: usize,
        /// ` (file:line)`, or empty when the example has no recorded origin.
        origin: String,
        slot: String,
        value: u32,
        domain: String,
    },
    /// The total cost can leave the 64-bit integers (large weights, many costs or examples).
    #[error(
        "the total cost can range over {min}..={max}, beyond 64-bit integers \
         (-2^63..2^63-1): {costs} cost statement(s) over {examples} example(s)"
    )]
    CostRange {
        min: i128,
        max: i128,
        costs: usize,
        examples: usize,
    },
}

/// The full result of evaluating one assignment on a set of examples.
///
/// A graph with no input slots evaluated on zero examples is evaluated on exactly **one empty
/// example** (such a sketch's observations are its whole specification), so its vectors have
/// length 1. A graph with inputs and zero examples has zero examples: `all_passed` is then
/// vacuously true and only once-costs count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    /// Per example: every output matches its expected value (don't-care ignored) and every
    /// observation holds.
    pub passed: Vec<bool>,
    /// `outputs[output][example]`: the value index computed for each output.
    pub outputs: Vec<Vec<u32>>,
    /// Per example: indices into `Graph::observations` of the observations that are false.
    pub failed_observations: Vec<Vec<usize>>,
    /// Total cost: once-costs counted once, per-example costs summed over all examples (exact:
    /// [`validate_examples`] refuses graphs whose cost could leave `i64`).
    pub cost: i64,
    /// Every example passed.
    pub all_passed: bool,
}

impl Evaluation {
    /// The first example that did not pass, if any.
    pub fn first_failure(&self) -> Option<usize> {
        self.passed.iter().position(|&p| !p)
    }
}

/// A node, flattened for the evaluation sweeps; arguments live in `Evaluator::args`.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Input(u32),
    Hole(u32),
    Const(u32),
    /// Table id; the arguments' strides are in `Evaluator::strides`.
    Apply(u32),
    /// The first argument is the selector, the rest are the cases.
    Mux,
}

/// One example-dependent operation of a resolved graph, writing row `dst`.
#[derive(Clone, Copy, Debug)]
enum Op {
    Input {
        slot: u32,
        dst: u32,
    },
    /// `table.data[base + Σ rows[k] * strides[k]]` over `prog_args[args.0..args.1]`.
    Apply {
        table: u32,
        base: u32,
        args: (u32, u32),
        dst: u32,
    },
    /// `prog_cases[cases.0 + row sel]`, each case a `DYN | row` or a value.
    Mux {
        sel: u32,
        cases: (u32, u32),
        dst: u32,
    },
}

/// The exact evaluator for one graph; see the module documentation. Every method takes the
/// graph again (it is not borrowed for the evaluator's lifetime) and must be given the graph
/// the evaluator was built for.
#[derive(Clone, Debug)]
pub struct Evaluator {
    n_nodes: usize,
    n_tables: usize,
    n_holes: usize,
    kind: Vec<Kind>,
    /// `args[arg_start[i]..arg_start[i + 1]]` are node `i`'s arguments.
    arg_start: Vec<u32>,
    args: Vec<u32>,
    /// Parallel to `args`: the table stride of each `Apply` argument (0 for `Mux`).
    strides: Vec<u32>,
    is_static: Vec<bool>,
    hole_size: Vec<u32>,
    input_size: Vec<u32>,
    output_node: Vec<u32>,
    observation_node: Vec<u32>,
    cost_node: Vec<u32>,
    cost_once: Vec<bool>,
    /// Copied so that evaluation never reads `Graph::costs` (see `check_call`).
    cost_weights: Vec<Vec<i64>>,

    // Per-assignment buffers, reused across calls.
    /// Per node: its value, or `DYN | m` where node `m` computes it per example.
    loc: Vec<u32>,
    /// Per node: its value on one example (the scalar fail-fast sweep).
    scalar: Vec<u32>,
    /// Per example-dependent `Apply` node: base offset and range in `dyn_args`.
    dyn_base: Vec<u32>,
    dyn_range: Vec<(u32, u32)>,
    /// `(node, stride)` of the example-dependent arguments.
    dyn_args: Vec<(u32, u32)>,
    live: Vec<bool>,
    /// The nodes marked in `live`, in node order.
    live_list: Vec<u32>,
    /// The worklist of `mark_live`, kept to reuse its allocation.
    live_stack: Vec<u32>,
    row: Vec<u32>,
    prog: Vec<Op>,
    prog_args: Vec<(u32, u32)>,
    prog_cases: Vec<u32>,
    /// `vals[row * LANES + lane]`.
    vals: Vec<u32>,
    /// The example that failed in the last `passes_all` call.
    last_fail: usize,

    // Incremental resolution ([`Evaluator::failures_near`]).
    /// `users[users_start[i]..users_start[i + 1]]`: the nodes that read node `i`.
    users_start: Vec<u32>,
    users: Vec<u32>,
    /// `hole_nodes[hole_nodes_start[h]..hole_nodes_start[h + 1]]`: the nodes of hole `h`.
    hole_nodes_start: Vec<u32>,
    hole_nodes: Vec<u32>,
    /// The assignment `loc`, `dyn_*` currently resolve, when they are a base for
    /// `failures_near` (cleared by every full resolution).
    base: Option<Vec<u32>>,
    /// Nodes to re-resolve, as a bit set.
    pending: Vec<u64>,
    /// Per re-resolved node: (node, loc, dyn_base, dyn_range) before, and the saved
    /// `dyn_args` slots of the `Apply` nodes among them, to restore the base.
    undo: Vec<(u32, u32, u32, (u32, u32))>,
    undo_slots: Vec<(u32, u32)>,
    /// The base's `live` flags (valid when `base_live_known`): a move that re-resolves no
    /// live node and no output or observation leaves the failure count as it is.
    base_live: Vec<bool>,
    base_live_known: bool,
    /// Per node: an output or an observation.
    root: Vec<bool>,
}

impl Evaluator {
    /// Checks the graph and precomputes its flat form.
    pub fn new(g: &Graph) -> Result<Evaluator, EvalError> {
        check_graph(g)?;
        let n = g.nodes.len();
        let size = |d: crate::DomainId| g.domain(d).size;
        let mut kind = Vec::with_capacity(n);
        let mut arg_start = Vec::with_capacity(n + 1);
        let mut args = Vec::new();
        let mut strides = Vec::new();
        let mut is_static = Vec::with_capacity(n);
        arg_start.push(0);
        for nd in &g.nodes {
            let (k, st) = match &nd.node {
                Node::Input(s) => (Kind::Input(*s), false),
                Node::Hole(h) => (Kind::Hole(h.0), true),
                Node::Const(v) => (Kind::Const(*v), true),
                Node::Apply(t, a) => {
                    let table = g.table(*t);
                    let mut stride = 1u32;
                    let mut st = vec![0u32; a.len()];
                    for k in (0..a.len()).rev() {
                        st[k] = stride;
                        stride = stride.wrapping_mul(size(table.args[k]));
                    }
                    args.extend(a.iter().map(|x| x.0));
                    strides.extend(st);
                    (Kind::Apply(t.0), a.iter().all(|x| is_static[x.0 as usize]))
                }
                Node::Mux(s, cases) => {
                    args.push(s.0);
                    args.extend(cases.iter().map(|x| x.0));
                    strides.extend(std::iter::repeat_n(0, cases.len() + 1));
                    (
                        Kind::Mux,
                        is_static[s.0 as usize] && cases.iter().all(|x| is_static[x.0 as usize]),
                    )
                }
            };
            kind.push(k);
            is_static.push(st);
            arg_start.push(args.len() as u32);
        }
        for (i, c) in g.costs.iter().enumerate() {
            if c.once && !is_static[c.node.0 as usize] {
                return Err(EvalError::Malformed(format!(
                    "cost {i} is marked once but node %{} depends on an input",
                    c.node.0
                )));
            }
        }
        let mut users_start = vec![0u32; n + 1];
        for a in &args {
            users_start[*a as usize + 1] += 1;
        }
        for i in 0..n {
            users_start[i + 1] += users_start[i];
        }
        let mut users = vec![0u32; args.len()];
        let mut fill = users_start.clone();
        for i in 0..n {
            for &a in &args[arg_start[i] as usize..arg_start[i + 1] as usize] {
                users[fill[a as usize] as usize] = i as u32;
                fill[a as usize] += 1;
            }
        }
        let mut hole_nodes_start = vec![0u32; g.holes.len() + 1];
        for k in &kind {
            if let Kind::Hole(h) = k {
                hole_nodes_start[*h as usize + 1] += 1;
            }
        }
        for h in 0..g.holes.len() {
            hole_nodes_start[h + 1] += hole_nodes_start[h];
        }
        let mut hole_nodes = vec![0u32; hole_nodes_start[g.holes.len()] as usize];
        let mut fill = hole_nodes_start.clone();
        for (i, k) in kind.iter().enumerate() {
            if let Kind::Hole(h) = k {
                hole_nodes[fill[*h as usize] as usize] = i as u32;
                fill[*h as usize] += 1;
            }
        }
        let n_args = args.len();
        Ok(Evaluator {
            users_start,
            users,
            hole_nodes_start,
            hole_nodes,
            base: None,
            base_live: vec![false; n],
            base_live_known: false,
            root: {
                let mut root = vec![false; n];
                let nodes = g.outputs.iter().map(|o| o.node);
                for node in nodes.chain(g.observations.iter().map(|o| o.node)) {
                    root[node.0 as usize] = true;
                }
                root
            },
            pending: vec![0; n.div_ceil(64)],
            undo: Vec::new(),
            undo_slots: Vec::new(),
            n_nodes: n,
            n_tables: g.tables.len(),
            n_holes: g.holes.len(),
            kind,
            arg_start,
            args,
            strides,
            is_static,
            hole_size: g.holes.iter().map(|h| size(h.domain)).collect(),
            input_size: g.inputs.iter().map(|s| size(s.domain)).collect(),
            output_node: g.outputs.iter().map(|o| o.node.0).collect(),
            observation_node: g.observations.iter().map(|o| o.node.0).collect(),
            cost_node: g.costs.iter().map(|c| c.node.0).collect(),
            cost_once: g.costs.iter().map(|c| c.once).collect(),
            cost_weights: g.costs.iter().map(|c| c.weights.clone()).collect(),
            loc: vec![0; n],
            scalar: vec![0; n],
            dyn_base: vec![0; n],
            dyn_range: vec![(0, 0); n],
            dyn_args: vec![(0, 0); n_args],
            live: vec![false; n],
            live_list: Vec::new(),
            live_stack: Vec::new(),
            row: vec![0; n],
            prog: Vec::new(),
            prog_args: Vec::new(),
            prog_cases: Vec::new(),
            vals: Vec::new(),
            last_fail: 0,
        })
    }

    /// Whether `node` depends on no input (structurally): its value is the same for every
    /// example once the holes are fixed.
    pub fn is_static(&self, node: crate::NodeId) -> bool {
        self.is_static[node.0 as usize]
    }

    /// Evaluates everything: per-example outputs, failed observations, and the total cost.
    /// Validates the assignment and every example value first.
    pub fn evaluate(
        &mut self,
        g: &Graph,
        holes: &Assignment,
        ex: &Examples,
    ) -> Result<Evaluation, EvalError> {
        self.check_call(g, holes)?;
        validate_examples(g, ex)?;
        let n = effective_len(g, ex);
        self.resolve(g, &holes.0);
        self.mark_live(true);
        self.emit();

        let n_out = self.output_node.len();
        let mut ev = Evaluation {
            passed: vec![true; n],
            outputs: vec![vec![0; n]; n_out],
            failed_observations: vec![Vec::new(); n],
            cost: 0,
            all_passed: true,
        };
        for (c, (&node, &once)) in self.cost_node.iter().zip(&self.cost_once).enumerate() {
            if once {
                // Checked in `new`: a once-cost is static, so it resolved to a value.
                let v = self.loc[node as usize];
                ev.cost = ev.cost.saturating_add(self.cost_weights[c][v as usize]);
            }
        }
        let mut start = 0;
        while start < n {
            let len = LANES.min(n - start);
            self.run_block(g, ex, start, len)?;
            for lane in 0..len {
                let e = start + lane;
                for o in 0..n_out {
                    let v = self.value(self.loc[self.output_node[o] as usize], lane);
                    ev.outputs[o][e] = v;
                    if expected(ex, o, e).is_some_and(|x| x != v) {
                        ev.passed[e] = false;
                    }
                }
                for (k, &node) in self.observation_node.iter().enumerate() {
                    if self.value(self.loc[node as usize], lane) != 1 {
                        ev.failed_observations[e].push(k);
                        ev.passed[e] = false;
                    }
                }
                for (c, (&node, &once)) in self.cost_node.iter().zip(&self.cost_once).enumerate() {
                    if !once {
                        let v = self.value(self.loc[node as usize], lane);
                        ev.cost = ev.cost.saturating_add(self.cost_weights[c][v as usize]);
                    }
                }
            }
            start += len;
        }
        ev.all_passed = ev.passed.iter().all(|&p| p);
        Ok(ev)
    }

    /// Whether the assignment passes every example: the fast path of [`Evaluator::evaluate`]
    /// with early exit and no allocation once warm.
    ///
    /// Checks the assignment fully, the examples' shape, and the input values of the examples
    /// it reaches (so that it never indexes out of bounds); expected values outside their
    /// domain just fail to match. Call [`validate_examples`] once up front to have those
    /// reported.
    pub fn passes_all(
        &mut self,
        g: &Graph,
        holes: &Assignment,
        ex: &Examples,
    ) -> Result<bool, EvalError> {
        self.check_call(g, holes)?;
        check_shape(g, ex)?;
        let n = effective_len(g, ex);
        if n == 0 {
            return Ok(true);
        }
        // Most candidates fail on the example that failed last time: one scalar sweep over the
        // nodes decides that, before any resolution or program is built.
        if self.last_fail >= n {
            self.last_fail = 0;
        }
        if !self.example_passes(g, &holes.0, ex, self.last_fail)? {
            return Ok(false);
        }
        self.resolve(g, &holes.0);
        // Fail fast on what the assignment alone decides.
        for &node in &self.observation_node {
            let l = self.loc[node as usize];
            if l & DYN == 0 && l != 1 {
                return Ok(false);
            }
        }
        for (o, &node) in self.output_node.iter().enumerate() {
            let l = self.loc[node as usize];
            if l & DYN != 0 {
                continue;
            }
            if let Some(col) = ex.expected.get(o) {
                if let Some(e) = col.iter().position(|x| x.is_some_and(|x| x != l)) {
                    self.last_fail = e;
                    return Ok(false);
                }
            }
        }
        self.mark_live(false);
        self.emit();
        let mut start = 0;
        while start < n {
            let len = LANES.min(n - start);
            if !self.block_passes(g, ex, start, len)? {
                return Ok(false);
            }
            start += len;
        }
        Ok(true)
    }

    /// How many checks fail over all examples: every (example, output) whose value differs
    /// from a given expected value, and every (example, observation) that is false. Zero
    /// exactly when [`Evaluator::passes_all`] holds; costs are ignored. The fitness of the
    /// local search (`weft_solve::local`): no allocation once warm, no early exit.
    ///
    /// Checks the assignment and the examples' shape, as [`Evaluator::passes_all`] does.
    pub fn failures(
        &mut self,
        g: &Graph,
        holes: &Assignment,
        ex: &Examples,
    ) -> Result<u64, EvalError> {
        self.check_call(g, holes)?;
        check_shape(g, ex)?;
        self.resolve(g, &holes.0);
        self.count_failures(g, ex)
    }

    /// [`Evaluator::failures`] of an assignment near the *base* one (see
    /// [`Evaluator::move_base`]): only the nodes downstream of the holes that differ from the
    /// base are resolved again, which is what a local search's few-hole moves need.
    ///
    /// `known` is the base's failure count *on these same examples*, when the caller has it:
    /// a move that changes nothing an output or observation reads then returns it without
    /// running the examples. With `keep`, `holes` becomes the base; otherwise the base stays
    /// as it was. Without a base (none set, or another method ran since) `holes` is resolved
    /// in full and becomes one.
    pub fn failures_near(
        &mut self,
        g: &Graph,
        holes: &Assignment,
        ex: &Examples,
        known: Option<u64>,
        keep: bool,
    ) -> Result<u64, EvalError> {
        self.check_call(g, holes)?;
        check_shape(g, ex)?;
        if self.base.is_none() {
            self.resolve(g, &holes.0);
            self.base = Some(holes.0.clone());
            let r = self.count_failures(g, ex);
            self.keep_base_live();
            return r;
        }
        self.resolve_delta(g, &holes.0);
        let unchanged = known.filter(|_| {
            self.base_live_known
                && self
                    .undo
                    .iter()
                    .all(|&(i, ..)| !self.root[i as usize] && !self.base_live[i as usize])
        });
        let r = match unchanged {
            Some(f) => Ok(f),
            None => self.count_failures(g, ex),
        };
        if keep {
            if let Some(b) = &mut self.base {
                b.copy_from_slice(&holes.0);
            }
            // Unchanged: what `live` depends on is unchanged too.
            if unchanged.is_none() {
                self.keep_base_live();
            }
        } else {
            self.restore_base();
        }
        r
    }

    /// Records the `live` flags just computed as the base's.
    fn keep_base_live(&mut self) {
        self.base_live.copy_from_slice(&self.live);
        self.base_live_known = true;
    }

    /// Resolves `holes` in full and keeps it as the base of [`Evaluator::failures_near`].
    fn set_base(&mut self, g: &Graph, holes: &Assignment) -> Result<(), EvalError> {
        self.check_call(g, holes)?;
        self.resolve(g, &holes.0);
        self.base = Some(holes.0.clone());
        Ok(())
    }

    /// Makes `holes` the base, re-resolving only what differs from the current base (in full
    /// when there is none).
    pub fn move_base(&mut self, g: &Graph, holes: &Assignment) -> Result<(), EvalError> {
        if self.base.is_none() {
            self.set_base(g, holes)?;
        } else {
            self.check_call(g, holes)?;
            self.resolve_delta(g, &holes.0);
            if let Some(b) = &mut self.base {
                b.copy_from_slice(&holes.0);
            }
        }
        self.mark_live(false);
        self.keep_base_live();
        Ok(())
    }

    /// The failure count of the resolved assignment (see [`Evaluator::failures`]).
    fn count_failures(&mut self, g: &Graph, ex: &Examples) -> Result<u64, EvalError> {
        let n = effective_len(g, ex);
        if n == 0 {
            return Ok(0);
        }
        let mut failed = 0u64;
        for &node in &self.observation_node {
            let l = self.loc[node as usize];
            if l & DYN == 0 && l != 1 {
                failed += n as u64;
            }
        }
        for (o, &node) in self.output_node.iter().enumerate() {
            let l = self.loc[node as usize];
            if l & DYN != 0 {
                continue;
            }
            if let Some(col) = ex.expected.get(o) {
                failed += col.iter().filter(|x| x.is_some_and(|x| x != l)).count() as u64;
            }
        }
        self.mark_live(false);
        self.emit();
        let mut start = 0;
        while start < n {
            let len = LANES.min(n - start);
            self.run_block(g, ex, start, len)?;
            for &node in &self.observation_node {
                let l = self.loc[node as usize];
                if l & DYN != 0 {
                    let r = self.row[(l & !DYN) as usize] as usize * LANES;
                    failed += self.vals[r..r + len].iter().filter(|&&v| v != 1).count() as u64;
                }
            }
            for (o, &node) in self.output_node.iter().enumerate() {
                let l = self.loc[node as usize];
                if l & DYN == 0 {
                    continue;
                }
                let Some(col) = ex.expected.get(o).and_then(|c| c.get(start..start + len)) else {
                    continue; // The virtual empty example of an input-less sketch.
                };
                let r = self.row[(l & !DYN) as usize] as usize * LANES;
                failed += col
                    .iter()
                    .zip(&self.vals[r..r + len])
                    .filter(|(x, &v)| x.is_some_and(|x| x != v))
                    .count() as u64;
            }
            start += len;
        }
        Ok(failed)
    }

    /// The value of every node on one example, by a naive forward sweep (the reference the
    /// batched paths are tested against). `inputs` has one value per input slot.
    pub fn trace(
        &self,
        g: &Graph,
        holes: &Assignment,
        inputs: &[u32],
    ) -> Result<Vec<u32>, EvalError> {
        self.check_call(g, holes)?;
        if inputs.len() != self.input_size.len() {
            return Err(EvalError::ExampleColumns {
                what: "input",
                expected: self.input_size.len(),
                got: inputs.len(),
            });
        }
        for (s, (&v, &size)) in inputs.iter().zip(&self.input_size).enumerate() {
            if v >= size {
                return Err(EvalError::ExampleValue {
                    example: 0,
                    origin: String::new(),
                    slot: g.inputs[s].name.clone(),
                    value: v,
                    domain: g.domain(g.inputs[s].domain).to_string(),
                });
            }
        }
        let mut val = Vec::with_capacity(self.n_nodes);
        for nd in &g.nodes {
            let v = match &nd.node {
                Node::Input(s) => inputs[*s as usize],
                Node::Hole(h) => holes.0[h.0 as usize],
                Node::Const(v) => *v,
                Node::Apply(t, args) => {
                    let table = g.table(*t);
                    let mut idx = 0usize;
                    for (a, d) in args.iter().zip(&table.args) {
                        idx = idx * g.domain(*d).size as usize + val[a.0 as usize] as usize;
                    }
                    table.data[idx]
                }
                Node::Mux(s, cases) => val[cases[val[s.0 as usize] as usize].0 as usize],
            };
            val.push(v);
        }
        Ok(val)
    }

    fn check_call(&self, g: &Graph, holes: &Assignment) -> Result<(), EvalError> {
        self.check_graph_shape(g)?;
        if holes.0.len() != self.n_holes {
            return Err(EvalError::AssignmentLength {
                expected: self.n_holes,
                got: holes.0.len(),
            });
        }
        for (h, (&v, &size)) in holes.0.iter().zip(&self.hole_size).enumerate() {
            if v >= size {
                return Err(EvalError::HoleValue {
                    hole: g.holes[h].name.clone(),
                    value: v,
                    domain: g.domain(g.holes[h].domain).to_string(),
                });
            }
        }
        Ok(())
    }

    fn check_graph_shape(&self, g: &Graph) -> Result<(), EvalError> {
        // `g` must be the graph given to `new`: evaluation reads table entries from it at
        // indices computed from the evaluator's own copy. This cheap fingerprint catches
        // passing another graph altogether; one of exactly the same shape goes undetected.
        if g.nodes.len() != self.n_nodes
            || g.tables.len() != self.n_tables
            || g.holes.len() != self.n_holes
            || g.inputs.len() != self.input_size.len()
            || g.outputs.len() != self.output_node.len()
        {
            return Err(EvalError::GraphMismatch {
                expected: self.n_nodes,
                got: g.nodes.len(),
            });
        }
        Ok(())
    }

    /// Whether example `e` passes, by one scalar forward sweep over all nodes.
    fn example_passes(
        &mut self,
        g: &Graph,
        holes: &[u32],
        ex: &Examples,
        e: usize,
    ) -> Result<bool, EvalError> {
        for i in 0..self.n_nodes {
            let (s, end) = (self.arg_start[i] as usize, self.arg_start[i + 1] as usize);
            self.scalar[i] = match self.kind[i] {
                Kind::Input(slot) => {
                    let v = ex.inputs[slot as usize][e];
                    if v >= self.input_size[slot as usize] {
                        return Err(example_value_error(g, ex, slot as usize, e));
                    }
                    v
                }
                Kind::Hole(h) => holes[h as usize],
                Kind::Const(v) => v,
                Kind::Apply(t) => {
                    let mut idx = 0u32;
                    for k in s..end {
                        idx += self.scalar[self.args[k] as usize] * self.strides[k];
                    }
                    g.tables[t as usize].data[idx as usize]
                }
                Kind::Mux => {
                    let sel = self.scalar[self.args[s] as usize] as usize;
                    self.scalar[self.args[s + 1 + sel] as usize]
                }
            };
        }
        let obs_ok = self
            .observation_node
            .iter()
            .all(|&n| self.scalar[n as usize] == 1);
        let out_ok = self
            .output_node
            .iter()
            .enumerate()
            .all(|(o, &n)| expected(ex, o, e).is_none_or(|x| x == self.scalar[n as usize]));
        Ok(obs_ok && out_ok)
    }

    /// Forward sweep: the location of every node under this assignment.
    fn resolve(&mut self, g: &Graph, holes: &[u32]) {
        self.base = None;
        self.base_live_known = false;
        for i in 0..self.n_nodes {
            self.loc[i] = self.resolve_node(g, holes, i);
        }
    }

    /// The location of node `i` from its arguments' (an example-dependent `Apply` also
    /// records its base offset and its example-dependent arguments, in its own slots of
    /// `dyn_args`: the slots of its arguments in `args`).
    #[inline(always)]
    fn resolve_node(&mut self, g: &Graph, holes: &[u32], i: usize) -> u32 {
        let (s, e) = (self.arg_start[i] as usize, self.arg_start[i + 1] as usize);
        match self.kind[i] {
            Kind::Input(_) => DYN | i as u32,
            Kind::Hole(h) => holes[h as usize],
            Kind::Const(v) => v,
            Kind::Apply(t) => {
                let mut base = 0u32;
                let mut end = s;
                for k in s..e {
                    let a = self.loc[self.args[k] as usize];
                    if a & DYN == 0 {
                        base += a * self.strides[k];
                    } else {
                        self.dyn_args[end] = (a & !DYN, self.strides[k]);
                        end += 1;
                    }
                }
                if end == s {
                    g.tables[t as usize].data[base as usize]
                } else {
                    self.dyn_base[i] = base;
                    self.dyn_range[i] = (s as u32, end as u32);
                    DYN | i as u32
                }
            }
            Kind::Mux => {
                let sel = self.loc[self.args[s] as usize];
                if sel & DYN == 0 {
                    self.loc[self.args[s + 1 + sel as usize] as usize]
                } else {
                    DYN | i as u32
                }
            }
        }
    }

    /// Re-resolves, from the base, only the nodes whose arguments' locations change when
    /// the base assignment becomes `holes` (recording what they were, to restore the base
    /// with [`Evaluator::restore_base`]).
    fn resolve_delta(&mut self, g: &Graph, holes: &[u32]) {
        self.undo.clear();
        self.undo_slots.clear();
        let Some(base) = self.base.take() else {
            unreachable!("resolve_delta needs a base");
        };
        for (h, (&v, &b)) in holes.iter().zip(&base).enumerate() {
            if v != b {
                self.queue_hole(h);
            }
        }
        self.base = Some(base);
        // Users come after what they read, so one pass in node order sees every change.
        for w in 0..self.pending.len() {
            while self.pending[w] != 0 {
                let bit = self.pending[w].trailing_zeros() as usize;
                self.pending[w] &= self.pending[w] - 1;
                let i = w * 64 + bit;
                let (old, new) = self.reresolve(g, holes, i);
                if new != old {
                    let (s, e) = (
                        self.users_start[i] as usize,
                        self.users_start[i + 1] as usize,
                    );
                    for &u in &self.users[s..e] {
                        self.pending[u as usize / 64] |= 1 << (u % 64);
                    }
                }
            }
        }
    }

    /// Queues the nodes of hole `h` for resolution (in `pending`).
    #[inline]
    fn queue_hole(&mut self, h: usize) {
        let (s, e) = (self.hole_nodes_start[h], self.hole_nodes_start[h + 1]);
        for &node in &self.hole_nodes[s as usize..e as usize] {
            self.pending[node as usize / 64] |= 1 << (node % 64);
        }
    }

    /// Resolves node `i` again under `holes`, logging what it was for
    /// [`Evaluator::restore_base`]; returns its location before and after.
    #[inline(always)]
    fn reresolve(&mut self, g: &Graph, holes: &[u32], i: usize) -> (u32, u32) {
        let old = self.loc[i];
        self.undo
            .push((i as u32, old, self.dyn_base[i], self.dyn_range[i]));
        if matches!(self.kind[i], Kind::Apply(_)) {
            let (s, e) = (self.arg_start[i] as usize, self.arg_start[i + 1] as usize);
            self.undo_slots.extend_from_slice(&self.dyn_args[s..e]);
        }
        let new = self.resolve_node(g, holes, i);
        self.loc[i] = new;
        (old, new)
    }

    /// Undoes [`Evaluator::resolve_delta`]: the locations are the base's again.
    fn restore_base(&mut self) {
        let mut slots = self.undo_slots.len();
        while let Some((i, loc, base, range)) = self.undo.pop() {
            let i = i as usize;
            self.loc[i] = loc;
            self.dyn_base[i] = base;
            self.dyn_range[i] = range;
            if matches!(self.kind[i], Kind::Apply(_)) {
                let (s, e) = (self.arg_start[i] as usize, self.arg_start[i + 1] as usize);
                slots -= e - s;
                self.dyn_args[s..e].copy_from_slice(&self.undo_slots[slots..slots + e - s]);
            }
        }
    }

    /// Backward search: which example-dependent nodes the outputs and observations (and the
    /// per-example costs, when `costs`) read. Visits only those nodes (a worklist from the
    /// roots), so its cost follows the program that runs, not the graph.
    fn mark_live(&mut self, costs: bool) {
        for &i in &self.live_list {
            self.live[i as usize] = false;
        }
        self.live_list.clear();
        let mut stack = std::mem::take(&mut self.live_stack);
        stack.clear();
        let roots = self.output_node.iter().chain(&self.observation_node);
        let cost_roots = self
            .cost_node
            .iter()
            .zip(&self.cost_once)
            .filter(|&(_, &once)| costs && !once)
            .map(|(n, _)| n);
        for &r in roots.chain(cost_roots) {
            let l = self.loc[r as usize];
            if l & DYN != 0 {
                stack.push(l & !DYN);
            }
        }
        while let Some(i) = stack.pop() {
            let i = i as usize;
            if self.live[i] {
                continue;
            }
            self.live[i] = true;
            self.live_list.push(i as u32);
            match self.kind[i] {
                Kind::Apply(_) => {
                    let (s, e) = self.dyn_range[i];
                    for k in s..e {
                        stack.push(self.dyn_args[k as usize].0);
                    }
                }
                Kind::Mux => {
                    let (s, e) = (self.arg_start[i] as usize, self.arg_start[i + 1] as usize);
                    for k in s..e {
                        let l = self.loc[self.args[k] as usize];
                        if l & DYN != 0 {
                            stack.push(l & !DYN);
                        }
                    }
                }
                // Only example-dependent nodes are ever marked, and those are inputs,
                // applications and multiplexers.
                Kind::Input(_) | Kind::Hole(_) | Kind::Const(_) => {}
            }
        }
        self.live_list.sort_unstable();
        self.live_stack = stack;
    }

    /// Emits the live example-dependent nodes as a program over rows.
    fn emit(&mut self) {
        self.prog.clear();
        self.prog_args.clear();
        self.prog_cases.clear();
        let mut rows = 0u32;
        for li in 0..self.live_list.len() {
            let i = self.live_list[li] as usize;
            let dst = rows;
            self.row[i] = dst;
            rows += 1;
            let op = match self.kind[i] {
                Kind::Input(slot) => Op::Input { slot, dst },
                Kind::Apply(table) => {
                    let start = self.prog_args.len() as u32;
                    let (s, e) = self.dyn_range[i];
                    for k in s..e {
                        let (node, stride) = self.dyn_args[k as usize];
                        self.prog_args.push((self.row[node as usize], stride));
                    }
                    Op::Apply {
                        table,
                        base: self.dyn_base[i],
                        args: (start, self.prog_args.len() as u32),
                        dst,
                    }
                }
                Kind::Mux => {
                    let (s, e) = (self.arg_start[i] as usize, self.arg_start[i + 1] as usize);
                    let sel = self.row[(self.loc[self.args[s] as usize] & !DYN) as usize];
                    let start = self.prog_cases.len() as u32;
                    for k in s + 1..e {
                        let l = self.loc[self.args[k] as usize];
                        self.prog_cases.push(if l & DYN != 0 {
                            DYN | self.row[(l & !DYN) as usize]
                        } else {
                            l
                        });
                    }
                    Op::Mux {
                        sel,
                        cases: (start, self.prog_cases.len() as u32),
                        dst,
                    }
                }
                Kind::Hole(_) | Kind::Const(_) => unreachable!("static nodes are never live"),
            };
            self.prog.push(op);
        }
        let need = rows as usize * LANES;
        if self.vals.len() < need {
            self.vals.resize(need, 0);
        }
    }

    /// Runs the emitted program on examples `start..start + len` (`len <= LANES`).
    fn run_block(
        &mut self,
        g: &Graph,
        ex: &Examples,
        start: usize,
        len: usize,
    ) -> Result<(), EvalError> {
        let mut idx = [0u32; LANES];
        for op in &self.prog {
            match *op {
                Op::Input { slot, dst } => {
                    let col = &ex.inputs[slot as usize][start..start + len];
                    let size = self.input_size[slot as usize];
                    if let Some(bad) = col.iter().position(|&v| v >= size) {
                        return Err(example_value_error(g, ex, slot as usize, start + bad));
                    }
                    let d = dst as usize * LANES;
                    self.vals[d..d + len].copy_from_slice(col);
                }
                Op::Apply {
                    table,
                    base,
                    args,
                    dst,
                } => {
                    let idx = &mut idx[..len];
                    idx.fill(base);
                    for &(row, stride) in &self.prog_args[args.0 as usize..args.1 as usize] {
                        let r = row as usize * LANES;
                        for (x, &v) in idx.iter_mut().zip(&self.vals[r..r + len]) {
                            *x += v * stride;
                        }
                    }
                    let data = &g.tables[table as usize].data;
                    let d = dst as usize * LANES;
                    for (out, &x) in self.vals[d..d + len].iter_mut().zip(idx.iter()) {
                        *out = data[x as usize];
                    }
                }
                Op::Mux { sel, cases, dst } => {
                    let cases = &self.prog_cases[cases.0 as usize..cases.1 as usize];
                    let (s, d) = (sel as usize * LANES, dst as usize * LANES);
                    for lane in 0..len {
                        let c = cases[self.vals[s + lane] as usize];
                        self.vals[d + lane] = if c & DYN != 0 {
                            self.vals[(c & !DYN) as usize * LANES + lane]
                        } else {
                            c
                        };
                    }
                }
            }
        }
        Ok(())
    }

    /// Runs one block and checks its outputs and observations; records the first failure.
    fn block_passes(
        &mut self,
        g: &Graph,
        ex: &Examples,
        start: usize,
        len: usize,
    ) -> Result<bool, EvalError> {
        self.run_block(g, ex, start, len)?;
        for &node in &self.observation_node {
            let l = self.loc[node as usize];
            if l & DYN == 0 {
                continue;
            }
            let r = self.row[(l & !DYN) as usize] as usize * LANES;
            if let Some(lane) = self.vals[r..r + len].iter().position(|&v| v != 1) {
                self.last_fail = start + lane;
                return Ok(false);
            }
        }
        for (o, &node) in self.output_node.iter().enumerate() {
            let l = self.loc[node as usize];
            if l & DYN == 0 {
                continue; // Checked against every example before the blocks.
            }
            let Some(col) = ex.expected.get(o) else {
                continue;
            };
            let Some(col) = col.get(start..start + len) else {
                continue; // The virtual empty example of an input-less sketch.
            };
            let r = self.row[(l & !DYN) as usize] as usize * LANES;
            let vals = &self.vals[r..r + len];
            if let Some(lane) = col
                .iter()
                .zip(vals)
                .position(|(x, &v)| x.is_some_and(|x| x != v))
            {
                self.last_fail = start + lane;
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The value of a resolved location on one lane of the current block.
    fn value(&self, loc: u32, lane: usize) -> u32 {
        if loc & DYN != 0 {
            self.vals[self.row[(loc & !DYN) as usize] as usize * LANES + lane]
        } else {
            loc
        }
    }
}

/// The number of examples evaluated: `ex.len()`, or one empty example for a graph without
/// input slots and without examples.
fn effective_len(g: &Graph, ex: &Examples) -> usize {
    if g.inputs.is_empty() && ex.is_empty() {
        1
    } else {
        ex.len()
    }
}

fn expected(ex: &Examples, output: usize, example: usize) -> Option<u32> {
    ex.expected
        .get(output)
        .and_then(|c| c.get(example))
        .copied()
        .flatten()
}

/// Checks the number of columns and their lengths against the graph and `ex.len()`.
fn check_shape(g: &Graph, ex: &Examples) -> Result<(), EvalError> {
    if ex.inputs.len() != g.inputs.len() {
        return Err(EvalError::ExampleColumns {
            what: "input",
            expected: g.inputs.len(),
            got: ex.inputs.len(),
        });
    }
    if ex.expected.len() != g.outputs.len() {
        return Err(EvalError::ExampleColumns {
            what: "output",
            expected: g.outputs.len(),
            got: ex.expected.len(),
        });
    }
    let n = ex.len();
    for (s, col) in ex.inputs.iter().enumerate() {
        if col.len() != n {
            return Err(EvalError::ColumnLength {
                what: "input",
                slot: g.inputs[s].name.clone(),
                expected: n,
                got: col.len(),
            });
        }
    }
    for (o, col) in ex.expected.iter().enumerate() {
        if col.len() != n {
            return Err(EvalError::ColumnLength {
                what: "output",
                slot: g.outputs[o].slot.name.clone(),
                expected: n,
                got: col.len(),
            });
        }
    }
    Ok(())
}

fn example_value_error(g: &Graph, ex: &Examples, slot: usize, example: usize) -> EvalError {
    let s = &g.inputs[slot];
    EvalError::ExampleValue {
        example,
        origin: origin(ex, example),
        slot: s.name.clone(),
        value: ex.inputs[slot][example],
        domain: g.domain(s.domain).to_string(),
    }
}

fn origin(ex: &Examples, example: usize) -> String {
    ex.origins
        .get(example)
        .filter(|o| !o.is_empty())
        .map(|o| format!(" ({o})"))
        .unwrap_or_default()
}

/// Checks that the examples fit the graph: one column per input and output slot, every column
/// `ex.len()` long, and every value (input or expected) inside its slot's domain.
pub fn validate_examples(g: &Graph, ex: &Examples) -> Result<(), EvalError> {
    check_shape(g, ex)?;
    for (s, col) in ex.inputs.iter().enumerate() {
        let size = g.domain(g.inputs[s].domain).size;
        if let Some(e) = col.iter().position(|&v| v >= size) {
            return Err(example_value_error(g, ex, s, e));
        }
    }
    for (o, col) in ex.expected.iter().enumerate() {
        let slot = &g.outputs[o].slot;
        let size = g.domain(slot.domain).size;
        if let Some(e) = col.iter().position(|v| v.is_some_and(|v| v >= size)) {
            return Err(EvalError::ExampleValue {
                example: e,
                origin: origin(ex, e),
                slot: slot.name.clone(),
                value: col[e].unwrap_or_default(),
                domain: g.domain(slot.domain).to_string(),
            });
        }
    }
    check_cost_range(g, ex)
}

/// Refuses a graph whose total cost could overflow `i64` over these examples (a sketch without
/// inputs has one implicit example), so that no solver or evaluator sums it silently wrong.
pub fn check_cost_range(g: &Graph, ex: &Examples) -> Result<(), EvalError> {
    let examples = if g.inputs.is_empty() {
        ex.len().max(1)
    } else {
        ex.len()
    };
    let (min, max) = g.cost_bounds(examples);
    if i64::try_from(min).is_ok() && i64::try_from(max).is_ok() {
        return Ok(());
    }
    Err(EvalError::CostRange {
        min,
        max,
        costs: g.costs.len(),
        examples,
    })
}

/// Checks everything evaluation relies on, so that it cannot index out of bounds.
fn check_graph(g: &Graph) -> Result<(), EvalError> {
    let bad = |m: String| Err(EvalError::Malformed(m));
    let nd = g.domains.len();
    for (i, d) in g.domains.iter().enumerate() {
        if d.size >= DYN {
            return bad(format!(
                "domain {i} has {} values (at most 2^31 - 1)",
                d.size
            ));
        }
    }
    // What is checked is named only when it fails (`what` builds the name): formatting a
    // name for every node up front was half the cost of `Evaluator::new`.
    let dom = |d: crate::DomainId, what: &dyn Fn() -> String| -> Result<u32, EvalError> {
        match g.domains.get(d.0 as usize) {
            Some(x) => Ok(x.size),
            None => Err(EvalError::Malformed(format!(
                "{} has domain {} but there are {nd} domains",
                what(),
                d.0
            ))),
        }
    };
    for (t, table) in g.tables.iter().enumerate() {
        let what = || format!("table {t} ({})", table.name);
        let mut len = 1u64;
        for &a in &table.args {
            len = len.saturating_mul(dom(a, &what)? as u64);
        }
        let out = dom(table.out, &what)?;
        if len != table.data.len() as u64 || len >= DYN as u64 {
            return bad(format!(
                "{} has {} entries for an argument space of {len}",
                what(),
                table.data.len()
            ));
        }
        if let Some(v) = table.data.iter().find(|&&v| v >= out) {
            return bad(format!(
                "{} has entry {v} outside its output domain",
                what()
            ));
        }
    }
    for (h, hole) in g.holes.iter().enumerate() {
        dom(hole.domain, &|| format!("hole {h}"))?;
    }
    for (s, slot) in g.inputs.iter().enumerate() {
        dom(slot.domain, &|| format!("input slot {s}"))?;
    }
    for (i, n) in g.nodes.iter().enumerate() {
        let what = || format!("node %{i}");
        let size = dom(n.domain, &what)?;
        let arg = |a: crate::NodeId| -> Result<u32, EvalError> {
            if (a.0 as usize) < i {
                Ok(g.domains[g.nodes[a.0 as usize].domain.0 as usize].size)
            } else {
                Err(EvalError::Malformed(format!(
                    "node %{i} reads %{} (nodes must be in topological order)",
                    a.0
                )))
            }
        };
        match &n.node {
            Node::Input(s) => match g.inputs.get(*s as usize) {
                Some(slot) if g.domain(slot.domain).size == size => {}
                Some(_) => return bad(format!("{}: input slot {s} has another domain", what())),
                None => return bad(format!("{}: no input slot {s}", what())),
            },
            Node::Hole(h) => match g.holes.get(h.0 as usize) {
                Some(hole) if g.domain(hole.domain).size == size => {}
                Some(_) => return bad(format!("{}: hole {} has another domain", what(), h.0)),
                None => return bad(format!("{}: no hole {}", what(), h.0)),
            },
            Node::Const(v) => {
                if *v >= size {
                    return bad(format!("{}: constant {v} outside its domain", what()));
                }
            }
            Node::Apply(t, args) => {
                let Some(table) = g.tables.get(t.0 as usize) else {
                    return bad(format!("{}: no table {}", what(), t.0));
                };
                if table.args.len() != args.len() {
                    return bad(format!(
                        "{}: {} arguments for table {} of arity {}",
                        what(),
                        args.len(),
                        t.0,
                        table.args.len()
                    ));
                }
                for (&a, &d) in args.iter().zip(&table.args) {
                    if arg(a)? != g.domain(d).size {
                        return bad(format!(
                            "{}: argument %{} does not fit table {}",
                            what(),
                            a.0,
                            t.0
                        ));
                    }
                }
                if g.domain(table.out).size != size {
                    return bad(format!(
                        "{}: table {} has another output domain",
                        what(),
                        t.0
                    ));
                }
            }
            Node::Mux(s, cases) => {
                if arg(*s)? as usize != cases.len() {
                    return bad(format!(
                        "{}: {} cases for a selector with {} values",
                        what(),
                        cases.len(),
                        arg(*s)?
                    ));
                }
                for &c in cases {
                    if arg(c)? != size {
                        return bad(format!("{}: case %{} has another domain", what(), c.0));
                    }
                }
            }
        }
    }
    let node_size = |id: crate::NodeId, what: &dyn Fn() -> String| -> Result<u32, EvalError> {
        match g.nodes.get(id.0 as usize) {
            Some(n) => Ok(g.domain(n.domain).size),
            None => Err(EvalError::Malformed(format!(
                "{}: no node %{}",
                what(),
                id.0
            ))),
        }
    };
    for (o, out) in g.outputs.iter().enumerate() {
        let what = format!("output {o} ({})", out.slot.name);
        let size = node_size(out.node, &|| what.clone())?;
        if dom(out.slot.domain, &|| what.clone())? != size {
            return bad(format!("{what}: slot and node domains differ"));
        }
    }
    for (k, obs) in g.observations.iter().enumerate() {
        if node_size(obs.node, &|| format!("observation {k}"))? != 2 {
            return bad(format!("observation {k}: node %{} is not bool", obs.node.0));
        }
    }
    for (c, cost) in g.costs.iter().enumerate() {
        let size = node_size(cost.node, &|| format!("cost {c}"))?;
        if cost.weights.len() != size as usize {
            return bad(format!(
                "cost {c}: {} weights for a domain of {size} values",
                cost.weights.len()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Builder, Domain, Slot, SrcSpan};

    fn slot(name: &str, domain: crate::DomainId) -> Slot {
        Slot {
            name: name.into(),
            decl: name.into(),
            index: vec![],
            domain,
        }
    }

    /// `out = x + h` over 0..4 (mod 4), `observe out != 3`, cost `h` once.
    fn adder() -> Graph {
        let mut b = Builder::new("adder");
        let d = b.domain(Domain::range(0, 4));
        let bd = b.bool_domain();
        let x = b.input(slot("x", d));
        let h = b.hole_decl("h", vec![], d, SrcSpan::default())[0];
        let sum = b.apply_fn("+", &[x, h], d, |v| (v[0] + v[1]) % 4);
        let ne = b.apply_fn("!=", &[sum], bd, |v| u32::from(v[0] != 3));
        b.output(slot("out", d), sum);
        b.observe(ne, SrcSpan::default());
        b.cost(h, vec![0, 1, 2, 3], SrcSpan::default());
        b.finish()
    }

    fn examples(rows: &[(u32, Option<u32>)]) -> Examples {
        let mut ex = Examples::with_slots(1, 1);
        for (i, &(x, y)) in rows.iter().enumerate() {
            ex.push(&[x], &[y], format!("row {i}"));
        }
        ex
    }

    #[test]
    fn evaluates_outputs_observations_and_cost() {
        let g = adder();
        let mut ev = Evaluator::new(&g).unwrap();
        let ex = examples(&[(0, Some(1)), (1, Some(2)), (2, None)]);
        let r = ev.evaluate(&g, &Assignment(vec![1]), &ex).unwrap();
        assert_eq!(r.outputs, vec![vec![1, 2, 3]]);
        assert_eq!(r.passed, vec![true, true, false]);
        assert_eq!(r.failed_observations, vec![vec![], vec![], vec![0]]);
        assert_eq!(r.cost, 1);
        assert!(!r.all_passed);
        assert_eq!(r.first_failure(), Some(2));
        assert!(!ev.passes_all(&g, &Assignment(vec![1]), &ex).unwrap());
        let ok = examples(&[(0, Some(1)), (1, None)]);
        assert!(ev.passes_all(&g, &Assignment(vec![1]), &ok).unwrap());
        assert!(!ev.passes_all(&g, &Assignment(vec![2]), &ok).unwrap());
    }

    #[test]
    fn rejects_bad_assignments_and_examples() {
        let g = adder();
        let mut ev = Evaluator::new(&g).unwrap();
        let ex = examples(&[(0, Some(1))]);
        assert_eq!(
            ev.passes_all(&g, &Assignment(vec![]), &ex),
            Err(EvalError::AssignmentLength {
                expected: 1,
                got: 0
            })
        );
        assert!(matches!(
            ev.evaluate(&g, &Assignment(vec![4]), &ex),
            Err(EvalError::HoleValue { value: 4, .. })
        ));
        let bad_input = examples(&[(0, Some(1)), (7, Some(1))]);
        let err = ev
            .evaluate(&g, &Assignment(vec![1]), &bad_input)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "example 1 (row 1): x has value index 7, outside its domain 0..4"
        );
        // The fast path finds it too, once it reaches that example.
        assert!(ev.passes_all(&g, &Assignment(vec![1]), &bad_input).is_err());
        let bad_expected = examples(&[(0, Some(9))]);
        assert!(ev
            .evaluate(&g, &Assignment(vec![1]), &bad_expected)
            .is_err());
        let mut short = examples(&[(0, Some(1))]);
        short.inputs[0].clear();
        assert!(matches!(
            ev.passes_all(&g, &Assignment(vec![1]), &short),
            Err(EvalError::ColumnLength { .. })
        ));
        assert!(matches!(
            ev.passes_all(&g, &Assignment(vec![1]), &Examples::default()),
            Err(EvalError::ExampleColumns { .. })
        ));
        let other = Graph::default();
        assert!(matches!(
            ev.evaluate(&other, &Assignment(vec![]), &Examples::default()),
            Err(EvalError::GraphMismatch { .. })
        ));
    }

    #[test]
    fn rejects_malformed_graphs() {
        let mut g = adder();
        g.nodes.swap(0, 3);
        assert!(matches!(Evaluator::new(&g), Err(EvalError::Malformed(_))));
        let mut g = adder();
        g.tables[0].data[0] = 99;
        assert!(matches!(Evaluator::new(&g), Err(EvalError::Malformed(_))));
        let mut g = adder();
        g.costs[0].weights.pop();
        assert!(matches!(Evaluator::new(&g), Err(EvalError::Malformed(_))));
    }

    #[test]
    fn many_examples_span_blocks_and_fail_late() {
        let g = adder();
        let mut ev = Evaluator::new(&g).unwrap();
        let rows: Vec<(u32, Option<u32>)> = (0..200).map(|i| (i % 2, Some((i % 2) + 1))).collect();
        let mut ex = examples(&rows);
        assert!(ev.passes_all(&g, &Assignment(vec![1]), &ex).unwrap());
        ex.expected[0][150] = Some(0);
        assert!(!ev.passes_all(&g, &Assignment(vec![1]), &ex).unwrap());
        assert_eq!(ev.last_fail, 150);
        let r = ev.evaluate(&g, &Assignment(vec![1]), &ex).unwrap();
        assert_eq!(r.first_failure(), Some(150));
        assert_eq!(r.cost, 1);
    }

    #[test]
    fn trace_matches_evaluate() {
        let g = adder();
        let ev = Evaluator::new(&g).unwrap();
        let vals = ev.trace(&g, &Assignment(vec![3]), &[2]).unwrap();
        assert_eq!(vals[g.outputs[0].node.0 as usize], 1);
    }
}
