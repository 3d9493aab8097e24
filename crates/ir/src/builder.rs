//! Building a [`Graph`] with folding as you go: constants propagate through tables and
//! multiplexers, tables applied to some constant arguments are specialised into smaller tables,
//! arguments a table ignores are dropped, and identical nodes are shared (hash-consing).
//!
//! A key design decision: simplification happens *here*, once, for every front end. The
//! sketch lowering stays naive (it emits a multiplexer for every runtime read) and the graph
//! that solvers see is still small. Specialising a partially applied table is also what makes
//! holes that cannot matter visible: `apply(Not, a, b)` loses its dependency on `b`.

use std::collections::HashMap;

use crate::domain::{Domain, DomainId};
use crate::graph::{
    split_call, Cost, Graph, Hole, HoleDecl, HoleId, Node, NodeData, NodeId, Observation, Output,
    Slot, SrcSpan, Table, TableId,
};

/// The sizes of a [`Builder`]'s graph at one point ([`Builder::mark`]).
#[derive(Clone, Copy, Debug)]
pub struct Mark {
    nodes: usize,
    tables: usize,
    holes: usize,
    hole_decls: usize,
    outputs: usize,
    observations: usize,
    costs: usize,
}

#[derive(Default)]
pub struct Builder {
    g: Graph,
    domain_ids: HashMap<Domain, DomainId>,
    /// Tables are shared by name *and* data, so that `min` and `&&` over bools stay apart in dumps.
    table_ids: HashMap<(String, Vec<DomainId>, DomainId, Vec<u32>), TableId>,
    node_ids: HashMap<(Node, DomainId), NodeId>,
    /// Per node: whether an input is reachable from it (kept as nodes are pushed).
    input_dep: Vec<bool>,
    /// Per table: `true` once it is known that, applied to non-constant arguments, it
    /// simplifies no further (no ignored argument, not constant, not an identity) — so that
    /// repeated applications skip the table scan.
    irreducible: HashMap<TableId, bool>,
}

impl Builder {
    pub fn new(name: impl Into<String>) -> Builder {
        let mut b = Builder::default();
        b.g.name = name.into();
        b
    }

    /// A point to come back to with [`Builder::rollback`].
    pub fn mark(&self) -> Mark {
        Mark {
            nodes: self.g.nodes.len(),
            tables: self.g.tables.len(),
            holes: self.g.holes.len(),
            hole_decls: self.g.hole_decls.len(),
            outputs: self.g.outputs.len(),
            observations: self.g.observations.len(),
            costs: self.g.costs.len(),
        }
    }

    /// Forgets every node, table, hole, output, observation and cost added since `m`, as if
    /// they had never been built (names given since to older nodes stay). Used to try
    /// variants of a large graph without rebuilding it.
    pub fn rollback(&mut self, m: Mark) {
        for nd in self.g.nodes.drain(m.nodes..) {
            self.node_ids.remove(&(nd.node, nd.domain));
        }
        self.input_dep.truncate(m.nodes);
        for t in self.g.tables.drain(m.tables..) {
            self.table_ids.remove(&(t.name, t.args, t.out, t.data));
        }
        self.irreducible.retain(|t, _| (t.0 as usize) < m.tables);
        self.g.holes.truncate(m.holes);
        self.g.hole_decls.truncate(m.hole_decls);
        self.g.outputs.truncate(m.outputs);
        self.g.observations.truncate(m.observations);
        self.g.costs.truncate(m.costs);
    }

    /// The graph built so far (for reading domains, tables and nodes while building).
    pub fn graph(&self) -> &Graph {
        &self.g
    }

    pub fn finish(self) -> Graph {
        self.g
    }

    pub fn set_params(&mut self, params: Vec<(String, i64)>) {
        self.g.params = params;
    }

    pub fn domain(&mut self, d: Domain) -> DomainId {
        if let Some(&id) = self.domain_ids.get(&d) {
            return id;
        }
        let id = DomainId(self.g.domains.len() as u32);
        self.g.domains.push(d.clone());
        self.domain_ids.insert(d, id);
        id
    }

    pub fn bool_domain(&mut self) -> DomainId {
        self.domain(Domain::bool())
    }

    /// Interns a table; `data.len()` must be the product of the argument domain sizes and every
    /// entry must lie in `out`.
    pub fn table(
        &mut self,
        name: impl Into<String>,
        args: Vec<DomainId>,
        out: DomainId,
        data: Vec<u32>,
    ) -> TableId {
        debug_assert_eq!(
            data.len(),
            args.iter()
                .map(|&a| self.g.domain(a).size as usize)
                .product::<usize>()
        );
        let key = (name.into(), args, out, data);
        if let Some(&id) = self.table_ids.get(&key) {
            return id;
        }
        let id = TableId(self.g.tables.len() as u32);
        self.g.tables.push(Table {
            name: key.0.clone(),
            args: key.1.clone(),
            out: key.2,
            data: key.3.clone(),
        });
        self.table_ids.insert(key, id);
        id
    }

    fn push(&mut self, node: Node, domain: DomainId) -> NodeId {
        let key = (node, domain);
        if let Some(&id) = self.node_ids.get(&key) {
            return id;
        }
        let id = NodeId(self.g.nodes.len() as u32);
        let dep = match &key.0 {
            Node::Input(_) => true,
            Node::Hole(_) | Node::Const(_) => false,
            Node::Apply(_, args) => args.iter().any(|a| self.input_dep[a.0 as usize]),
            Node::Mux(s, cases) => {
                self.input_dep[s.0 as usize] || cases.iter().any(|c| self.input_dep[c.0 as usize])
            }
        };
        self.input_dep.push(dep);
        self.g.nodes.push(NodeData {
            node: key.0.clone(),
            domain,
            name: None,
        });
        self.node_ids.insert(key, id);
        id
    }

    /// Gives a node a readable name unless it already has one (or is a constant).
    pub fn name(&mut self, id: NodeId, name: impl Into<String>) {
        let n = &mut self.g.nodes[id.0 as usize];
        if n.name.is_none() && !matches!(n.node, Node::Const(_)) {
            n.name = Some(name.into());
        }
    }

    pub fn constant(&mut self, domain: DomainId, value: u32) -> NodeId {
        debug_assert!(value < self.g.domain(domain).size);
        self.push(Node::Const(value), domain)
    }

    pub fn const_value(&self, id: NodeId) -> Option<u32> {
        match self.g.nodes[id.0 as usize].node {
            Node::Const(v) => Some(v),
            _ => None,
        }
    }

    pub fn node_domain(&self, id: NodeId) -> DomainId {
        self.g.nodes[id.0 as usize].domain
    }

    /// Declares one scalar input slot and returns its node.
    pub fn input(&mut self, slot: Slot) -> NodeId {
        let i = self.g.inputs.len() as u32;
        let d = slot.domain;
        let name = slot.name.clone();
        self.g.inputs.push(slot);
        let id = self.push(Node::Input(i), d);
        self.name(id, name);
        id
    }

    /// Declares a hole declaration with its scalar holes (row-major) and returns their nodes.
    pub fn hole_decl(
        &mut self,
        name: &str,
        shape: Vec<u32>,
        domain: DomainId,
        span: SrcSpan,
    ) -> Vec<NodeId> {
        let count: usize = shape.iter().map(|&s| s as usize).product();
        let mut ids = Vec::with_capacity(count);
        let mut nodes = Vec::with_capacity(count);
        for flat in 0..count {
            let mut index = vec![0u32; shape.len()];
            let mut rest = flat;
            for (k, &dim) in shape.iter().enumerate().rev() {
                index[k] = (rest % dim as usize) as u32;
                rest /= dim as usize;
            }
            let elem: String = index.iter().map(|i| format!("[{i}]")).collect();
            let hid = HoleId(self.g.holes.len() as u32);
            self.g.holes.push(Hole {
                name: format!("{name}{elem}"),
                decl: name.to_string(),
                index,
                domain,
                span,
            });
            let node = self.push(Node::Hole(hid), domain);
            self.name(node, format!("{name}{elem}"));
            ids.push(hid);
            nodes.push(node);
        }
        self.g.hole_decls.push(HoleDecl {
            name: name.to_string(),
            shape,
            holes: ids,
            domain,
        });
        nodes
    }

    pub fn output(&mut self, slot: Slot, node: NodeId) {
        self.g.outputs.push(Output { slot, node });
    }

    /// A hard observation; a constant `true` is dropped, a constant `false` is kept (the sketch
    /// is then unsatisfiable, which solvers must be able to prove).
    pub fn observe(&mut self, node: NodeId, span: SrcSpan) {
        if self.const_value(node) == Some(1) {
            return;
        }
        self.g.observations.push(Observation { node, span });
    }

    /// A soft cost; `once` is computed from the graph (no input reachable).
    pub fn cost(&mut self, node: NodeId, weights: Vec<i64>, span: SrcSpan) {
        let once = !self.depends_on_input(node);
        self.g.costs.push(Cost {
            node,
            weights,
            once,
            span,
        });
    }

    /// Whether any input node is reachable from `node`.
    pub fn depends_on_input(&self, node: NodeId) -> bool {
        self.input_dep[node.0 as usize]
    }

    /// Applies a function given as a closure over value indices, tabulating it over the
    /// argument domains (used for operators: `+`, `==`, ...). Constant arguments are bound first.
    pub fn apply_fn(
        &mut self,
        name: &str,
        args: &[NodeId],
        out: DomainId,
        f: impl Fn(&[u32]) -> u32,
    ) -> NodeId {
        let doms: Vec<DomainId> = args.iter().map(|&a| self.node_domain(a)).collect();
        let sizes: Vec<u32> = doms.iter().map(|&d| self.g.domain(d).size).collect();
        let data = tabulate(&sizes, f);
        let t = self.table(name, doms, out, data);
        self.apply(t, args)
    }

    /// `table[args]`, folded: constant arguments are bound, ignored arguments dropped, a
    /// constant result becomes a constant node, an identity becomes its argument.
    pub fn apply(&mut self, table: TableId, args: &[NodeId]) -> NodeId {
        debug_assert_eq!(self.g.tables[table.0 as usize].args.len(), args.len());
        // Bind constant arguments.
        let consts: Vec<Option<u32>> = args.iter().map(|&a| self.const_value(a)).collect();
        let no_consts = consts.iter().all(|c| c.is_none());
        if no_consts && self.irreducible.get(&table) == Some(&true) {
            // The common case while unrolling: skip cloning and scanning the table.
            let out = self.g.tables[table.0 as usize].out;
            return self.push(Node::Apply(table, args.to_vec()), out);
        }
        let t = self.g.tables[table.0 as usize].clone();
        let sizes: Vec<u32> = t.args.iter().map(|&d| self.g.domain(d).size).collect();
        let mut keep: Vec<usize> = (0..args.len()).filter(|&i| consts[i].is_none()).collect();
        let mut data = if keep.len() == args.len() {
            t.data.clone()
        } else {
            restrict(&t.data, &sizes, &consts)
        };
        // Drop arguments the table ignores.
        let mut k = 0;
        while k < keep.len() {
            let ksizes: Vec<u32> = keep.iter().map(|&i| sizes[i]).collect();
            if ignores(&data, &ksizes, k) {
                let mut bind = vec![None; keep.len()];
                bind[k] = Some(0);
                data = restrict(&data, &ksizes, &bind);
                keep.remove(k);
            } else {
                k += 1;
            }
        }
        if keep.is_empty() {
            return self.constant(t.out, data[0]);
        }
        let kdoms: Vec<DomainId> = keep.iter().map(|&i| t.args[i]).collect();
        if keep.len() == 1
            && kdoms[0] == t.out
            && data.iter().enumerate().all(|(i, &v)| v == i as u32)
        {
            return args[keep[0]];
        }
        // The specialised table's name shows what was bound: `apply(Not, _, *)` is `apply` with
        // its first argument bound to `Not`, its second kept (`_`, one per remaining argument)
        // and its third dropped because the table ignores it (`*`). Keeping exactly one `_` per
        // argument lets dumps and readable programs put the arguments back in place
        // (`Table::call`), also after a second specialisation, which fills the `_`s in place
        // instead of nesting `f(_, 3)(5)`.
        let name = if keep.len() == args.len() {
            t.name.clone()
        } else {
            let shown: Vec<String> = (0..args.len())
                .map(|i| match consts[i] {
                    Some(v) => self.g.domain(t.args[i]).show(v),
                    None if keep.contains(&i) => "_".to_string(),
                    None => "*".to_string(),
                })
                .collect();
            specialised_name(&t.name, &shown)
        };
        let nt = if keep.len() == args.len() {
            table
        } else {
            self.table(name, kdoms, t.out, data)
        };
        if no_consts && nt == table {
            self.irreducible.insert(table, true);
        }
        let nargs: Vec<NodeId> = keep.iter().map(|&i| args[i]).collect();
        self.push(Node::Apply(nt, nargs), t.out)
    }

    /// `cases[sel]`, folded: a constant selector picks its case, equal cases collapse, and a
    /// multiplexer of constants becomes a table lookup on the selector.
    pub fn mux(&mut self, sel: NodeId, cases: &[NodeId]) -> NodeId {
        let sel_size = self.g.domain(self.node_domain(sel)).size as usize;
        debug_assert_eq!(sel_size, cases.len());
        if let Some(v) = self.const_value(sel) {
            return cases[v as usize];
        }
        if cases.iter().all(|&c| c == cases[0]) {
            return cases[0];
        }
        let dom = self.node_domain(cases[0]);
        let consts: Option<Vec<u32>> = cases.iter().map(|&c| self.const_value(c)).collect();
        if let Some(data) = consts {
            let sd = self.node_domain(sel);
            let t = self.table("select", vec![sd], dom, data);
            return self.apply(t, &[sel]);
        }
        self.push(Node::Mux(sel, cases.to_vec()), dom)
    }
}

/// The name of a table specialised from one named `name`, with its arguments shown as `shown`
/// (`_` kept, a value bound, `*` ignored). A name that is already a partial application with
/// one `_` per argument is filled in place.
fn specialised_name(name: &str, shown: &[String]) -> String {
    if let Some((base, items)) = split_call(name) {
        if items.iter().filter(|i| **i == "_").count() == shown.len() {
            let mut fill = shown.iter();
            let items: Vec<&str> = items
                .iter()
                .map(|&i| match i {
                    "_" => fill.next().map_or("_", String::as_str),
                    other => other,
                })
                .collect();
            return format!("{base}({})", items.join(", "));
        }
    }
    format!("{name}({})", shown.join(", "))
}

/// Tabulates `f` over the product of `sizes` (first argument most significant).
pub fn tabulate(sizes: &[u32], f: impl Fn(&[u32]) -> u32) -> Vec<u32> {
    let total: usize = sizes.iter().map(|&s| s as usize).product();
    let mut out = Vec::with_capacity(total);
    let mut idx = vec![0u32; sizes.len()];
    for _ in 0..total {
        out.push(f(&idx));
        for k in (0..sizes.len()).rev() {
            idx[k] += 1;
            if idx[k] < sizes[k] {
                break;
            }
            idx[k] = 0;
        }
    }
    out
}

/// The sub-table with some arguments bound (`Some(v)`), keeping the free ones in order.
fn restrict(data: &[u32], sizes: &[u32], bind: &[Option<u32>]) -> Vec<u32> {
    let free: Vec<u32> = sizes
        .iter()
        .zip(bind)
        .filter(|(_, b)| b.is_none())
        .map(|(&s, _)| s)
        .collect();
    let mut strides = vec![1usize; sizes.len()];
    for k in (0..sizes.len().saturating_sub(1)).rev() {
        strides[k] = strides[k + 1] * sizes[k + 1] as usize;
    }
    let base: usize = bind
        .iter()
        .zip(&strides)
        .map(|(b, &s)| b.map_or(0, |v| v as usize * s))
        .sum();
    let free_strides: Vec<usize> = strides
        .iter()
        .zip(bind)
        .filter(|(_, b)| b.is_none())
        .map(|(&s, _)| s)
        .collect();
    let total: usize = free.iter().map(|&s| s as usize).product();
    let mut out = Vec::with_capacity(total);
    let mut idx = vec![0u32; free.len()];
    for _ in 0..total {
        let off: usize = idx
            .iter()
            .zip(&free_strides)
            .map(|(&i, &s)| i as usize * s)
            .sum();
        out.push(data[base + off]);
        for k in (0..free.len()).rev() {
            idx[k] += 1;
            if idx[k] < free[k] {
                break;
            }
            idx[k] = 0;
        }
    }
    out
}

/// Whether the table's value never depends on argument `k`.
fn ignores(data: &[u32], sizes: &[u32], k: usize) -> bool {
    let inner: usize = sizes[k + 1..].iter().map(|&s| s as usize).product();
    let n = sizes[k] as usize;
    let outer = data.len() / (inner * n).max(1);
    for o in 0..outer {
        for i in 0..inner {
            let first = data[o * n * inner + i];
            for v in 1..n {
                if data[o * n * inner + v * inner + i] != first {
                    return false;
                }
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partially_applied_table_drops_ignored_argument() {
        let mut b = Builder::new("t");
        let bool_d = b.bool_domain();
        let gate_d = b.domain(Domain::enumeration("G", vec!["And".into(), "Not".into()]));
        // apply(g, a, c) = if g == And { a && c } else { !a }
        let t = b.table(
            "apply",
            vec![gate_d, bool_d, bool_d],
            bool_d,
            tabulate(
                &[2, 2, 2],
                |v| if v[0] == 0 { v[1] & v[2] } else { 1 - v[1] },
            ),
        );
        let a = b.input(Slot {
            name: "a".into(),
            decl: "a".into(),
            index: vec![],
            domain: bool_d,
        });
        let c = b.input(Slot {
            name: "c".into(),
            decl: "c".into(),
            index: vec![],
            domain: bool_d,
        });
        let not_g = b.constant(gate_d, 1);
        let n = b.apply(t, &[not_g, a, c]);
        match &b.graph().node(n).node {
            Node::Apply(tid, args) => {
                assert_eq!(args, &vec![a]);
                assert_eq!(b.graph().table(*tid).data, vec![1, 0]);
            }
            other => panic!("expected a table application, got {other:?}"),
        }
        let and_g = b.constant(gate_d, 0);
        let t1 = b.constant(bool_d, 1);
        // And with a constant true is the identity on a.
        assert_eq!(b.apply(t, &[and_g, a, t1]), a);
    }

    #[test]
    fn specialised_tables_name_their_bound_arguments_in_place() {
        let mut b = Builder::new("t");
        let d = b.domain(Domain::range(0, 4));
        let bool_d = b.bool_domain();
        let ins: Vec<NodeId> = ["x", "y", "z"]
            .iter()
            .map(|n| {
                b.input(Slot {
                    name: n.to_string(),
                    decl: n.to_string(),
                    index: vec![],
                    domain: d,
                })
            })
            .collect();
        // f(x, y, z) = x + y < 4, ignoring z.
        let t = b.table(
            "f",
            vec![d, d, d],
            bool_d,
            tabulate(&[4, 4, 4], |v| u32::from(v[0] + v[1] < 4)),
        );
        let three = b.constant(d, 3);
        let n = b.apply(t, &[ins[0], three, ins[2]]);
        let Node::Apply(t1, args) = b.graph().node(n).node.clone() else {
            panic!("expected an application");
        };
        assert_eq!(args, vec![ins[0]]);
        let t1 = b.graph().table(t1).clone();
        assert_eq!(t1.name, "f(_, 3, *)");
        assert_eq!(
            t1.call(&["x".to_string()]),
            ("f".to_string(), vec!["x".into(), "3".into(), "*".into()])
        );
        // Specialising a specialised table fills its placeholders in place.
        let g = b.table(
            "g(_, 1, _)",
            vec![d, d],
            d,
            tabulate(&[4, 4], |v| v[0] * v[1] % 4),
        );
        let two = b.constant(d, 2);
        let m = b.apply(g, &[two, ins[1]]);
        let Node::Apply(g1, _) = &b.graph().node(m).node else {
            panic!("expected an application");
        };
        assert_eq!(b.graph().table(*g1).name, "g(2, 1, _)");
    }

    #[test]
    fn mux_folds_and_shares() {
        let mut b = Builder::new("t");
        let d = b.domain(Domain::range(0, 3));
        let s = b.input(Slot {
            name: "s".into(),
            decl: "s".into(),
            index: vec![],
            domain: d,
        });
        let x = b.input(Slot {
            name: "x".into(),
            decl: "x".into(),
            index: vec![],
            domain: d,
        });
        assert_eq!(b.mux(s, &[x, x, x]), x);
        let m1 = b.mux(s, &[x, s, x]);
        let m2 = b.mux(s, &[x, s, x]);
        assert_eq!(m1, m2);
        let k = b.constant(d, 2);
        assert_eq!(b.mux(k, &[x, s, m1]), m1);
    }
}
