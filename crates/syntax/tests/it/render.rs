//! Rendering diagnostics to text.

use weft_syntax::render::{location, render};
use weft_syntax::{Diagnostic, FileId, SourceMap, Span};

fn map() -> (SourceMap, FileId) {
    let mut map = SourceMap::new();
    map.add("other.wft", "");
    let file = map.add("dir/a.wft", "hole h: bool;\nlet é = 1;\n");
    (map, file)
}

#[test]
fn location_is_file_line_column_in_characters() {
    let (map, file) = map();
    assert_eq!(location(&map, Span::new(file, 0, 4)), "dir/a.wft:1:1");
    // `=` follows the two-byte `é`: column 7, not 8.
    assert_eq!(location(&map, Span::new(file, 21, 22)), "dir/a.wft:2:7");
}

#[test]
fn rustc_like_snippet() {
    let (map, file) = map();
    let diag = Diagnostic::error("unknown hole type", Span::new(file, 8, 12))
        .with_label("here")
        .with_secondary(Span::new(file, 5, 6), "the hole")
        .with_note("note: something to know");
    let text = render(&map, &[diag], false);
    assert_eq!(
        text,
        "error: unknown hole type\n  --> dir/a.wft:1:9\n  |\n1 | hole h: bool;\n  |      -  ^^^^ here\n  |      |   \n  |      the hole\n  |\n  = note: something to know\n\n"
    );
}

#[test]
fn without_span_only_message_and_notes() {
    let (map, _) = map();
    let diag = Diagnostic::error_nowhere("`--set n=x`: not an integer")
        .with_note("help: write `--set n=3`");
    assert_eq!(
        render(&map, &[diag], false),
        "error: `--set n=x`: not an integer\n = help: write `--set n=3`\n\n"
    );
}

#[test]
fn warnings_and_color() {
    let (map, file) = map();
    let diag = Diagnostic::warning("unused hole", Span::new(file, 5, 6));
    let plain = render(&map, std::slice::from_ref(&diag), false);
    assert!(plain.starts_with("warning: unused hole\n"), "{plain}");
    let colored = render(&map, &[diag], true);
    assert!(colored.contains("\u{1b}["), "{colored:?}");
}

#[test]
fn bad_spans_do_not_panic() {
    let (map, file) = map();
    let diags = [
        Diagnostic::error("past the end", Span::new(file, 500, 900)),
        Diagnostic::error("inside a character", Span::new(file, 19, 20)),
        Diagnostic::error("reversed", Span::new(file, 10, 2)),
        Diagnostic::error("unknown file", Span::new(FileId(7), 0, 1)),
    ];
    let text = render(&map, &diags, false);
    for d in &diags {
        assert!(text.contains(&d.message), "{text}");
    }
    assert!(location(&map, Span::new(FileId(7), 3, 4)).contains("unknown file"));
}
