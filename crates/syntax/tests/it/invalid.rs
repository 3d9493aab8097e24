//! The corpus of invalid files: each `tests/invalid/*.wft` starts with a header
//! `// expect-errors: N`; its rendered diagnostics are an insta snapshot.

use std::path::Path;

use weft_syntax::{parse, render::render, SourceMap};

#[test]
fn invalid_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/invalid exists")
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "wft"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 12, "the corpus has {} files", paths.len());
    let mut wrong_counts = Vec::new();
    for path in paths {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("utf-8 file name")
            .to_string();
        let text = std::fs::read_to_string(&path).expect("readable file");
        let expected: usize = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("// expect-errors: "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("{stem}.wft: first line must be `// expect-errors: N`"));
        let mut map = SourceMap::new();
        let file = map.add(format!("invalid/{stem}.wft"), text.as_str());
        let (_, diags) = parse(file, &text);
        let rendered = render(&map, &diags, false);
        assert!(
            diags.iter().all(|d| d.span.is_some()),
            "{stem}.wft: a diagnostic without span"
        );
        if diags.len() != expected {
            wrong_counts.push(format!(
                "{stem}.wft: expected {expected} errors, got:\n{rendered}"
            ));
        }
        insta::assert_snapshot!(stem, rendered);
    }
    assert!(wrong_counts.is_empty(), "{}", wrong_counts.join("\n"));
}
