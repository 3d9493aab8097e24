//! The data and hypers readers: no text makes them panic, and what they accept is exactly the
//! file's content (nothing dropped, nothing doubled).

use proptest::prelude::*;
use weft_sketch::examples::{file_examples, read_hypers_at};
use weft_syntax::SourceMap;

const CIRCUIT: &str = include_str!("../../../../benchmarks/terpret/circuit.wft");
const DATA: &str = include_str!("../../../../benchmarks/terpret/data/circuit_swap_data.json");
const HYPERS: &str = include_str!("../../../../benchmarks/terpret/data/circuit_swap_hypers.json");

/// Pieces of JSON that the mutations insert.
const PIECES: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\",
    "-0",
    "1.5",
    "2.0",
    "null",
    "\"train\"",
    "\"batch_name\": ",
    "\"hypers\": ",
    "\"instances\": ",
    "\n",
    "\u{feff}",
    "é",
    "//",
];

/// Reads `data` and `hypers` as weft does (hypers first, then the data with the circuit).
fn read(data: &str, name: &str, hypers: &str, batch: Option<&str>) -> Option<usize> {
    let mut map = SourceMap::new();
    let sketch = map.add("circuit.wft", CIRCUIT);
    let d = map.add(name, data);
    let h = map.add("hypers.json", hypers);
    let c = weft_sketch::compile(&map, sketch, &weft_sketch::Config::default()).ok()?;
    let named = weft_sketch::examples::data_hypers(&map, d, batch)
        .ok()
        .flatten();
    let _ = read_hypers_at(&map, h, named.as_ref());
    file_examples(&c.lowered, &map, d, batch)
        .ok()
        .map(|(ex, _)| ex.origins.len())
}

fn mutate(text: &str, edits: &[(usize, usize, usize, u8)]) -> String {
    let mut text = text.as_bytes().to_vec();
    for &(pos, len, piece, kind) in edits {
        let pos = pos % (text.len() + 1);
        let end = (pos + len).min(text.len());
        match kind {
            0 => {
                text.drain(pos..end);
            }
            1 => {
                text.splice(pos..pos, PIECES[piece].bytes());
            }
            _ => {
                let chunk = text[pos..end].to_vec();
                text.splice(pos..pos, chunk);
            }
        }
    }
    String::from_utf8_lossy(&text).into_owned()
}

#[test]
fn the_swap_data_reads_as_written_in_every_layout() {
    assert_eq!(read(DATA, "d.json", HYPERS, None), Some(4));
    // The first instance alone, pretty-printed: one example.
    let one = "{\n  \"initial_wires\": [0, 0, 0],\n  \"final_wires\": [0, 0]\n}\n";
    assert_eq!(read(one, "d.json", HYPERS, None), Some(1));
    assert_eq!(read(one, "d.jsonl", HYPERS, None), Some(1));
    let lines = "{\"initial_wires\": [0, 0, 0], \"final_wires\": [0, 0]}\n// note\n\n{\"initial_wires\": [1, 0, 0], \"final_wires\": [0, 1]}\n";
    assert_eq!(read(lines, "d.json", HYPERS, None), Some(2));
    // A second "train" batch is neither appended nor skipped: the file is refused.
    let twice = format!(
        "[{}, {}]",
        &DATA.trim()[1..DATA.trim().len() - 1],
        &DATA.trim()[1..DATA.trim().len() - 1]
    );
    assert_eq!(read(&twice, "d.json", HYPERS, None), None);
    assert_eq!(
        read(
            &twice.replacen("\"train\"", "\"test\"", 1),
            "d.json",
            HYPERS,
            None
        ),
        Some(4)
    );
}

#[test]
fn a_broken_json_lines_file_gives_at_most_twenty_errors() {
    let mut map = SourceMap::new();
    let sketch = map.add("circuit.wft", CIRCUIT);
    let d = map.add(
        "d.jsonl",
        "{\"initial_wires\": [0, 0, 0] \"final_wires\": [0, 0]}\n".repeat(100),
    );
    let c = weft_sketch::compile(&map, sketch, &weft_sketch::Config::default()).unwrap();
    let errors = file_examples(&c.lowered, &map, d, None).unwrap_err();
    assert_eq!(errors.len(), 20);
    let span = errors[19].span.expect("a data error has a position");
    let (line, col) = map.get(d).line_col(span.start);
    assert_eq!((line, col), (20, 29));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn mutated_data_and_hypers_never_panic(
        edits in proptest::collection::vec((0usize..2_000, 0usize..30, 0usize..PIECES.len(), 0u8..3), 1..5),
        on_hypers in any::<bool>(),
        jsonl in any::<bool>(),
        batch in prop_oneof![Just(None), Just(Some("train")), Just(Some("test"))],
    ) {
        let (data, hypers) = if on_hypers {
            (DATA.to_string(), mutate(HYPERS, &edits))
        } else {
            (mutate(DATA, &edits), HYPERS.to_string())
        };
        let name = if jsonl { "d.jsonl" } else { "d.json" };
        let _ = read(&data, name, &hypers, batch);
    }
}
