use weft_ir::Node;
use weft_sketch::{compile, Compiled, Config};
use weft_syntax::SourceMap;

pub fn compile_str(text: &str, set: &[(&str, i64)]) -> Result<Compiled, String> {
    let mut map = SourceMap::new();
    let f = map.add("t.wft", text);
    let cfg = Config {
        overrides: set.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
    };
    compile(&map, f, &cfg).map_err(|d| weft_syntax::render::render(&map, &d, false))
}

fn bench(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../benchmarks/terpret/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn circuit_lowers_to_a_small_graph() {
    let c = compile_str(&bench("circuit.wft"), &[]).unwrap();
    let g = &c.graph;
    assert_eq!(g.holes.len(), 12);
    assert_eq!(g.inputs.len(), 3);
    assert_eq!(g.outputs.len(), 2);
    let muxes = g
        .nodes
        .iter()
        .filter(|n| matches!(n.node, Node::Mux(..)))
        .count();
    eprintln!(
        "{} nodes, {} muxes, {} tables",
        g.nodes.len(),
        muxes,
        g.tables.len()
    );
    assert!(g.nodes.len() < 200, "{}", g.nodes.len());
}

#[test]
fn all_benchmarks_lower() {
    for f in [
        "circuit.wft",
        "turing.wft",
        "basic_block.wft",
        "parity_chain.wft",
    ] {
        let c = compile_str(&bench(f), &[]).unwrap_or_else(|e| panic!("{f}:\n{e}"));
        eprintln!(
            "{f}: {} nodes, {} holes, {} tables",
            c.graph.nodes.len(),
            c.graph.holes.len(),
            c.graph.tables.len()
        );
    }
}

#[test]
fn lowering_is_deterministic() {
    // Runtime branches merge variables; their order must not depend on hashing.
    for f in ["turing.wft", "basic_block.wft"] {
        let text = bench(f);
        let first = weft_ir::dump(&compile_str(&text, &[]).unwrap().graph);
        for _ in 0..5 {
            assert_eq!(
                weft_ir::dump(&compile_str(&text, &[]).unwrap().graph),
                first,
                "{f}"
            );
        }
    }
}
