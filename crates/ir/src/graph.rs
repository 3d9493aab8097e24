//! The IR: one finite-domain dataflow graph per sketch, shared by all examples.
//!
//! Nodes are stored in topological order (every argument of node `i` has an index `< i`), so a
//! single forward sweep evaluates the graph. Per-example data (inputs, expected outputs) lives
//! in [`crate::Examples`], never in the graph.

use crate::domain::{Domain, DomainId};

/// Index of a node in [`Graph::nodes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// Index of a hole in [`Graph::holes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HoleId(pub u32);

/// Index of a table in [`Graph::tables`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableId(pub u32);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// Scalar input slot `slot` of the current example (see [`Graph::inputs`]).
    Input(u32),
    /// The value of a hole (the same for every example).
    Hole(HoleId),
    /// A constant value index.
    Const(u32),
    /// `table[args...]`: a lookup table over the argument domains.
    Apply(TableId, Vec<NodeId>),
    /// `cases[sel]`: selects the case at the selector's value index; `cases.len()` equals the
    /// selector domain's size, and every case has the node's domain.
    Mux(NodeId, Vec<NodeId>),
}

impl Node {
    /// The nodes it reads: a table's arguments, or a multiplexer's selector then its cases.
    pub fn args(&self) -> Vec<NodeId> {
        match self {
            Node::Input(_) | Node::Hole(_) | Node::Const(_) => Vec::new(),
            Node::Apply(_, args) => args.clone(),
            Node::Mux(sel, cases) => std::iter::once(*sel).chain(cases.iter().copied()).collect(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeData {
    pub node: Node,
    pub domain: DomainId,
    /// A readable name for the value (the variable it was assigned to: `wires[3]`), if any.
    pub name: Option<String>,
}

/// A lookup table: `data[Σ args[i] * strides[i]]`, first argument most significant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// What it computes, for dumps and readable programs: `apply`, `+`, `==`.
    pub name: String,
    pub args: Vec<DomainId>,
    pub out: DomainId,
    pub data: Vec<u32>,
}

impl Table {
    /// The table applied to `args` (one per table argument), as a function name and its full
    /// argument list. A specialised table (see [`crate::Builder::apply`]) named
    /// `apply(Not, _, *)` applied to `["x"]` gives `("apply", ["Not", "x", "*"])`; a plain one
    /// named `+` gives `("+", args)`. A name whose `_` placeholders do not match the arity is
    /// treated as plain.
    pub fn call(&self, args: &[String]) -> (String, Vec<String>) {
        if let Some((base, items)) = split_call(&self.name) {
            if items.iter().filter(|i| **i == "_").count() == args.len() {
                let mut fill = args.iter();
                let items = items
                    .iter()
                    .map(|&i| match i {
                        "_" => fill.next().cloned().unwrap_or_default(),
                        other => other.to_string(),
                    })
                    .collect();
                return (base.to_string(), items);
            }
        }
        (self.name.clone(), args.to_vec())
    }

    /// The number of arguments.
    pub fn arity(&self) -> usize {
        self.args.len()
    }
}

/// Splits a partial-application name `f(a, _, b)` into `f` and its items; `None` for a plain
/// name.
pub(crate) fn split_call(name: &str) -> Option<(&str, Vec<&str>)> {
    let open = name.find('(')?;
    if open == 0 || !name.ends_with(')') {
        return None;
    }
    let inner = &name[open + 1..name.len() - 1];
    let mut items = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                items.push(inner[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(inner[start..].trim());
    Some((&name[..open], items))
}

/// A source location carried through to the IR (byte offsets into the sketch file), so that
/// reports can point back at the source without the IR depending on the parser.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct SrcSpan {
    pub start: u32,
    pub end: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hole {
    /// Element name: `gate[2]`, or `x` for a scalar hole.
    pub name: String,
    /// Declaration name (`gate`) and the element's index path (`[2]`).
    pub decl: String,
    pub index: Vec<u32>,
    pub domain: DomainId,
    pub span: SrcSpan,
}

/// One scalar input or output slot: `initial_wires[2]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    pub name: String,
    pub decl: String,
    pub index: Vec<u32>,
    pub domain: DomainId,
}

/// An output slot and the node that computes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    pub slot: Slot,
    pub node: NodeId,
}

/// A hard observation: the node (bool domain) must be `true` on every example.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    pub node: NodeId,
    pub span: SrcSpan,
}

/// A soft cost: `weights[value index of node]` is added to the total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cost {
    pub node: NodeId,
    pub weights: Vec<i64>,
    /// Depends on no input: counted once, not once per example.
    pub once: bool,
    pub span: SrcSpan,
}

/// A declaration of holes, kept so that answers can be printed and read back nested as declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoleDecl {
    pub name: String,
    /// Array dimensions, outermost first (empty for a scalar hole).
    pub shape: Vec<u32>,
    /// Holes of this declaration in row-major order.
    pub holes: Vec<HoleId>,
    pub domain: DomainId,
}

/// One IR graph: everything a solver needs except the examples.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Graph {
    /// The sketch's name.
    pub name: String,
    pub domains: Vec<Domain>,
    pub tables: Vec<Table>,
    pub nodes: Vec<NodeData>,
    pub holes: Vec<Hole>,
    pub hole_decls: Vec<HoleDecl>,
    pub inputs: Vec<Slot>,
    pub outputs: Vec<Output>,
    pub observations: Vec<Observation>,
    pub costs: Vec<Cost>,
    /// The parameter values this graph was unrolled with, in declaration order.
    pub params: Vec<(String, i64)>,
}

impl Graph {
    /// Per node: whether it depends on an input (reads one, directly or not). The others
    /// (holes, constants and what is computed from them alone) take the same value in every
    /// example. Arguments out of topological order count as not dependent.
    pub fn input_dependent(&self) -> Vec<bool> {
        let mut dep = vec![false; self.nodes.len()];
        for (i, nd) in self.nodes.iter().enumerate() {
            dep[i] = matches!(nd.node, Node::Input(_))
                || nd
                    .node
                    .args()
                    .iter()
                    .any(|a| (a.0 as usize) < i && dep[a.0 as usize]);
        }
        dep
    }

    pub fn domain(&self, id: DomainId) -> &Domain {
        &self.domains[id.0 as usize]
    }
    pub fn node(&self, id: NodeId) -> &NodeData {
        &self.nodes[id.0 as usize]
    }
    pub fn node_domain(&self, id: NodeId) -> &Domain {
        self.domain(self.node(id).domain)
    }
    pub fn table(&self, id: TableId) -> &Table {
        &self.tables[id.0 as usize]
    }
    pub fn hole(&self, id: HoleId) -> &Hole {
        &self.holes[id.0 as usize]
    }
    /// The number of complete hole assignments, as f64 (it overflows integers quickly).
    pub fn search_space(&self) -> f64 {
        self.holes
            .iter()
            .map(|h| self.domain(h.domain).size as f64)
            .product()
    }
    /// The least and the greatest total cost any assignment can have over `n_examples`
    /// examples (once-costs counted once, the others once per example), computed in `i128`
    /// so that sums beyond `i64` show as such (see [`crate::eval::validate_examples`]).
    pub fn cost_bounds(&self, n_examples: usize) -> (i128, i128) {
        let mut bounds = (0i128, 0i128);
        for c in &self.costs {
            let times = if c.once { 1 } else { n_examples as i128 };
            let lo = c.weights.iter().copied().min().unwrap_or(0);
            let hi = c.weights.iter().copied().max().unwrap_or(0);
            bounds.0 += i128::from(lo) * times;
            bounds.1 += i128::from(hi) * times;
        }
        bounds
    }
    /// The base-2 logarithm of [`Graph::search_space`], summed in log space: finite however
    /// many holes there are (the product itself is `inf` beyond about 2^1024).
    pub fn search_space_log2(&self) -> f64 {
        self.holes
            .iter()
            .map(|h| f64::from(self.domain(h.domain).size).log2())
            .sum()
    }
}
