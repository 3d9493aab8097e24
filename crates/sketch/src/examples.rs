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
        Ok(serde_json::Value::Number(n)) => match n.as_i64() {
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

/// The span of a serde_json syntax error.
fn json_error_span(file: FileId, text: &str, e: &serde_json::Error) -> Span {
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
    let offset = offset.min(text.len()) as u32;
    Span::new(file, offset, offset)
}

fn json_syntax(file: FileId, text: &str, e: serde_json::Error) -> Diagnostic {
    Diagnostic::error(
        format!("invalid JSON: {e}"),
        json_error_span(file, text, &e),
    )
    .with_label("here")
}

/// What a data file held besides its examples.
#[derive(Clone, Debug, Default)]
pub struct DataInfo {
    /// TerpreT batches only: the `hypers` name of the batch used.
    pub hypers: Option<String>,
    /// TerpreT batches only: the names of all batches in the file.
    pub batches: Vec<String>,
}

/// Examples from a JSON (array of objects, or TerpreT batches) or JSON Lines file.
/// `batch` picks a TerpreT batch (default `train`, or the only batch).
pub fn file_examples(
    low: &Lowered,
    map: &SourceMap,
    file: FileId,
    batch: Option<&str>,
) -> Result<(Examples, DataInfo), Vec<Diagnostic>> {
    let sf = map.get(file);
    let text = sf.text.as_str();
    let mut ex = Examples::with_slots(low.graph.inputs.len(), low.graph.outputs.len());
    let mut info = DataInfo::default();
    let mut diags = Vec::new();
    let trimmed = text.trim_start();
    let is_jsonl =
        sf.name.ends_with(".jsonl") || sf.name.ends_with(".ndjson") || trimmed.starts_with('{');
    let mut instances: Vec<&RawValue> = Vec::new();
    if is_jsonl {
        let mut offset = 0usize;
        for line in text.split_inclusive('\n') {
            let body = line.trim();
            if !body.is_empty() && !body.starts_with("//") {
                let start = offset + (line.len() - line.trim_start().len());
                let slice = &text[start..start + body.len()];
                match serde_json::from_str::<&RawValue>(slice) {
                    Ok(r) => instances.push(r),
                    Err(e) => {
                        let sp = json_error_span(file, slice, &e);
                        let sp = Span::new(file, sp.start + start as u32, sp.end + start as u32);
                        diags.push(
                            Diagnostic::error(format!("invalid JSON: {e}"), sp).with_label("here"),
                        );
                    }
                }
            }
            offset += line.len();
        }
    } else {
        let top: Vec<&RawValue> = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                let d = if e.is_data() {
                    Diagnostic::error(
                        "a JSON data file must hold an array (of examples or of TerpreT batches)",
                        Span::new(file, 0, 0),
                    )
                    .with_note(format!("{e}"))
                } else {
                    json_syntax(file, text, e)
                };
                return Err(vec![d]);
            }
        };
        let terpret = top.first().is_some_and(|r| {
            serde_json::from_str::<BTreeMap<String, &RawValue>>(r.get())
                .is_ok_and(|m| m.contains_key("instances"))
        });
        if terpret {
            let mut chosen = None;
            let mut batches = Vec::new();
            for r in &top {
                let m: BTreeMap<String, &RawValue> = match serde_json::from_str(r.get()) {
                    Ok(m) => m,
                    Err(_) => {
                        diags.push(
                            Diagnostic::error(
                                "a TerpreT batch must be an object",
                                raw_span(file, text, r),
                            )
                            .with_label("expected {\"batch_name\": ..., \"instances\": [...]}"),
                        );
                        continue;
                    }
                };
                let name: String = m
                    .get("batch_name")
                    .and_then(|b| serde_json::from_str(b.get()).ok())
                    .unwrap_or_else(|| "train".to_string());
                batches.push(name.clone());
                if chosen.is_none()
                    && batch.map_or(name == "train" || top.len() == 1, |b| b == name)
                {
                    chosen = Some((m, r));
                }
            }
            info.batches = batches.clone();
            let Some((m, r)) = chosen else {
                let want = batch.unwrap_or("train");
                diags.push(
                    Diagnostic::error(
                        format!("no batch named `{want}` in this file"),
                        Span::new(file, 0, 0),
                    )
                    .with_note(format!("its batches are: {}", batches.join(", "))),
                );
                return Err(diags);
            };
            info.hypers = m
                .get("hypers")
                .and_then(|h| serde_json::from_str(h.get()).ok());
            match m
                .get("instances")
                .map(|i| serde_json::from_str::<Vec<&RawValue>>(i.get()))
            {
                Some(Ok(v)) => instances = v,
                _ => diags.push(
                    Diagnostic::error(
                        "`instances` must be an array of objects",
                        raw_span(file, text, r),
                    )
                    .with_label("in this batch"),
                ),
            }
        } else {
            instances = top;
        }
    }
    for (k, inst) in instances.iter().enumerate() {
        if let Err(d) = json_example(low, map, file, text, inst, k, &mut ex) {
            diags.push(d);
            if diags.len() >= 20 {
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

/// Reads TerpreT's `*_hypers.json`: `{"W3_G3_O2": {"numWires": 3, ...}, ...}`. `name` picks
/// the entry (the data batch's `hypers`); with one entry, that entry is used.
pub fn read_hypers(
    map: &SourceMap,
    file: FileId,
    name: Option<&str>,
) -> Result<Vec<(String, i64)>, Diagnostic> {
    let text = map.get(file).text.as_str();
    let top: BTreeMap<String, &RawValue> = serde_json::from_str(text).map_err(|e| {
        if e.is_data() {
            Diagnostic::error(
                "a hypers file must be an object of named hyperparameter sets",
                Span::new(file, 0, 0),
            )
            .with_note("TerpreT's format: {\"W3_G3_O2\": {\"numWires\": 3, ...}}")
        } else {
            json_syntax(file, text, e)
        }
    })?;
    let entry = match name {
        Some(n) if top.contains_key(n) => top[n],
        _ if top.len() == 1 => *top.values().next().expect("one entry"),
        _ => {
            let keys: Vec<&str> = top.keys().map(|k| k.as_str()).collect();
            return Err(Diagnostic::error(
                match name {
                    Some(n) => format!("no hyperparameter set named `{n}` in this file"),
                    None => {
                        "this hypers file has several sets; the data file must name one".to_string()
                    }
                },
                Span::new(file, 0, 0),
            )
            .with_note(format!("its sets are: {}", keys.join(", "))));
        }
    };
    let set: BTreeMap<String, &RawValue> = serde_json::from_str(entry.get()).map_err(|_| {
        Diagnostic::error(
            "a hyperparameter set must be an object of integers",
            raw_span(file, text, entry),
        )
    })?;
    let mut out = Vec::new();
    for (k, v) in set {
        match serde_json::from_str::<i64>(v.get()) {
            Ok(x) => out.push((k, x)),
            Err(_) => {
                return Err(Diagnostic::error(
                    format!("hyperparameter `{k}` must be an integer"),
                    raw_span(file, text, v),
                )
                .with_label("not an integer"))
            }
        }
    }
    Ok(out)
}
