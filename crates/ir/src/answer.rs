//! Readable answers: the filled sketch as the straight-line program it denotes, and which
//! holes do not matter.
//!
//! A key design decision: everything here works on the graph *specialised* to the answer
//! ([`specialize`]): the graph rebuilt through the [`Builder`] with every hole replaced by its
//! value, so that folding removes the multiplexers the holes selected and binds the tables the
//! holes fed. What is left is exactly the computation the answer performs, and printing it is
//! one line per live node:
//!
//! ```text
//! circuit(initial_wires[0], initial_wires[1], initial_wires[2]):
//!   wires[2] = xor(initial_wires[0], initial_wires[1])
//!   final_wires[0] = wires[1]
//! holes:
//!   gate = [Xor, Nop, And]
//!   in2 = [1, _, 2]
//!   (_: does not matter once the other holes are fixed)
//! ```
//!
//! Boolean tables of one or two bool arguments are recognised by their truth table (`and`,
//! `or`, `xor`, `nand`, `nor`, `xnor`, `not`, `and(a, not(b))`, …), whatever they were called
//! in the sketch; other tables print under their own name with bound arguments in place
//! (`apply(Not, x, *)`, `x == 2`). Nodes print under their `NodeData::name` (made unique with
//! primes: `wires[3]`, `wires[3]'`, up to three, then `wires[3]'4`), unnamed ones as `t12`, and an unnamed node used only by
//! one output, observation or cost is written inline there.
//!
//! A hole is *irrelevant* when, in the graph specialised with all other holes fixed to the
//! answer, no output, observation or cost depends on it structurally. This is exact with
//! respect to the builder's folding and independent of the examples; it costs one
//! specialisation per hole.

use std::collections::{HashMap, HashSet};

use serde_json::{json, Value};

use crate::builder::Builder;
use crate::domain::DomainId;
use crate::examples::Assignment;
use crate::graph::{Graph, HoleId, Node, NodeId, Slot, TableId};

/// A readable answer: the program text and the holes that do not matter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The program, as [`program`] prints it.
    pub program: String,
    /// Holes whose values do not matter, jointly, once the others are fixed
    /// ([`jointly_irrelevant_holes`]).
    pub irrelevant: Vec<HoleId>,
}

impl Answer {
    /// `{"program": "...", "irrelevant_holes": ["in2[1]", ...]}`, for `--json` reports.
    pub fn to_json(&self, g: &Graph) -> Value {
        let names: Vec<&str> = self
            .irrelevant
            .iter()
            .map(|&h| g.hole(h).name.as_str())
            .collect();
        json!({ "program": self.program, "irrelevant_holes": names })
    }
}

/// The graph with every hole replaced by its value, rebuilt through the [`Builder`] so that
/// everything the holes decided folds away. Inputs, outputs, costs and node names are kept;
/// observations that fold to `true` are dropped (they hold on every example). The result has
/// no holes.
///
/// A cost keeps its `once` flag from `g` even if it no longer depends on an input (the total
/// cost must not change with specialisation).
///
/// # Panics
/// If the assignment does not have a value inside its domain for every hole of `g`.
pub fn specialize(g: &Graph, a: &Assignment) -> Graph {
    check_assignment(g, a);
    rebuild(g, a, None).0
}

/// Holes that do not matter for this answer: no output, observation or cost depends on them in
/// the graph specialised with all other holes fixed. See the module documentation.
///
/// # Panics
/// As [`specialize`].
pub fn irrelevant_holes(g: &Graph, a: &Assignment) -> Vec<HoleId> {
    check_assignment(g, a);
    let all: Vec<usize> = (0..g.holes.len()).collect();
    free_by_cones(g, a, &all, false, &mut |_| true)
}

/// The holes of `candidates` (ascending) found not to matter, each by rebuilding its forward
/// cone on the graph with the other holes fixed. Alone (`joint` false): every candidate is
/// tested with all other holes fixed, and its cone rolled back. Jointly: a candidate that
/// `accept`s and does not matter with the holes found so far also free joins them, and its
/// cone is kept, so that the next one is tested on top of them.
fn free_by_cones(
    g: &Graph,
    a: &Assignment,
    candidates: &[usize],
    joint: bool,
    accept: &mut dyn FnMut(&[bool]) -> bool,
) -> Vec<HoleId> {
    // A hole no root reaches in `g` itself needs no specialisation to be found irrelevant.
    let reached = reached_from_roots(g);
    let n = g.nodes.len();
    let mut occurs: Vec<Vec<usize>> = vec![Vec::new(); g.holes.len()];
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, nd) in g.nodes.iter().enumerate() {
        if let Node::Hole(h) = nd.node {
            occurs[h.0 as usize].push(i);
        }
        for x in nd.node.args() {
            users[x.0 as usize].push(i);
        }
    }
    let mut is_root = vec![false; n];
    for r in roots(g) {
        is_root[r.0 as usize] = true;
    }
    // The graph with every hole fixed is built once. Freeing one hole changes only the nodes
    // it reaches (its forward cone): those are rebuilt on top, checked, and rolled back, so
    // each hole costs its cone, not the whole graph (the same result as rebuilding all of
    // `g` with that hole free, since the builder folds a node from its arguments alone).
    let mut free = vec![false; g.holes.len()];
    let mut kept = vec![None; g.holes.len()];
    let mut r = Rebuilder::new(g);
    let mut map: Vec<NodeId> = Vec::with_capacity(n);
    for nd in &g.nodes {
        let new = r.node(g, a, &free, &mut kept, nd, &|x| map[x.0 as usize]);
        map.push(new);
    }
    let mut in_cone = vec![false; n];
    let mut new_of = vec![NodeId(0); n];
    let mut cone = Vec::new();
    let mut seen = Vec::new();
    let mut stack = Vec::new();
    // The builder's nodes of the free holes kept so far (joint), and the first of them.
    let mut free_nodes: HashSet<usize> = HashSet::new();
    candidates
        .iter()
        .copied()
        .filter(|&h| {
            if joint {
                free[h] = true;
                let ok = accept(&free);
                free[h] = false;
                if !ok {
                    return false;
                }
            }
            if !occurs[h].iter().any(|&i| reached[i]) {
                // No root reads it, whatever else is free.
                free[h] = joint;
                return true;
            }
            cone.clear();
            stack.extend_from_slice(&occurs[h]);
            while let Some(i) = stack.pop() {
                if !in_cone[i] {
                    in_cone[i] = true;
                    cone.push(i);
                    stack.extend_from_slice(&users[i]);
                }
            }
            cone.sort_unstable();
            let mark = r.b.mark();
            free[h] = true;
            for &i in &cone {
                let new = r.node(g, a, &free, &mut kept, &g.nodes[i], &|x| {
                    let x = x.0 as usize;
                    if in_cone[x] {
                        new_of[x]
                    } else {
                        map[x]
                    }
                });
                new_of[i] = new;
            }
            // Does a root reach a free hole? Only nodes built since the mark can reach this
            // one (roots outside the cone do not read it, and the base reads no free hole
            // from a root), and only nodes built after a hole's own (topological order) can
            // read it.
            let relevant = kept[h].is_some_and(|hn| {
                let base = free_nodes.iter().copied().fold(hn.0 as usize, usize::min);
                let s = r.b.graph();
                seen.clear();
                seen.resize(s.nodes.len() - base, false);
                stack.extend(
                    cone.iter()
                        .filter(|&&i| is_root[i])
                        .map(|&i| new_of[i].0 as usize),
                );
                let mut found = false;
                while let Some(x) = stack.pop() {
                    if x < base || seen[x - base] {
                        continue;
                    }
                    if x == hn.0 as usize || free_nodes.contains(&x) {
                        found = true;
                        break;
                    }
                    seen[x - base] = true;
                    stack.extend(s.nodes[x].node.args().iter().map(|y| y.0 as usize));
                }
                stack.clear();
                found
            });
            for &i in &cone {
                in_cone[i] = false;
            }
            if joint && !relevant {
                // Joined: its cone stays built, and the next candidates read it.
                for &i in &cone {
                    map[i] = new_of[i];
                }
                free_nodes.extend(kept[h].map(|n| n.0 as usize));
                return true;
            }
            free[h] = false;
            kept[h] = None;
            r.b.rollback(mark);
            let n_tables = r.b.graph().tables.len();
            for t in &mut r.tables {
                if t.is_some_and(|id| id.0 as usize >= n_tables) {
                    *t = None;
                }
            }
            !relevant
        })
        .map(|h| HoleId(h as u32))
        .collect()
}

/// The answer as a readable program with its holes; see the module documentation.
///
/// # Panics
/// As [`specialize`].
pub fn program(g: &Graph, a: &Assignment) -> String {
    answer(g, a).program
}

/// The program and the irrelevant holes together (computing both once).
///
/// # Panics
/// As [`specialize`].
pub fn answer(g: &Graph, a: &Assignment) -> Answer {
    answer_with(g, a, jointly_irrelevant_holes(g, a))
}

/// The program with the holes in `irrelevant` listed as `_`: the caller has established that
/// they do not matter jointly (an enumerator that keeps its patterns disjoint frees fewer
/// holes than [`jointly_irrelevant_holes`] would).
///
/// # Panics
/// As [`specialize`].
pub fn answer_with(g: &Graph, a: &Assignment, irrelevant: Vec<HoleId>) -> Answer {
    let s = specialize(g, a);
    let mut text = body(&s);
    holes_listing(&mut text, g, a, &irrelevant);
    Answer {
        program: text,
        irrelevant,
    }
}

/// Holes that do not matter *jointly*: whatever values they take together, the program is the
/// same. [`irrelevant_holes`] tests each hole alone with all others fixed, and two holes can
/// each be irrelevant alone and matter together (`y = h1 && h2` at `h1 = h2 = false`). The set
/// grows greedily over those: a hole joins when the graph specialised with every hole outside
/// the set fixed still has no output, observation or cost depending on any hole of the set.
/// This is what a listing may mark `_`, and what enumeration may leave unblocked.
///
/// # Panics
/// As [`specialize`].
pub fn jointly_irrelevant_holes(g: &Graph, a: &Assignment) -> Vec<HoleId> {
    jointly_irrelevant_holes_where(g, a, &mut |_| true)
}

/// [`jointly_irrelevant_holes`], where a hole joins the set only if `accept` also agrees to
/// the enlarged set (given as a flag per hole).
///
/// # Panics
/// As [`specialize`].
pub fn jointly_irrelevant_holes_where(
    g: &Graph,
    a: &Assignment,
    accept: &mut dyn FnMut(&[bool]) -> bool,
) -> Vec<HoleId> {
    let alone: Vec<usize> = irrelevant_holes(g, a)
        .iter()
        .map(|h| h.0 as usize)
        .collect();
    free_by_cones(g, a, &alone, true, accept)
}

fn check_assignment(g: &Graph, a: &Assignment) {
    assert_eq!(
        a.0.len(),
        g.holes.len(),
        "the assignment must have one value per hole"
    );
    for (h, &v) in g.holes.iter().zip(&a.0) {
        assert!(
            v < g.domain(h.domain).size,
            "hole {}: value index {v} outside its domain",
            h.name
        );
    }
}

/// Rebuilds `g` with holes fixed to `a`, except `keep`, which stays a hole (as a scalar hole
/// declaration of its own). Returns the new graph and the kept hole's node, if the hole occurs.
fn rebuild(g: &Graph, a: &Assignment, keep: Option<HoleId>) -> (Graph, Option<NodeId>) {
    let mut free = vec![false; g.holes.len()];
    if let Some(h) = keep {
        free[h.0 as usize] = true;
    }
    let (s, kept) = rebuild_with_free(g, a, &free);
    (s, keep.and_then(|h| kept[h.0 as usize]))
}

/// Whether some output, observation or cost still depends on one of the holes marked in
/// `free` once every other hole is fixed to its value in `a` (holes that do not matter
/// *jointly* are those for which this is `false`).
pub fn free_holes_matter(g: &Graph, a: &Assignment, free: &[bool]) -> bool {
    check_assignment(g, a);
    let (s, kept) = rebuild_with_free(g, a, free);
    let live = reached_from_roots(&s);
    kept.iter().flatten().any(|n| live[n.0 as usize])
}

/// Rebuilds `g` through the [`Builder`] with every hole fixed to its value in `a` except those
/// marked in `free`, which stay holes (each a scalar hole declaration of its own). Returns the
/// new graph and, per hole, its node there when it is free and occurs.
pub fn rebuild_with_free(g: &Graph, a: &Assignment, free: &[bool]) -> (Graph, Vec<Option<NodeId>>) {
    let mut r = Rebuilder::new(g);
    let mut kept: Vec<Option<NodeId>> = vec![None; g.holes.len()];
    let mut map: Vec<NodeId> = Vec::with_capacity(g.nodes.len());
    for nd in &g.nodes {
        let new = r.node(g, a, free, &mut kept, nd, &|x| map[x.0 as usize]);
        if let Some(name) = &nd.name {
            r.b.name(new, name.clone());
        }
        map.push(new);
    }
    let mut b = r.b;
    for o in &g.outputs {
        b.output(slot_in(&r.doms, &o.slot), map[o.node.0 as usize]);
    }
    for o in &g.observations {
        b.observe(map[o.node.0 as usize], o.span);
    }
    for c in &g.costs {
        b.cost(map[c.node.0 as usize], c.weights.clone(), c.span);
    }
    let mut s = b.finish();
    for (new, old) in s.costs.iter_mut().zip(&g.costs) {
        new.once = old.once;
    }
    (s, kept)
}

/// A slot with its domain moved to the rebuilt graph's.
fn slot_in(doms: &[DomainId], s: &Slot) -> Slot {
    Slot {
        domain: doms[s.domain.0 as usize],
        ..s.clone()
    }
}

/// Rebuilds the nodes of `g` through a [`Builder`], with its domains and inputs declared and
/// its tables interned as they are first used.
struct Rebuilder {
    b: Builder,
    doms: Vec<DomainId>,
    inputs: Vec<NodeId>,
    tables: Vec<Option<TableId>>,
}

impl Rebuilder {
    fn new(g: &Graph) -> Rebuilder {
        let mut b = Builder::new(g.name.clone());
        b.set_params(g.params.clone());
        let doms: Vec<DomainId> = g.domains.iter().map(|d| b.domain(d.clone())).collect();
        let inputs = g
            .inputs
            .iter()
            .map(|s| b.input(slot_in(&doms, s)))
            .collect();
        Rebuilder {
            b,
            doms,
            inputs,
            tables: vec![None; g.tables.len()],
        }
    }

    /// Node `nd` of `g` rebuilt, its arguments read through `arg`: a hole fixed to its value
    /// in `a`, or, when marked in `free`, a scalar hole declaration of its own (recorded in
    /// `kept`).
    fn node(
        &mut self,
        g: &Graph,
        a: &Assignment,
        free: &[bool],
        kept: &mut [Option<NodeId>],
        nd: &crate::NodeData,
        arg: &dyn Fn(NodeId) -> NodeId,
    ) -> NodeId {
        let dom = |d: DomainId| self.doms[d.0 as usize];
        match &nd.node {
            Node::Input(s) => self.inputs[*s as usize],
            Node::Hole(h) if free.get(h.0 as usize) == Some(&true) => match kept[h.0 as usize] {
                Some(n) => n,
                None => {
                    let hole = g.hole(*h);
                    let d = dom(hole.domain);
                    let n = self.b.hole_decl(&hole.name, vec![], d, hole.span)[0];
                    kept[h.0 as usize] = Some(n);
                    n
                }
            },
            Node::Hole(h) => {
                let d = dom(nd.domain);
                self.b.constant(d, a.0[h.0 as usize])
            }
            Node::Const(v) => {
                let d = dom(nd.domain);
                self.b.constant(d, *v)
            }
            Node::Apply(t, args) => {
                let tid = match self.tables[t.0 as usize] {
                    Some(id) => id,
                    None => {
                        let table = g.table(*t);
                        let targs = table.args.iter().map(|&d| dom(d)).collect();
                        let out = dom(table.out);
                        let id = self
                            .b
                            .table(table.name.clone(), targs, out, table.data.clone());
                        self.tables[t.0 as usize] = Some(id);
                        id
                    }
                };
                let args: Vec<NodeId> = args.iter().map(|&x| arg(x)).collect();
                self.b.apply(tid, &args)
            }
            Node::Mux(sel, cases) => {
                let cases: Vec<NodeId> = cases.iter().map(|&x| arg(x)).collect();
                self.b.mux(arg(*sel), &cases)
            }
        }
    }
}

fn roots(g: &Graph) -> impl Iterator<Item = NodeId> + '_ {
    g.outputs
        .iter()
        .map(|o| o.node)
        .chain(g.observations.iter().map(|o| o.node))
        .chain(g.costs.iter().map(|c| c.node))
}

/// Which nodes some output, observation or cost reads (nodes are in topological order).
fn reached_from_roots(g: &Graph) -> Vec<bool> {
    let mut live = vec![false; g.nodes.len()];
    for r in roots(g) {
        live[r.0 as usize] = true;
    }
    for i in (0..g.nodes.len()).rev() {
        if live[i] {
            for a in g.nodes[i].node.args() {
                live[a.0 as usize] = true;
            }
        }
    }
    live
}

/// The program lines of a specialised graph: header, assignments, outputs, observations, costs.
fn body(s: &Graph) -> String {
    let n = s.nodes.len();
    let live = reached_from_roots(s);
    let mut node_uses = vec![0u32; n];
    let mut root_uses = vec![0u32; n];
    for r in roots(s) {
        root_uses[r.0 as usize] += 1;
    }
    for i in (0..n).filter(|&i| live[i]) {
        for a in s.nodes[i].node.args() {
            node_uses[a.0 as usize] += 1;
        }
    }

    let inputs: Vec<&str> = s.inputs.iter().map(|x| x.name.as_str()).collect();
    let mut text = format!("{}({}):\n", s.name, inputs.join(", "));
    let mut taken = Names {
        taken: inputs.iter().map(|x| x.to_string()).collect(),
        primes: HashMap::new(),
    };
    let mut refs: Vec<String> = Vec::with_capacity(n);
    for (i, nd) in s.nodes.iter().enumerate() {
        let r = match &nd.node {
            Node::Input(slot) => s.inputs[*slot as usize].name.clone(),
            Node::Const(v) => s.domain(nd.domain).show(*v),
            Node::Hole(h) => s.hole(*h).name.clone(),
            Node::Apply(..) | Node::Mux(..) if !live[i] => String::new(),
            Node::Apply(t, args) => {
                let same = args.len() == 2 && args[0] == args[1];
                let args: Vec<&str> = args.iter().map(|a| refs[a.0 as usize].as_str()).collect();
                let expr = apply_expr(s, *t, &args, same);
                // `and(x, x)` is `x`: a copy, not worth a line of its own when unnamed.
                let copy = args.contains(&expr.as_str()) || expr == "true" || expr == "false";
                let inline = copy || (node_uses[i] == 0 && root_uses[i] == 1);
                define(&mut text, &mut taken, nd.name.as_deref(), i, expr, inline)
            }
            Node::Mux(sel, cases) => {
                let cases: Vec<&str> = cases.iter().map(|c| refs[c.0 as usize].as_str()).collect();
                let sel_r = &refs[sel.0 as usize];
                let expr = if s.node_domain(*sel).is_bool() && cases.len() == 2 {
                    format!("if {sel_r} then {} else {}", cases[1], cases[0])
                } else {
                    format!("mux({sel_r}, [{}])", cases.join(", "))
                };
                let inline = node_uses[i] == 0 && root_uses[i] == 1;
                define(&mut text, &mut taken, nd.name.as_deref(), i, expr, inline)
            }
        };
        refs.push(r);
    }
    for o in &s.outputs {
        let r = &refs[o.node.0 as usize];
        if *r != o.slot.name {
            text.push_str(&format!("  {} = {r}\n", o.slot.name));
        }
    }
    for o in &s.observations {
        text.push_str(&format!("  observe {}\n", refs[o.node.0 as usize]));
    }
    for c in &s.costs {
        let d = s.node_domain(c.node);
        let plain = c
            .weights
            .iter()
            .enumerate()
            .all(|(v, &w)| w == d.int_of(v as u32));
        let r = &refs[c.node.0 as usize];
        if plain {
            text.push_str(&format!("  cost {r}\n"));
        } else {
            let w: Vec<String> = c.weights.iter().map(|w| w.to_string()).collect();
            text.push_str(&format!("  cost [{}][{r}]\n", w.join(", ")));
        }
    }
    text
}

/// Emits `name = expr` for a live node and returns how to refer to it; an unnamed node that
/// may be written `inline` (a copy, or read only by one root) is returned as its expression
/// instead.
fn define(
    text: &mut String,
    taken: &mut Names,
    name: Option<&str>,
    id: usize,
    expr: String,
    inline: bool,
) -> String {
    if name.is_none() && inline {
        return expr;
    }
    let base = name.map_or_else(|| format!("t{id}"), str::to_string);
    let unique = taken.fresh(base);
    text.push_str(&format!("  {unique} = {expr}\n"));
    unique
}

/// The names a printed program has used, and how many primes each base name has had.
struct Names {
    taken: HashSet<String>,
    primes: HashMap<String, usize>,
}

impl Names {
    /// `base`, or the first of `base'`, `base''`, `base'''`, `base'4`, `base'5`, … not taken
    /// (a variable reassigned many times costs constant time per name, not its count).
    fn fresh(&mut self, base: String) -> String {
        let n = self.primes.entry(base.clone()).or_insert(0);
        loop {
            let name = match *n {
                0 => base.clone(),
                k @ 1..=3 => format!("{base}{}", "'".repeat(k)),
                k => format!("{base}'{k}"),
            };
            *n += 1;
            if self.taken.insert(name.clone()) {
                return name;
            }
        }
    }
}

/// How a table application reads: a Boolean connective, a selection from a list, an infix
/// operator or a call. `same`: a binary table applied twice to the same node.
fn apply_expr(s: &Graph, t: TableId, args: &[&str], same: bool) -> String {
    let table = s.table(t);
    let all_bool = table.args.iter().all(|&d| s.domain(d).is_bool());
    if s.domain(table.out).is_bool() && all_bool && (1..=2).contains(&args.len()) {
        let d = &table.data;
        return if same {
            bool_expr(&[d[0], d[3]], &args[..1])
        } else {
            bool_expr(d, args)
        };
    }
    if table.name == "select" && args.len() == 1 {
        let out = s.domain(table.out);
        let items: Vec<String> = table.data.iter().map(|&v| out.show(v)).collect();
        return format!("[{}][{}]", items.join(", "), args[0]);
    }
    let owned: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let (f, items) = table.call(&owned);
    let operator = !f.is_empty() && f.chars().all(|c| "+-*/%<>=!&|^".contains(c));
    match (operator, items.as_slice()) {
        (true, [a, b]) => format!("{a} {f} {b}"),
        (true, [a]) => format!("{f}{a}"),
        _ => format!("{f}({})", items.join(", ")),
    }
}

/// A Boolean function of one or two arguments by its truth table (first argument most
/// significant).
fn bool_expr(data: &[u32], args: &[&str]) -> String {
    match (data, args) {
        ([0, 1], [a]) => a.to_string(),
        ([1, 0], [a]) => format!("not({a})"),
        ([v, w], [_]) if v == w => (if *v == 1 { "true" } else { "false" }).to_string(),
        (&[f00, f01, f10, f11], &[a, b]) => match [f00, f01, f10, f11] {
            [0, 0, 0, 1] => format!("and({a}, {b})"),
            [0, 1, 1, 1] => format!("or({a}, {b})"),
            [0, 1, 1, 0] => format!("xor({a}, {b})"),
            [1, 1, 1, 0] => format!("nand({a}, {b})"),
            [1, 0, 0, 0] => format!("nor({a}, {b})"),
            [1, 0, 0, 1] => format!("xnor({a}, {b})"),
            [0, 0, 1, 0] => format!("and({a}, not({b}))"),
            [0, 1, 0, 0] => format!("and(not({a}), {b})"),
            [1, 0, 1, 1] => format!("or({a}, not({b}))"),
            [1, 1, 0, 1] => format!("or(not({a}), {b})"),
            [0, 0, 1, 1] => a.to_string(),
            [1, 1, 0, 0] => format!("not({a})"),
            [0, 1, 0, 1] => b.to_string(),
            [1, 0, 1, 0] => format!("not({b})"),
            [0, 0, 0, 0] => "false".to_string(),
            _ => "true".to_string(),
        },
        _ => format!("bool_table{data:?}({})", args.join(", ")),
    }
}

/// `holes:` and one line per declaration, irrelevant holes as `_`.
fn holes_listing(text: &mut String, g: &Graph, a: &Assignment, irrelevant: &[HoleId]) {
    if g.hole_decls.is_empty() {
        return;
    }
    text.push_str("holes:\n");
    for d in &g.hole_decls {
        let dom = g.domain(d.domain);
        let flat: Vec<String> = d
            .holes
            .iter()
            .map(|h| {
                if irrelevant.contains(h) {
                    "_".to_string()
                } else {
                    dom.show(a.0[h.0 as usize])
                }
            })
            .collect();
        text.push_str(&format!("  {} = {}\n", d.name, nest(&d.shape, &flat)));
    }
    if !irrelevant.is_empty() {
        text.push_str("  (_: does not matter once the other holes are fixed)\n");
    }
}

fn nest(shape: &[u32], flat: &[String]) -> String {
    match shape.split_first() {
        None => flat.first().cloned().unwrap_or_default(),
        Some((&n, rest)) => {
            let inner = flat.len() / (n as usize).max(1);
            let items: Vec<String> = (0..n as usize)
                .map(|i| nest(rest, &flat[i * inner..(i + 1) * inner]))
                .collect();
            format!("[{}]", items.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::tabulate;
    use crate::{Domain, Evaluator, Examples, SrcSpan};

    fn bool_slot(b: &mut Builder, name: &str) -> Slot {
        Slot {
            name: name.into(),
            decl: name.into(),
            index: vec![],
            domain: b.bool_domain(),
        }
    }

    #[test]
    fn truth_tables() {
        let all: Vec<String> = (0..16u32)
            .map(|t| bool_expr(&[t >> 3 & 1, t >> 2 & 1, t >> 1 & 1, t & 1], &["a", "b"]))
            .collect();
        assert_eq!(
            all,
            [
                "false",
                "and(a, b)",
                "and(a, not(b))",
                "a",
                "and(not(a), b)",
                "b",
                "xor(a, b)",
                "or(a, b)",
                "nor(a, b)",
                "xnor(a, b)",
                "not(b)",
                "or(a, not(b))",
                "not(a)",
                "or(not(a), b)",
                "nand(a, b)",
                "true"
            ]
        );
    }

    /// `y = op(x, z)` with `op: {And, Or, First}` a hole, `c = if k then x else z` with `k` a
    /// hole, both outputs; `observe y || c`; `cost op` once.
    fn graph() -> Graph {
        let mut b = Builder::new("g");
        let bool_d = b.bool_domain();
        let op_d = b.domain(Domain::enumeration(
            "Op",
            vec!["And".into(), "Or".into(), "First".into()],
        ));
        let xs = bool_slot(&mut b, "x");
        let x = b.input(xs);
        let zs = bool_slot(&mut b, "z");
        let z = b.input(zs);
        let op = b.hole_decl("op", vec![], op_d, SrcSpan::default())[0];
        let k = b.hole_decl("k", vec![2], bool_d, SrcSpan::default());
        let t = b.table(
            "apply",
            vec![op_d, bool_d, bool_d],
            bool_d,
            tabulate(&[3, 2, 2], |v| match v[0] {
                0 => v[1] & v[2],
                1 => v[1] | v[2],
                _ => v[1],
            }),
        );
        let y = b.apply(t, &[op, x, z]);
        b.name(y, "y");
        let c = b.mux(k[0], &[z, x]);
        b.name(c, "c");
        let ys = bool_slot(&mut b, "y");
        b.output(ys, y);
        let cs = bool_slot(&mut b, "out_c");
        b.output(cs, c);
        let either = b.apply_fn("||", &[y, c], bool_d, |v| v[0] | v[1]);
        b.observe(either, SrcSpan::default());
        b.cost(op, vec![3, 2, 1], SrcSpan::default());
        b.finish()
    }

    #[test]
    fn specialised_graph_evaluates_like_the_original() {
        let g = graph();
        let mut ex = Examples::with_slots(2, 2);
        for x in 0..2 {
            for z in 0..2 {
                ex.push(&[x, z], &[None, None], "");
            }
        }
        for op in 0..3 {
            for k0 in 0..2 {
                let a = Assignment(vec![op, k0, 0]);
                let s = specialize(&g, &a);
                assert!(s.holes.is_empty());
                let want = Evaluator::new(&g).unwrap().evaluate(&g, &a, &ex).unwrap();
                let got = Evaluator::new(&s)
                    .unwrap()
                    .evaluate(&s, &Assignment(vec![]), &ex)
                    .unwrap();
                assert_eq!(want, got);
            }
        }
    }

    #[test]
    fn program_and_irrelevant_holes() {
        let g = graph();
        // op = First ignores z; k[1] is never read.
        let a = Assignment(vec![2, 1, 0]);
        assert_eq!(irrelevant_holes(&g, &a), vec![HoleId(2)]);
        assert_eq!(
            program(&g, &a),
            "g(x, z):\n  y = x\n  out_c = x\n  observe x\n  cost [3, 2, 1][First]\nholes:\n  op = First\n  k = [true, _]\n  (_: does not matter once the other holes are fixed)\n"
        );
        let a = Assignment(vec![0, 0, 1]);
        assert_eq!(
            program(&g, &a),
            "g(x, z):\n  y = and(x, z)\n  out_c = z\n  observe or(y, z)\n  cost [3, 2, 1][And]\nholes:\n  op = And\n  k = [false, _]\n  (_: does not matter once the other holes are fixed)\n"
        );
    }

    #[test]
    fn a_reassigned_name_gets_primes_then_a_count() {
        let mut names = Names {
            taken: ["x'4".to_string()].into_iter().collect(),
            primes: HashMap::new(),
        };
        let got: Vec<String> = (0..7).map(|_| names.fresh("x".into())).collect();
        // `x'4` was taken (as if by another node), so the fifth name is `x'5`.
        assert_eq!(got, ["x", "x'", "x''", "x'''", "x'5", "x'6", "x'7"]);
        assert_eq!(names.fresh("y".into()), "y");
        // 20 000 reassignments: every name distinct, none longer than the base and a count.
        let many: HashSet<String> = (0..20_000).map(|_| names.fresh("w".into())).collect();
        assert_eq!(many.len(), 20_000);
        assert!(many.iter().all(|n| n.len() <= "w'20000".len()));
    }
}
