//! Holes that do not matter, *jointly*: the set used by blocking clauses when enumerating
//! distinct programs.
//!
//! [`weft_ir::irrelevant_holes`] tests each hole alone with all others fixed. Two holes can each
//! be irrelevant alone and matter together (`y = h1 && h2` at `h1 = h2 = false`), so blocking
//! only the individually relevant holes could skip a different program. Here the set grows
//! greedily: a hole joins when the graph specialised with every hole *outside* the set fixed
//! still has no output, observation or cost depending on any hole of the set. Any values of
//! the set then give the same specialised graph, hence the same program.

use weft_ir::{Assignment, Builder, DomainId, Graph, HoleId, Node, NodeId, Slot, TableId};

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
    let mut b = Builder::new(g.name.clone());
    let doms: Vec<DomainId> = g.domains.iter().map(|d| b.domain(d.clone())).collect();
    let dom = |d: DomainId| doms[d.0 as usize];
    let slot = |s: &Slot| Slot {
        domain: dom(s.domain),
        ..s.clone()
    };
    let inputs: Vec<NodeId> = g.inputs.iter().map(|s| b.input(slot(s))).collect();
    let mut tables: Vec<Option<TableId>> = vec![None; g.tables.len()];
    let mut kept: Vec<Option<NodeId>> = vec![None; g.holes.len()];
    let mut map: Vec<NodeId> = Vec::with_capacity(g.nodes.len());
    for nd in &g.nodes {
        let new = match &nd.node {
            Node::Input(s) => inputs[*s as usize],
            Node::Hole(h) if free[h.0 as usize] => match kept[h.0 as usize] {
                Some(n) => n,
                None => {
                    let hole = g.hole(*h);
                    let n = b.hole_decl(&hole.name, vec![], dom(hole.domain), hole.span)[0];
                    kept[h.0 as usize] = Some(n);
                    n
                }
            },
            Node::Hole(h) => b.constant(dom(nd.domain), a.0[h.0 as usize]),
            Node::Const(v) => b.constant(dom(nd.domain), *v),
            Node::Apply(t, args) => {
                let tid = match tables[t.0 as usize] {
                    Some(id) => id,
                    None => {
                        let table = g.table(*t);
                        let id = b.table(
                            table.name.clone(),
                            table.args.iter().map(|&d| dom(d)).collect(),
                            dom(table.out),
                            table.data.clone(),
                        );
                        tables[t.0 as usize] = Some(id);
                        id
                    }
                };
                let args: Vec<NodeId> = args.iter().map(|x| map[x.0 as usize]).collect();
                b.apply(tid, &args)
            }
            Node::Mux(sel, cases) => {
                let cases: Vec<NodeId> = cases.iter().map(|x| map[x.0 as usize]).collect();
                b.mux(map[sel.0 as usize], &cases)
            }
        };
        map.push(new);
    }
    let s = b.graph();
    let mut live = vec![false; s.nodes.len()];
    let roots = g
        .outputs
        .iter()
        .map(|o| o.node)
        .chain(g.observations.iter().map(|o| o.node))
        .chain(g.costs.iter().map(|c| c.node));
    for r in roots {
        live[map[r.0 as usize].0 as usize] = true;
    }
    for i in (0..s.nodes.len()).rev() {
        if !live[i] {
            continue;
        }
        match &s.nodes[i].node {
            Node::Apply(_, args) => args.iter().for_each(|x| live[x.0 as usize] = true),
            Node::Mux(sel, cases) => {
                live[sel.0 as usize] = true;
                cases.iter().for_each(|x| live[x.0 as usize] = true);
            }
            _ => {}
        }
    }
    kept.iter().flatten().all(|n| !live[n.0 as usize])
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
