//! Each file in `tests/invalid/` is a sketch with a mistake; its rendered diagnostics are
//! snapshots (`tests/it/snapshots/`). Every one must be an error with file:line:column.

use weft_syntax::SourceMap;

#[test]
fn invalid_sketches_give_their_diagnostics() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 15);
    for path in files {
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut map = SourceMap::new();
        let file = map.add(format!("{name}.wft"), text);
        let diags = match weft_sketch::compile(&map, file, &weft_sketch::Config::default()) {
            Ok(_) => panic!("{name}: expected an error"),
            Err(d) => d,
        };
        assert!(diags.iter().any(|d| d.is_error()), "{name}");
        let rendered = weft_syntax::render::render(&map, &diags, false);
        if diags.iter().any(|d| d.span.is_some()) {
            assert!(
                rendered.contains(&format!("{name}.wft:")),
                "{name}: no location in\n{rendered}"
            );
        }
        insta::assert_snapshot!(name, rendered);
    }
}
