//! The front end (parse + check + lower + examples) never panics, whatever the text.

use proptest::prelude::*;
use weft_syntax::SourceMap;

fn sources() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../benchmarks/terpret");
    [
        "circuit.wft",
        "turing.wft",
        "basic_block.wft",
        "parity_chain.wft",
    ]
    .iter()
    .map(|f| std::fs::read_to_string(dir.join(f)).unwrap())
    .collect()
}

fn front_end(text: &str) {
    let mut map = SourceMap::new();
    let file = map.add("fuzz.wft", text);
    // Small params keep the unrolled graphs small whatever the mutation does.
    let _ = weft_sketch::compile(&map, file, &weft_sketch::Config::default());
}

const TOKENS: &[&str] = &[
    "0",
    "1",
    "7",
    "-1",
    "true",
    "false",
    "_",
    "x",
    "g",
    "a",
    "+",
    "-",
    "*",
    "/",
    "%",
    "==",
    "!=",
    "<",
    "&&",
    "||",
    "^",
    "!",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ";",
    ",",
    ":",
    "..",
    "->",
    "=>",
    "=",
    "let ",
    "for ",
    " in ",
    "if ",
    "else ",
    "match ",
    "observe ",
    "cost ",
    "hole ",
    "fn ",
    "sketch ",
    "param ",
    "enum ",
    "bool",
    "[bool; 3]",
    "0..4",
    "examples ",
    "\n",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, .. ProptestConfig::default() })]

    #[test]
    fn mutated_benchmarks_never_panic(
        which in 0usize..4,
        edits in proptest::collection::vec((0usize..10_000, 0usize..40, 0usize..TOKENS.len(), 0u8..3), 1..6),
    ) {
        let mut text = sources()[which].clone().into_bytes();
        for (pos, len, tok, kind) in edits {
            let pos = pos % (text.len() + 1);
            match kind {
                0 => { let end = (pos + len).min(text.len()); text.drain(pos..end); }
                1 => { let t = TOKENS[tok].as_bytes(); text.splice(pos..pos, t.iter().copied()); }
                _ => { let end = (pos + len).min(text.len()); let chunk = text[pos..end].to_vec(); text.splice(pos..pos, chunk); }
            }
        }
        let text = String::from_utf8_lossy(&text).into_owned();
        front_end(&text);
    }

    #[test]
    fn token_soup_never_panics(toks in proptest::collection::vec(0usize..TOKENS.len(), 0..80)) {
        let text: String = toks.iter().map(|&t| TOKENS[t]).collect::<Vec<_>>().join(" ");
        front_end(&text);
    }
}
