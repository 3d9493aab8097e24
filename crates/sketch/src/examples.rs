//! Examples: inline rows from the sketch, JSON / JSON Lines files, and TerpreT's data and
//! hypers files, all checked against the sketch's input and output types and turned into
//! columnar [`Examples`].
//!
//! JSON values are read through `serde_json::value::RawValue`, which borrows from the source
//! text, so every value keeps its byte position and errors point at file:line:column.

use std::collections::BTreeMap;

use serde_json::value::RawValue;
use weft_ir::{DomainKind, Examples, Graph};
use weft_syntax::ast::{ExampleRow, ValueLit, ValueLitKind};
use weft_syntax::{Diagnostic, FileId, SourceMap, Span};

use crate::lower::{Lowered, Ty};

/// A value as written, from either syntax, with its position.
#[derive(Debug)]
enum V {
    Int(i64),
    Bool(bool),
    Name(String),
    Array(Vec<Spanned>),
    DontCare,
    /// A JSON value of a kind examples never use (object, float, ...): its description.
    Other(String),
}

#[derive(Debug)]
struct Spanned {
    v: V,
    span: Span,
}

fn from_lit(l: &ValueLit) -> Spanned {
    let v = match &l.kind {
        ValueLitKind::Int(x) => V::Int(*x),
        ValueLitKind::Bool(b) => V::Bool(*b),
        ValueLitKind::Variant(_, n) => V::Name(n.clone()),
        ValueLitKind::Array(items) => V::Array(items.iter().map(from_lit).collect()),
        ValueLitKind::DontCare => V::DontCare,
    };
    Spanned { v, span: l.span }
}

/// Span of a borrowed raw JSON value inside `text`.
fn raw_span(file: FileId, text: &str, raw: &RawValue) -> Span {
    let s = raw.get();
    let start = (s.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
    Span::new(file, start as u32, (start + s.len()) as u32)
}

fn from_json(file: FileId, text: &str, raw: &RawValue) -> Spanned {
    let span = raw_span(file, text, raw);
    let s = raw.get().trim_start();
    if s.starts_with('[') {
        if let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(raw.get()) {
            return Spanned {
                v: V::Array(items.iter().map(|r| from_json(file, text, r)).collect()),
                span,
            };
        }
    }
    let v = match serde_json::from_str::<serde_json::Value>(raw.get()) {
        Ok(serde_json::Value::Null) => V::DontCare,
        Ok(serde_json::Value::Bool(b)) => V::Bool(b),
        Ok(serde_json::Value::String(s)) if s == "_" => V::DontCare,
        Ok(serde_json::Value::String(s)) => V::Name(s),
        Ok(serde_json::Value::Number(n)) => match weft_ir::json::integer(&n) {
            Some(x) => V::Int(x),
            None => V::Other(format!("the number {n}")),
        },
        Ok(serde_json::Value::Object(_)) => V::Other("an object".into()),
        Ok(serde_json::Value::Array(_)) => V::Other("an array".into()),
        Err(e) => V::Other(format!("invalid JSON ({e})")),
    };
    Spanned { v, span }
}

fn describe(v: &V) -> String {
    match v {
        V::Int(x) => x.to_string(),
        V::Bool(b) => b.to_string(),
        V::Name(n) => format!("`{n}`"),
        V::Array(items) => format!("an array of length {}", items.len()),
        V::DontCare => "`_`".into(),
        V::Other(s) => s.clone(),
    }
}

/// Checks a value against a type and appends its scalar value indices (row-major).
/// `None` entries are don't-cares (allowed only when `dont_care` is set).
fn check(
    g: &Graph,
    ty: &Ty,
    s: &Spanned,
    dont_care: bool,
    what: &str,
    out: &mut Vec<Option<u32>>,
) -> Result<(), Diagnostic> {
    let kind = if dont_care { "output" } else { "input" };
    if let V::DontCare = s.v {
        if !dont_care {
            return Err(Diagnostic::error(
                format!("{kind} `{what}`: `_` (don't care) is allowed only in outputs"),
                s.span,
            )
            .with_label("an input needs a value"));
        }
        out.extend(std::iter::repeat_n(None, scalar_count(ty)));
        return Ok(());
    }
    match ty {
        Ty::Unit => Ok(()),
        Ty::Array(elem, n) => {
            let V::Array(items) = &s.v else {
                return Err(Diagnostic::error(
                    format!(
                        "{kind} `{what}`: expected an array of length {n}, found {}",
                        describe(&s.v)
                    ),
                    s.span,
                )
                .with_label("expected an array"));
            };
            if items.len() != *n as usize {
                return Err(Diagnostic::error(
                    format!(
                        "{kind} `{what}`: expected an array of length {n}, found length {}",
                        items.len()
                    ),
                    s.span,
                )
                .with_label(format!("{} element(s)", items.len())));
            }
            for (k, it) in items.iter().enumerate() {
                check(g, elem, it, dont_care, &format!("{what}[{k}]"), out)?;
            }
            Ok(())
        }
        Ty::Scalar(d) => {
            let dom = g.domain(*d);
            let bad = |expected: String| {
                Diagnostic::error(
                    format!(
                        "{kind} `{what}`: expected {expected}, found {}",
                        describe(&s.v)
                    ),
                    s.span,
                )
                .with_label(format!("not a value of type `{dom}`"))
            };
            let v = match (&dom.kind, &s.v) {
                (DomainKind::Bool, V::Bool(b)) => u32::from(*b),
                (DomainKind::Bool, V::Int(x)) if *x == 0 || *x == 1 => *x as u32,
                (DomainKind::Bool, _) => return Err(bad("a bool (true/false or 0/1)".into())),
                (DomainKind::Range { .. }, V::Int(x)) => match dom.index_of_int(*x) {
                    Some(v) => v,
                    None => return Err(bad(format!("an integer in `{dom}`"))),
                },
                (DomainKind::Range { .. }, _) => return Err(bad(format!("an integer in `{dom}`"))),
                (DomainKind::Enum { variants, .. }, V::Name(n)) => {
                    match variants.iter().position(|x| x == n) {
                        Some(v) => v as u32,
                        None => return Err(bad(format!("one of {}", variants.join(", ")))),
                    }
                }
                (DomainKind::Enum { variants, .. }, _) => {
                    return Err(bad(format!("one of {}", variants.join(", "))))
                }
            };
            out.push(Some(v));
            Ok(())
        }
    }
}

fn scalar_count(t: &Ty) -> usize {
    match t {
        Ty::Scalar(_) => 1,
        Ty::Array(e, n) => *n as usize * scalar_count(e),
        Ty::Unit => 0,
    }
}

/// Builds one example from per-declaration values (`None` for an output not given: don't care).
fn push_example(
    low: &Lowered,
    ex: &mut Examples,
    inputs: &[&Spanned],
    outputs: &[Option<&Spanned>],
    origin: String,
) -> Result<(), Diagnostic> {
    let g = &low.graph;
    let mut ins = Vec::new();
    for ((name, ty), v) in low.inputs.iter().zip(inputs) {
        check(g, ty, v, false, name, &mut ins)?;
    }
    let mut outs = Vec::new();
    for ((name, ty), v) in low.outputs.iter().zip(outputs) {
        match v {
            Some(v) => check(g, ty, v, true, name, &mut outs)?,
            None => outs.extend(std::iter::repeat_n(None, scalar_count(ty))),
        }
    }
    let ins: Vec<u32> = ins
        .into_iter()
        .map(|v| v.expect("inputs have values"))
        .collect();
    ex.push(&ins, &outs, origin);
    Ok(())
}

/// The inline `examples { ... }` rows of a sketch.
pub fn inline_examples(low: &Lowered, map: &SourceMap) -> Result<Examples, Vec<Diagnostic>> {
    let mut ex = Examples::with_slots(low.graph.inputs.len(), low.graph.outputs.len());
    let mut diags = Vec::new();
    for row in &low.example_rows {
        if let Err(d) = inline_row(low, map, row, &mut ex) {
            diags.push(d);
        }
    }
    if diags.is_empty() {
        Ok(ex)
    } else {
        Err(diags)
    }
}

fn inline_row(
    low: &Lowered,
    map: &SourceMap,
    row: &ExampleRow,
    ex: &mut Examples,
) -> Result<(), Diagnostic> {
    for (side, got, want) in [
        ("inputs", row.inputs.len(), low.inputs.len()),
        ("outputs", row.outputs.len(), low.outputs.len()),
    ] {
        if got != want {
            return Err(Diagnostic::error(
                format!("this example gives {got} {side}, the sketch has {want}"),
                row.span,
            )
            .with_note(format!(
                "the sketch's {side} are: {}",
                if side == "inputs" {
                    names(&low.inputs)
                } else {
                    names(&low.outputs)
                }
            )));
        }
    }
    let ins: Vec<Spanned> = row.inputs.iter().map(from_lit).collect();
    let outs: Vec<Spanned> = row.outputs.iter().map(from_lit).collect();
    let ins: Vec<&Spanned> = ins.iter().collect();
    let outs: Vec<Option<&Spanned>> = outs.iter().map(Some).collect();
    let file = map.get(row.span.file);
    let (line, col) = file.line_col(row.span.start);
    push_example(low, ex, &ins, &outs, format!("{}:{line}:{col}", file.name))
}

fn names(decls: &[(String, Ty)]) -> String {
    if decls.is_empty() {
        return "(none)".into();
    }
    decls
        .iter()
        .map(|(n, _)| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// serde_json's message without the " at line L column C" it appends: the span says where,
/// in the file's own lines (a JSON Lines line is parsed alone, so its line would say 1).
fn json_message(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let at = format!(" at line {} column {}", e.line(), e.column());
    message.strip_suffix(&at).unwrap_or(&message).to_string()
}

/// The span of a serde_json syntax error in `text`, which starts at byte `base` of the file.
fn json_error_span(file: FileId, text: &str, base: usize, e: &serde_json::Error) -> Span {
    let mut offset = 0usize;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i + 1 == e.line() {
            let col = e.column().saturating_sub(1);
            let byte = line.char_indices().nth(col).map_or(line.len(), |(b, _)| b);
            offset += byte;
            break;
        }
        offset += line.len();
    }
    let offset = (base + offset.min(text.len())) as u32;
    Span::new(file, offset, offset)
}

/// A syntax error of `text` (starting at byte `base` of the file).
fn json_syntax(file: FileId, text: &str, base: usize, e: serde_json::Error) -> Diagnostic {
    Diagnostic::error(
        format!("invalid JSON: {}", json_message(&e)),
        json_error_span(file, text, base, &e),
    )
    .with_label("here")
}

/// Refuses a key written twice in one object of `text` (starting at byte `base` of the file):
/// serde_json would silently keep the last.
fn no_duplicate_key(file: FileId, text: &str, base: usize) -> Result<(), Diagnostic> {
    let Some(d) = weft_ir::json::duplicate_key(text) else {
        return Ok(());
    };
    let at = |offset: usize, len: usize| {
        Span::new(file, (base + offset) as u32, (base + offset + len) as u32)
    };
    Err(Diagnostic::error(
        format!("the key \"{}\" appears twice in one object", d.key),
        at(d.offset, string_len(text, d.offset)),
    )
    .with_label("second time")
    .with_secondary(at(d.first, string_len(text, d.first)), "first time"))
}

/// The length in bytes of the JSON string that opens at byte `start` of `text`, quotes included.
fn string_len(text: &str, start: usize) -> usize {
    let b = text.as_bytes();
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1 - start,
            _ => i += 1,
        }
    }
    b.len().saturating_sub(start)
}

/// Parses one JSON document (the whole of `text`, or a JSON Lines line) and checks its keys.
fn parse_document(file: FileId, text: &str, base: usize) -> Result<&RawValue, Diagnostic> {
    let raw: &RawValue =
        serde_json::from_str(text).map_err(|e| json_syntax(file, text, base, e))?;
    no_duplicate_key(file, text, base)?;
    Ok(raw)
}

/// What a data file held besides its examples.
#[derive(Clone, Debug, Default)]
pub struct DataInfo {
    /// TerpreT batches only: the `hypers` name of the batch used, with its position.
    pub hypers: Option<(String, Span)>,
    /// TerpreT batches only: the names of all batches in the file.
    pub batches: Vec<String>,
    /// Things the reader decided that the user should hear about (the batch it chose).
    pub warnings: Vec<Diagnostic>,
}

/// How a data file is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    /// One JSON document: an array of examples or of TerpreT batches, or a single object.
    Document,
    /// JSON Lines: one example object per line.
    Lines,
}

/// A file is one JSON document if it parses as one (whatever its name: a pretty-printed object
/// spans several lines); otherwise JSON Lines if it is named so or its first line is a
/// complete JSON value; otherwise a broken document, whose error is reported as such.
fn layout(name: &str, text: &str) -> Layout {
    if serde_json::from_str::<&RawValue>(text).is_ok() {
        return Layout::Document;
    }
    if name.ends_with(".jsonl") || name.ends_with(".ndjson") {
        return Layout::Lines;
    }
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("//"));
    match first {
        Some(l) if serde_json::from_str::<&RawValue>(l).is_ok() => Layout::Lines,
        _ => Layout::Document,
    }
}

/// The most errors reported for one data file (the rest are likely more of the same).
const MAX_ERRORS: usize = 20;

/// The example objects of a JSON Lines file (blank lines and `//` comment lines skipped; at
/// most [`MAX_ERRORS`] errors).
fn lines_instances(file: FileId, text: &str) -> Result<Vec<&RawValue>, Vec<Diagnostic>> {
    let mut instances = Vec::new();
    let mut diags = Vec::new();
    let mut offset = 0usize;
    for line in text.split_inclusive('\n') {
        let body = line.trim();
        if !body.is_empty() && !body.starts_with("//") {
            let start = offset + (line.len() - line.trim_start().len());
            match parse_document(file, &text[start..start + body.len()], start) {
                Ok(r) => instances.push(r),
                Err(d) => diags.push(d),
            }
            if diags.len() >= MAX_ERRORS {
                break;
            }
        }
        offset += line.len();
    }
    if diags.is_empty() {
        Ok(instances)
    } else {
        Err(diags)
    }
}

/// The keys of a JSON object, or `None` if the value is not an object.
fn object(raw: &RawValue) -> Option<BTreeMap<String, &RawValue>> {
    serde_json::from_str(raw.get()).ok()
}

/// Whether an object is a TerpreT batch rather than an example.
fn is_batch(raw: &RawValue) -> bool {
    object(raw).is_some_and(|m| m.contains_key("instances") || m.contains_key("batch_name"))
}

/// The example objects of a file that is one JSON document, and what else it held.
fn document_instances<'t>(
    file: FileId,
    text: &'t str,
    batch: Option<&str>,
) -> Result<(Vec<&'t RawValue>, DataInfo), Vec<Diagnostic>> {
    let raw = parse_document(file, text, 0).map_err(|d| vec![d])?;
    if let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(raw.get()) {
        if items.iter().any(|r| is_batch(r)) {
            return batches(file, text, &items, batch);
        }
        return Ok((items, DataInfo::default()));
    }
    if is_batch(raw) {
        return batches(file, text, &[raw], batch);
    }
    if object(raw).is_some() {
        return Ok((vec![raw], DataInfo::default()));
    }
    Err(vec![Diagnostic::error(
        "a JSON data file must hold an array (of examples or of TerpreT batches), one example \
         object, or one example object per line",
        raw_span(file, text, raw),
    )
    .with_label("not an array or an object")])
}

/// One TerpreT batch, checked.
struct Batch<'t> {
    name: String,
    name_span: Span,
    hypers: Option<(String, Span)>,
    instances: Vec<&'t RawValue>,
}

/// The keys a TerpreT batch may have.
const BATCH_KEYS: [&str; 3] = ["batch_name", "hypers", "instances"];

/// A string value of a batch, or an error naming the key.
fn batch_string(file: FileId, text: &str, key: &str, r: &RawValue) -> Result<String, Diagnostic> {
    serde_json::from_str::<String>(r.get()).map_err(|_| {
        Diagnostic::error(
            format!("a TerpreT batch's `{key}` must be a string"),
            raw_span(file, text, r),
        )
        .with_label("not a string")
    })
}

/// Checks one item of a TerpreT batch list: an object with a string `batch_name`, an optional
/// string `hypers` and an array `instances`, and nothing else.
fn batch<'t>(file: FileId, text: &'t str, r: &'t RawValue) -> Result<Batch<'t>, Diagnostic> {
    let span = raw_span(file, text, r);
    let Some(m) = object(r) else {
        return Err(Diagnostic::error(
            "a TerpreT batch must be an object (every item of a batch list must be a batch)",
            span,
        )
        .with_label("expected {\"batch_name\": ..., \"instances\": [...]}"));
    };
    let unknown = m
        .iter()
        .filter(|(k, _)| !BATCH_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k, raw_span(file, text, v)))
        .min_by_key(|(_, sp)| sp.start);
    if let Some((k, sp)) = unknown {
        return Err(Diagnostic::error(
            format!("a TerpreT batch has no key `{k}`"),
            key_span(file, text, sp.start as usize).unwrap_or(sp),
        )
        .with_label("not a batch key")
        .with_note("a batch has `batch_name`, `hypers` and `instances`"));
    }
    let missing = |key: &str| {
        Diagnostic::error(format!("this TerpreT batch has no `{key}`"), span)
            .with_label("in this batch")
    };
    let name_raw = *m.get("batch_name").ok_or_else(|| missing("batch_name"))?;
    let name = batch_string(file, text, "batch_name", name_raw)?;
    let hypers = match m.get("hypers") {
        Some(h) => Some((
            batch_string(file, text, "hypers", h)?,
            raw_span(file, text, h),
        )),
        None => None,
    };
    let inst = *m.get("instances").ok_or_else(|| missing("instances"))?;
    let instances = serde_json::from_str::<Vec<&RawValue>>(inst.get()).map_err(|_| {
        Diagnostic::error(
            "`instances` must be an array of objects",
            raw_span(file, text, inst),
        )
        .with_label("not an array")
    })?;
    Ok(Batch {
        name,
        name_span: raw_span(file, text, name_raw),
        hypers,
        instances,
    })
}

/// Checks every batch of a TerpreT file (names unique) and picks one: `--batch`'s, else
/// `train`, else the only batch (with a warning saying so).
fn batches<'t>(
    file: FileId,
    text: &'t str,
    items: &[&'t RawValue],
    want: Option<&str>,
) -> Result<(Vec<&'t RawValue>, DataInfo), Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut all: Vec<Batch<'t>> = Vec::new();
    for r in items {
        match batch(file, text, r) {
            Ok(b) => match all.iter().find(|a| a.name == b.name) {
                Some(first) => diags.push(
                    Diagnostic::error(format!("a second batch named `{}`", b.name), b.name_span)
                        .with_label("second batch of this name")
                        .with_secondary(first.name_span, "first batch of this name"),
                ),
                None => all.push(b),
            },
            Err(d) => diags.push(d),
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let names: Vec<String> = all.iter().map(|b| b.name.clone()).collect();
    let list = || format!("its batches are: {}", names.join(", "));
    let mut warnings = Vec::new();
    let pick = match want {
        Some(w) => all.iter().position(|b| b.name == w).ok_or_else(|| {
            Diagnostic::error(
                format!("no batch named `{w}` in this file"),
                Span::new(file, 0, 0),
            )
            .with_note(list())
        }),
        None => match all.iter().position(|b| b.name == "train") {
            Some(i) => Ok(i),
            None if all.len() == 1 => {
                warnings.push(
                    Diagnostic::warning(
                        format!(
                            "no batch named `train`: using the only batch, `{}`",
                            all[0].name
                        ),
                        all[0].name_span,
                    )
                    .with_label("this batch is used")
                    .with_note("name a batch with --batch to choose it explicitly"),
                );
                Ok(0)
            }
            None => Err(Diagnostic::error(
                "no batch named `train` in this file: choose one with --batch",
                Span::new(file, 0, 0),
            )
            .with_note(list())),
        },
    }
    .map_err(|d| vec![d])?;
    let chosen = all.swap_remove(pick);
    let info = DataInfo {
        hypers: chosen.hypers,
        batches: names,
        warnings,
    };
    Ok((chosen.instances, info))
}

/// The example objects of a data file (JSON, JSON Lines or TerpreT batches; `batch` picks a
/// TerpreT batch), and what else it held.
fn data_instances<'t>(
    map: &'t SourceMap,
    file: FileId,
    batch: Option<&str>,
) -> Result<(Vec<&'t RawValue>, DataInfo), Vec<Diagnostic>> {
    let sf = map.get(file);
    let text = sf.text.as_str();
    match layout(&sf.name, text) {
        Layout::Lines => Ok((lines_instances(file, text)?, DataInfo::default())),
        Layout::Document => document_instances(file, text, batch),
    }
}

/// The `hypers` name (with its position) of the TerpreT batch a data file would use, so that
/// `--hypers` can set params before the sketch is lowered. Errors are those of reading the file.
pub fn data_hypers(
    map: &SourceMap,
    file: FileId,
    batch: Option<&str>,
) -> Result<Option<(String, Span)>, Vec<Diagnostic>> {
    Ok(data_instances(map, file, batch)?.1.hypers)
}

/// Examples from a JSON file (an array of example objects, one example object, or TerpreT
/// batches) or a JSON Lines file. `batch` picks a TerpreT batch (default `train`, or the only
/// batch, with a warning in [`DataInfo::warnings`]).
pub fn file_examples(
    low: &Lowered,
    map: &SourceMap,
    file: FileId,
    batch: Option<&str>,
) -> Result<(Examples, DataInfo), Vec<Diagnostic>> {
    let text = map.get(file).text.as_str();
    let (instances, info) = data_instances(map, file, batch)?;
    let mut ex = Examples::with_slots(low.graph.inputs.len(), low.graph.outputs.len());
    let mut diags = Vec::new();
    for (k, inst) in instances.iter().enumerate() {
        if let Err(d) = json_example(low, map, file, text, inst, k, &mut ex) {
            diags.push(d);
            if diags.len() >= MAX_ERRORS {
                break;
            }
        }
    }
    if diags.is_empty() {
        Ok((ex, info))
    } else {
        Err(diags)
    }
}

fn json_example(
    low: &Lowered,
    map: &SourceMap,
    file: FileId,
    text: &str,
    inst: &RawValue,
    k: usize,
    ex: &mut Examples,
) -> Result<(), Diagnostic> {
    let span = raw_span(file, text, inst);
    let m: BTreeMap<String, &RawValue> = serde_json::from_str(inst.get()).map_err(|_| {
        Diagnostic::error(
            format!(
                "example {}: expected an object keyed by input and output names",
                k + 1
            ),
            span,
        )
        .with_label("not an object")
    })?;
    for key in m.keys() {
        let known = low.inputs.iter().chain(&low.outputs).any(|(n, _)| n == key);
        if !known {
            return Err(Diagnostic::error(
                format!(
                    "example {}: `{key}` is neither an input nor an output of the sketch",
                    k + 1
                ),
                raw_span(file, text, m[key]),
            )
            .with_note(format!(
                "inputs: {}; outputs: {}",
                names(&low.inputs),
                names(&low.outputs)
            )));
        }
    }
    let mut ins = Vec::new();
    for (name, _) in &low.inputs {
        match m.get(name) {
            Some(r) => ins.push(from_json(file, text, r)),
            None => {
                return Err(Diagnostic::error(
                    format!("example {}: input `{name}` is missing", k + 1),
                    span,
                )
                .with_label("in this example"))
            }
        }
    }
    let outs: Vec<Option<Spanned>> = low
        .outputs
        .iter()
        .map(|(name, _)| m.get(name).map(|r| from_json(file, text, r)))
        .collect();
    let ins_ref: Vec<&Spanned> = ins.iter().collect();
    let outs_ref: Vec<Option<&Spanned>> = outs.iter().map(|o| o.as_ref()).collect();
    let sf = map.get(file);
    let (line, _) = sf.line_col(span.start);
    push_example(low, ex, &ins_ref, &outs_ref, format!("{}:{line}", sf.name))
}

/// One hyperparameter read from a hypers file, with the position of its name.
#[derive(Clone, Debug)]
pub struct Hyper {
    pub name: String,
    pub value: i64,
    pub span: Span,
}

/// The span of the key whose value starts at byte `value` of `text` (the value's own span if
/// the text before it is not `"key":`).
fn key_span(file: FileId, text: &str, value: usize) -> Option<Span> {
    let before = text.get(..value)?.trim_end().strip_suffix(':')?.trim_end();
    let end = before.len();
    let body = before.strip_suffix('"')?;
    let bytes = body.as_bytes();
    let mut i = body.len();
    while i > 0 {
        i -= 1;
        let escaped = bytes[..i].iter().rev().take_while(|&&c| c == b'\\').count() % 2 == 1;
        if bytes[i] == b'"' && !escaped {
            return Some(Span::new(file, i as u32, end as u32));
        }
    }
    None
}

/// Reads TerpreT's `*_hypers.json`: `{"W3_G3_O2": {"numWires": 3, ...}, ...}`. `name` picks
/// the entry (the data batch's `hypers`); with one entry and no name, that entry is used.
pub fn read_hypers(
    map: &SourceMap,
    file: FileId,
    name: Option<&str>,
) -> Result<Vec<(String, i64)>, Diagnostic> {
    let named = name.map(|n| (n.to_string(), Span::new(file, 0, 0)));
    Ok(read_hypers_at(map, file, named.as_ref())?
        .hypers
        .into_iter()
        .map(|h| (h.name, h.value))
        .collect())
}

/// The hyperparameter set read from a hypers file.
#[derive(Clone, Debug)]
pub struct HyperSet {
    /// The set's name, with the span of its key in the hypers file.
    pub name: String,
    pub span: Span,
    pub hypers: Vec<Hyper>,
}

/// [`read_hypers`] with positions: `name` comes with the span that names it (the data batch's
/// `hypers` value), and the set and every hyperparameter with the span of its key.
pub fn read_hypers_at(
    map: &SourceMap,
    file: FileId,
    name: Option<&(String, Span)>,
) -> Result<HyperSet, Diagnostic> {
    let sf = map.get(file);
    let text = sf.text.as_str();
    let top: BTreeMap<String, &RawValue> = serde_json::from_str(text).map_err(|e| {
        if e.is_data() {
            Diagnostic::error(
                "a hypers file must be an object of named hyperparameter sets",
                Span::new(file, 0, 0),
            )
            .with_note("TerpreT's format: {\"W3_G3_O2\": {\"numWires\": 3, ...}}")
        } else {
            json_syntax(file, text, 0, e)
        }
    })?;
    no_duplicate_key(file, text, 0)?;
    let keys = || {
        let keys: Vec<&str> = top.keys().map(|k| k.as_str()).collect();
        format!("`{}` has the sets: {}", sf.name, keys.join(", "))
    };
    let entry = match name {
        Some((n, _)) if top.contains_key(n) => (n.clone(), top[n]),
        Some((n, span)) => {
            return Err(Diagnostic::error(
                format!("the data asks for the hyperparameter set `{n}`, which the hypers file does not have"),
                *span,
            )
            .with_label("named here")
            .with_note(keys()))
        }
        None => match top.iter().next() {
            Some((n, e)) if top.len() == 1 => (n.clone(), *e),
            _ => {
                return Err(Diagnostic::error(
                    "this hypers file has several sets (or none); the data file must name one",
                    Span::new(file, 0, 0),
                )
                .with_note(keys()))
            }
        },
    };
    let (set_name, entry) = entry;
    let entry_span = raw_span(file, text, entry);
    let set: BTreeMap<String, &RawValue> = serde_json::from_str(entry.get()).map_err(|_| {
        Diagnostic::error(
            "a hyperparameter set must be an object of integers",
            entry_span,
        )
    })?;
    let mut out = Vec::new();
    for (k, v) in set {
        let vspan = raw_span(file, text, v);
        let value = serde_json::from_str::<serde_json::Number>(v.get())
            .ok()
            .and_then(|n| weft_ir::json::integer(&n));
        match value {
            Some(value) => out.push(Hyper {
                span: key_span(file, text, vspan.start as usize).unwrap_or(vspan),
                name: k,
                value,
            }),
            None => {
                return Err(Diagnostic::error(
                    format!("hyperparameter `{k}` must be an integer"),
                    vspan,
                )
                .with_label("not an integer"))
            }
        }
    }
    Ok(HyperSet {
        name: set_name,
        span: key_span(file, text, entry_span.start as usize).unwrap_or(entry_span),
        hypers: out,
    })
}
