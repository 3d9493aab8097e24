//! Dead-node removal after lowering: unrolling and function tabulation leave nodes that no
//! output, observation or cost reads; solvers should never see them.

use weft_ir::{Graph, Node, NodeId, TableId};

/// Keeps the nodes reachable from outputs, observations and costs (and every hole and input
/// node, so that dumps still list them), renumbering nodes and tables.
pub fn compact(g: Graph) -> Graph {
    let n = g.nodes.len();
    let mut live = vec![false; n];
    let mut stack: Vec<NodeId> = g
        .outputs
        .iter()
        .map(|o| o.node)
        .chain(g.observations.iter().map(|o| o.node))
        .chain(g.costs.iter().map(|c| c.node))
        .collect();
    for (i, nd) in g.nodes.iter().enumerate() {
        if matches!(nd.node, Node::Hole(_) | Node::Input(_)) {
            stack.push(NodeId(i as u32));
        }
    }
    while let Some(id) = stack.pop() {
        if std::mem::replace(&mut live[id.0 as usize], true) {
            continue;
        }
        match &g.nodes[id.0 as usize].node {
            Node::Apply(_, args) => stack.extend(args.iter().copied()),
            Node::Mux(s, cases) => {
                stack.push(*s);
                stack.extend(cases.iter().copied());
            }
            _ => {}
        }
    }
    let mut remap = vec![NodeId(u32::MAX); n];
    let mut table_used = vec![false; g.tables.len()];
    let mut nodes = Vec::with_capacity(n);
    for (i, nd) in g.nodes.iter().enumerate() {
        if !live[i] {
            continue;
        }
        remap[i] = NodeId(nodes.len() as u32);
        let mut nd = nd.clone();
        match &mut nd.node {
            Node::Apply(t, args) => {
                table_used[t.0 as usize] = true;
                args.iter_mut().for_each(|a| *a = remap[a.0 as usize]);
            }
            Node::Mux(s, cases) => {
                *s = remap[s.0 as usize];
                cases.iter_mut().for_each(|c| *c = remap[c.0 as usize]);
            }
            _ => {}
        }
        nodes.push(nd);
    }
    let mut table_map = vec![TableId(u32::MAX); g.tables.len()];
    let mut tables = Vec::new();
    for (i, t) in g.tables.iter().enumerate() {
        if table_used[i] {
            table_map[i] = TableId(tables.len() as u32);
            tables.push(t.clone());
        }
    }
    for nd in &mut nodes {
        if let Node::Apply(t, _) = &mut nd.node {
            *t = table_map[t.0 as usize];
        }
    }
    let mut g = g;
    g.nodes = nodes;
    g.tables = tables;
    for o in &mut g.outputs {
        o.node = remap[o.node.0 as usize];
    }
    for o in &mut g.observations {
        o.node = remap[o.node.0 as usize];
    }
    for c in &mut g.costs {
        c.node = remap[c.node.0 as usize];
    }
    g
}
