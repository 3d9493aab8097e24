//! Renders [`Diagnostic`]s as rustc-like text with `codespan-reporting`: the only place that
//! turns diagnostics into text.

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor, Chars, Config};

use crate::diagnostic::{Diagnostic, Severity};
use crate::span::{SourceMap, Span};

/// Renders every diagnostic: `error: message`, then `--> file:line:column`, the source line
/// with a caret under the primary span and its label, secondary labels, and notes. A
/// diagnostic without a span is just its message and notes. With `color`, ANSI escapes are
/// included.
pub fn render(map: &SourceMap, diags: &[Diagnostic], color: bool) -> String {
    let mut files = SimpleFiles::new();
    for file in map.files() {
        files.add(file.name.as_str(), file.text.as_str());
    }
    let config = Config {
        chars: Chars::ascii(),
        ..Config::default()
    };
    let mut buf = Vec::new();
    {
        let mut ansi;
        let mut plain;
        let writer: &mut dyn termcolor::WriteColor = if color {
            ansi = termcolor::Ansi::new(&mut buf);
            &mut ansi
        } else {
            plain = termcolor::NoColor::new(&mut buf);
            &mut plain
        };
        for diag in diags {
            if term::emit(writer, &config, &files, &to_codespan(map, diag)).is_err() {
                // Only a span outside its file gets here (to_codespan clamps them), but a
                // diagnostic must never be lost: fall back to the bare message.
                let _ = writeln!(writer, "{}: {}", severity_name(diag.severity), diag.message);
            }
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// `file:line:column` of the start of `span` (1-based line and column, the column in
/// characters).
pub fn location(map: &SourceMap, span: Span) -> String {
    match map.files().get(span.file.0 as usize) {
        Some(file) => {
            let (line, col) = file.line_col(span.start);
            format!("{}:{line}:{col}", file.name)
        }
        None => format!("<unknown file {}>:{}", span.file.0, span.start),
    }
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The byte range of `span` clamped to its file and to character boundaries, or `None` if
/// the file is not in the map.
fn range(map: &SourceMap, span: Span) -> Option<(usize, std::ops::Range<usize>)> {
    let file = map.files().get(span.file.0 as usize)?;
    let text = &file.text;
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(span.start as usize);
    let end = floor((span.end as usize).max(start));
    Some((span.file.0 as usize, start..end))
}

fn to_codespan(map: &SourceMap, diag: &Diagnostic) -> cs::Diagnostic<usize> {
    let base = match diag.severity {
        Severity::Error => cs::Diagnostic::error(),
        Severity::Warning => cs::Diagnostic::warning(),
    };
    let mut labels = Vec::new();
    if let Some((file, range)) = diag.span.and_then(|s| range(map, s)) {
        labels.push(cs::Label::primary(file, range).with_message(&diag.label));
    }
    for label in &diag.secondary {
        if let Some((file, range)) = range(map, label.span) {
            labels.push(cs::Label::secondary(file, range).with_message(&label.message));
        }
    }
    base.with_message(&diag.message)
        .with_labels(labels)
        .with_notes(diag.notes.clone())
}
