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

#[test]
fn constant_index_writes_and_reads_of_nested_arrays() {
    // Element writes at constant indices are done in place and element reads at constant
    // indices read without copying the array; both must keep value semantics (`m = h` copies).
    let src = "hole h: [[0..4; 3]; 2];\n\
               sketch grid(a: [0..4; 3]) -> (out: [0..4; 4]) {\n\
               let m = h;\n\
               m[1][2] = a[0];\n\
               m[0][1] = m[1][2];\n\
               m[1][0] = h[0][2];\n\
               out[0] = m[0][1];\n\
               out[1] = m[1][0];\n\
               out[2] = m[1][2];\n\
               out[3] = h[1][2];\n\
               }\n";
    let c = compile_str(src, &[]).unwrap_or_else(|e| panic!("{e}"));
    let g = &c.graph;
    let mut ex = weft_ir::Examples::with_slots(g.inputs.len(), g.outputs.len());
    ex.push(&[3, 2, 1], &[None; 4], "test");
    let mut ev = weft_ir::Evaluator::new(g).unwrap();
    let holes = weft_ir::Assignment(vec![0, 1, 2, 3, 0, 1]);
    let e = ev.evaluate(g, &holes, &ex).unwrap();
    let out: Vec<u32> = e.outputs.iter().map(|col| col[0]).collect();
    assert_eq!(out, vec![3, 2, 3, 1]);
}

#[test]
fn integers_outside_the_sketch_range_are_refused_not_wrapped() {
    // Before, `N + 1` wrapped to a negative number and the sketch was "proved" unsolvable.
    let text = "param N = 4;\nhole h: bool;\nsketch s() { observe h == (N + 1 > N); }";
    assert!(compile_str(text, &[]).is_ok());
    let Err(e) = compile_str(text, &[("N", i64::MAX)]) else {
        panic!("i64::MAX accepted")
    };
    assert!(
        e.contains("t.wft:1:7") && e.contains("the value 9223372036854775807 given to `N`"),
        "{e}"
    );
    let Err(e) = compile_str(text, &[("N", 1 << 62)]) else {
        panic!("an overflowing sum accepted")
    };
    assert!(e.contains("`+` overflows"), "{e}");
    // Division and remainder of the most negative value by -1 no longer panic.
    let text = "sketch s(a: 0..2) -> bool { (0 - 4611686018427387904) / -1 > a }";
    if let Err(e) = compile_str(text, &[]) {
        panic!("{e}")
    }
    let text = "sketch s(a: 0..2) -> bool { (0 - 4611686018427387904) % -1 == a }";
    assert!(compile_str(text, &[]).is_ok());
}

/// The value of each output slot (as value indices) and its domain, on one example.
fn outputs_of(src: &str, inputs: &[u32]) -> Vec<(u32, String)> {
    let c = compile_str(src, &[]).unwrap_or_else(|e| panic!("{e}"));
    let g = &c.graph;
    let mut ex = weft_ir::Examples::with_slots(g.inputs.len(), g.outputs.len());
    ex.push(inputs, &vec![None; g.outputs.len()], "test");
    let mut ev = weft_ir::Evaluator::new(g).unwrap();
    let holes = weft_ir::Assignment(vec![0; g.holes.len()]);
    let e = ev.evaluate(g, &holes, &ex).unwrap();
    g.outputs
        .iter()
        .zip(&e.outputs)
        .map(|(o, col)| (col[0], g.domain(o.slot.domain).to_string()))
        .collect()
}

#[test]
fn a_let_named_like_an_output_shadows_it_and_leaves_the_output_alone() {
    // Found by the random differential test: the body's `let`s went into the scope of the
    // inputs and outputs, so `let o = true;` replaced the output `o: 0..4` (its slot became a
    // bool holding `true`), and `let o: 0..4 = 3;` changed the output's value.
    let out = outputs_of("sketch s() -> (o: 0..4) { o = 1; let o = true; }", &[]);
    assert_eq!(out, vec![(1, "0..4".to_string())]);
    let out = outputs_of(
        "sketch s(x: bool) -> (o: 0..4) { o = 1; let o: 0..4 = 3; o = 2; if x { o = 0; } }",
        &[1],
    );
    assert_eq!(out, vec![(1, "0..4".to_string())]);
    // A `let` is not an assignment of the output.
    let Err(e) = compile_str("sketch s() -> (o: 0..4) { let o = 2; }", &[]) else {
        panic!("an output that is only shadowed was accepted")
    };
    assert!(e.contains("output `o` is never assigned"), "{e}");
    // Shadowing an input still reads the new local.
    let out = outputs_of("sketch s(x: 0..3) -> (o: 0..4) { let x = 3; o = x; }", &[1]);
    assert_eq!(out, vec![(3, "0..4".to_string())]);
}

/// A flat chain of operators is not nesting: 256 `+` lower (they were "nesting too deep"),
/// and a chain of 100 000 `^` lowers on a test thread's small stack (the chain is walked in a
/// loop, not by recursion) to the right value.
#[test]
fn long_operator_chains_lower() {
    let sum = format!(
        "sketch s(a: 0..2) -> 0..257 {{ {} }}",
        vec!["a"; 256].join(" + ")
    );
    let c = compile_str(&sum, &[]).unwrap();
    assert_eq!(c.graph.outputs.len(), 1);
    let terms = ["a", "h"].repeat(50_000).join(" ^ ");
    let xor = format!("hole h: bool;\nsketch s(a: bool) -> bool {{ {terms} ^ a }}");
    let c = compile_str(&xor, &[]).unwrap();
    // 50 001 copies of `a` and 50 000 of `h`: the result is a ^ h ^ a ... = a (h cancels).
    let mut ev = weft_ir::Evaluator::new(&c.graph).unwrap();
    let mut ex = weft_ir::Examples::with_slots(1, 1);
    ex.push(&[1], &[Some(1)], "");
    ex.push(&[0], &[Some(0)], "");
    for h in [0, 1] {
        let r = ev
            .evaluate(&c.graph, &weft_ir::Assignment(vec![h]), &ex)
            .unwrap();
        assert!(r.all_passed, "h = {h}: {:?}", r.outputs);
    }
}
