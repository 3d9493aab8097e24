//! A readable dump of a whole graph, for `weft ir` and for snapshot tests.
//!
//! The dump is meant to be read by people debugging lowering and folding: a header with counts
//! and the search space, then domains, tables (their data only when small), holes, one line per
//! node, and the roots (outputs, observations, costs). Node lines look like
//! `%12: bool = apply and(%3, %7) @t0   ; wires[2]`: the node, its domain, the operation with
//! the table's own name (a specialised table shows its bound arguments in place, see
//! [`crate::Table::call`]) and the table id, and the node's readable name as a comment.
//! The format is not meant to be parsed back.

use std::fmt::Write;

use crate::domain::DomainKind;
use crate::graph::{Graph, Node, NodeId};

/// Tables with at most this many entries have their data printed.
const SMALL_TABLE: usize = 16;

/// The whole graph as text; see the module documentation.
pub fn dump(g: &Graph) -> String {
    let mut s = String::new();
    // `write!` to a String cannot fail.
    let _ = write_dump(&mut s, g);
    s
}

fn write_dump(s: &mut String, g: &Graph) -> std::fmt::Result {
    let count = |f: fn(&Node) -> bool| g.nodes.iter().filter(|n| f(&n.node)).count();
    write!(s, "graph {}", g.name)?;
    if !g.params.is_empty() {
        let params: Vec<String> = g.params.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        write!(s, " ({})", params.join(", "))?;
    }
    writeln!(s)?;
    writeln!(
        s,
        "  nodes: {} (inputs {}, holes {}, consts {}, apply {}, mux {})",
        g.nodes.len(),
        count(|n| matches!(n, Node::Input(_))),
        count(|n| matches!(n, Node::Hole(_))),
        count(|n| matches!(n, Node::Const(_))),
        count(|n| matches!(n, Node::Apply(..))),
        count(|n| matches!(n, Node::Mux(..))),
    )?;
    writeln!(
        s,
        "  tables: {}  observations: {}  costs: {}  outputs: {}",
        g.tables.len(),
        g.observations.len(),
        g.costs.len(),
        g.outputs.len()
    )?;
    writeln!(
        s,
        "  search space: {} ({} holes)",
        show_graph_space(g),
        g.holes.len()
    )?;

    writeln!(s, "domains:")?;
    for (i, d) in g.domains.iter().enumerate() {
        match &d.kind {
            DomainKind::Enum { name, variants } => {
                writeln!(s, "  d{i} {name} {{ {} }}", variants.join(", "))?
            }
            _ => writeln!(s, "  d{i} {d}")?,
        }
    }

    writeln!(s, "tables:")?;
    for (i, t) in g.tables.iter().enumerate() {
        let args: Vec<String> = t.args.iter().map(|&d| g.domain(d).to_string()).collect();
        write!(
            s,
            "  t{i} {}: ({}) -> {}",
            t.name,
            args.join(", "),
            g.domain(t.out)
        )?;
        if t.data.len() <= SMALL_TABLE {
            let out = g.domain(t.out);
            let data: Vec<String> = t.data.iter().map(|&v| out.show(v)).collect();
            writeln!(s, " = [{}]", data.join(", "))?;
        } else {
            writeln!(s, "  [{} entries]", t.data.len())?;
        }
    }

    if !g.hole_decls.is_empty() {
        writeln!(s, "holes:")?;
        for d in &g.hole_decls {
            let shape: String = d.shape.iter().map(|n| format!("[{n}]")).collect();
            writeln!(
                s,
                "  {}{shape}: {}  (holes {})",
                d.name,
                g.domain(d.domain),
                id_ranges(d.holes.iter().map(|h| h.0))
            )?;
        }
    }

    writeln!(s, "nodes:")?;
    for (i, n) in g.nodes.iter().enumerate() {
        let op = match &n.node {
            Node::Input(slot) => format!("input #{slot}"),
            Node::Hole(h) => format!("hole #{}", h.0),
            Node::Const(v) => format!("const {}", g.domain(n.domain).show(*v)),
            Node::Apply(t, args) => {
                let args: Vec<String> = args.iter().map(|a| node_ref(*a)).collect();
                let (f, items) = g.table(*t).call(&args);
                format!("apply {f}({}) @t{}", items.join(", "), t.0)
            }
            Node::Mux(sel, cases) => {
                let cases: Vec<String> = cases.iter().map(|c| node_ref(*c)).collect();
                format!("mux {} [{}]", node_ref(*sel), cases.join(", "))
            }
        };
        let line = format!("  %{i}: {} = {op}", g.domain(n.domain));
        match &n.name {
            Some(name) => writeln!(s, "{line:<40} ; {name}")?,
            None => writeln!(s, "{line}")?,
        }
    }

    if !g.outputs.is_empty() {
        writeln!(s, "outputs:")?;
        for o in &g.outputs {
            writeln!(s, "  {} = {}", o.slot.name, node_ref(o.node))?;
        }
    }
    if !g.observations.is_empty() {
        writeln!(s, "observations:")?;
        for o in &g.observations {
            writeln!(s, "  observe {}", node_ref(o.node))?;
        }
    }
    if !g.costs.is_empty() {
        writeln!(s, "costs:")?;
        for c in &g.costs {
            let w: Vec<String> = c.weights.iter().map(|w| w.to_string()).collect();
            writeln!(
                s,
                "  cost {} weights [{}] {}",
                node_ref(c.node),
                w.join(", "),
                if c.once { "once" } else { "per example" }
            )?;
        }
    }
    Ok(())
}

fn node_ref(n: NodeId) -> String {
    format!("%{}", n.0)
}

/// A search space as a plain number while it is exact and short, else as a power of two.
pub fn show_space(space: f64) -> String {
    show_space_log2(space, space.log2())
}

/// A graph's search space as [`show_space`] shows it, the power of two computed in log space
/// ([`Graph::search_space_log2`]), so that spaces beyond `f64` are not `2^inf`.
pub fn show_graph_space(g: &Graph) -> String {
    show_space_log2(g.search_space(), g.search_space_log2())
}

/// `space` while it is short, else `2^log2`.
fn show_space_log2(space: f64, log2: f64) -> String {
    if space < 1e12 {
        format!("{space}")
    } else {
        format!("2^{log2:.1}")
    }
}

/// `0..2, 5` for the ids 0, 1, 2, 5.
fn id_ranges(ids: impl Iterator<Item = u32>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut run: Option<(u32, u32)> = None;
    let flush = |run: Option<(u32, u32)>, parts: &mut Vec<String>| match run {
        Some((a, b)) if a == b => parts.push(a.to_string()),
        Some((a, b)) => parts.push(format!("{a}..{b}")),
        None => {}
    };
    for id in ids {
        run = match run {
            Some((a, b)) if id == b + 1 => Some((a, id)),
            other => {
                flush(other, &mut parts);
                Some((id, id))
            }
        };
    }
    flush(run, &mut parts);
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::tabulate;
    use crate::{Builder, Domain, Slot, SrcSpan};

    /// One gate of the Boolean circuit over two wires, with an observation and a cost.
    fn small() -> Graph {
        let mut b = Builder::new("tiny");
        b.set_params(vec![("numWires".into(), 2)]);
        let bool_d = b.bool_domain();
        let gate_d = b.domain(Domain::enumeration(
            "Gate",
            vec!["And".into(), "Or".into(), "Not".into()],
        ));
        let wire_d = b.domain(Domain::range(0, 2));
        let apply = b.table(
            "apply",
            vec![gate_d, bool_d, bool_d],
            bool_d,
            tabulate(&[3, 2, 2], |v| match v[0] {
                0 => v[1] & v[2],
                1 => v[1] | v[2],
                _ => 1 - v[1],
            }),
        );
        let wires: Vec<_> = (0..2)
            .map(|i| {
                b.input(Slot {
                    name: format!("w[{i}]"),
                    decl: "w".into(),
                    index: vec![i],
                    domain: bool_d,
                })
            })
            .collect();
        let gate = b.hole_decl("gate", vec![], gate_d, SrcSpan::default())[0];
        let in1 = b.hole_decl("in1", vec![], wire_d, SrcSpan::default())[0];
        let a = b.mux(in1, &wires);
        let v = b.apply(apply, &[gate, a, wires[1]]);
        b.name(v, "out");
        b.output(
            Slot {
                name: "result".into(),
                decl: "result".into(),
                index: vec![],
                domain: bool_d,
            },
            v,
        );
        let not_and = b.apply_fn("!=", &[gate], bool_d, |g| u32::from(g[0] != 0));
        b.observe(not_and, SrcSpan::default());
        b.cost(in1, vec![0, 5], SrcSpan::default());
        b.finish()
    }

    #[test]
    fn dump_small_graph() {
        insta::assert_snapshot!(dump(&small()));
    }

    #[test]
    fn spaces_and_ranges() {
        assert_eq!(show_space(135.0), "135");
        assert_eq!(show_space(2f64.powi(60)), "2^60.0");
        // 2 000 holes of 2^16 values: 2^32000, beyond f64, shown from its logarithm.
        let mut b = Builder::new("huge");
        let d = b.domain(Domain::range(0, 1 << 16));
        b.hole_decl("h", vec![2000], d, SrcSpan::default());
        let g = b.finish();
        assert_eq!(g.search_space(), f64::INFINITY);
        assert_eq!(show_graph_space(&g), "2^32000.0");
        assert_eq!(id_ranges([0, 1, 2, 5, 7, 8].into_iter()), "0..2, 5, 7..8");
    }
}
