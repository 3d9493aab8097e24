//! The hole file: an answer as JSON (`--json` output, `--holes` input), see the end of
//! `docs/language.md`.
//!
//! ```json
//! { "sketch": "circuit", "params": {"numWires": 3},
//!   "holes": { "gate": ["Xor", "Xor", "Xor"], "in1": [0, 1, 0] },
//!   "cost": 0 }
//! ```
//!
//! Values nest as the hole declarations do (`HoleDecl::shape`): `true`/`false` for bools (0/1
//! accepted on input, as TerpreT writes them), integers for ranges, variant names for enums.
//! An integer may be written as an integral float (`-0`, `2.0`), as Python writes them; `1.5`
//! is not an integer. A leading byte-order mark is skipped and a repeated key is an error.
//! `sketch` and `params` say what the file was written for: where present on input, the
//! sketch's name must be the same and every param listed must be a param of the sketch with the
//! same value (a file written for another sketch whose holes have the same names would
//! otherwise be accepted silently); a hand-written file may leave them out, or list only some
//! params. `cost` is informative, as are any other top-level keys (so that a richer `--json`
//! report can be read back as a hole file). Errors name the JSON path of the offending value
//! (`holes.gate[2]`), or the line and column of a syntax error or of a `sketch` or `params` key
//! that disagrees.
//!
//! Objects come out with serde_json's default map, so keys are sorted rather than in
//! declaration order; enabling serde_json's `preserve_order` would change that for the whole
//! workspace, so it was left to the CLI to decide.

use serde_json::{json, Map, Value};
use thiserror::Error;

use crate::domain::{Domain, DomainKind};
use crate::examples::Assignment;
use crate::graph::{Graph, HoleDecl, HoleId};
use crate::json;

/// Why a hole file cannot be read for a graph.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum HoleFileError {
    /// The text is not JSON.
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// A value at `path` does not fit the sketch (wrong type, length, variant or range).
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    /// A hole declaration of the sketch has no value in the file.
    #[error("holes.{name}: missing (the sketch declares hole {name})")]
    Missing { name: String },
    /// An object of the file has the same key twice (serde_json would keep the last).
    #[error("line {line}, column {column}: the key \"{key}\" appears twice in one object (first at line {first_line}, column {first_column})")]
    Duplicate {
        key: String,
        line: usize,
        column: usize,
        first_line: usize,
        first_column: usize,
    },
    /// The file names a hole the sketch does not declare.
    #[error("holes.{name}: the sketch declares no hole {name} (it declares: {known})")]
    Unknown { name: String, known: String },
    /// The file's `sketch` is not the sketch's name (at the key's line and column).
    #[error("line {line}, column {column}: the hole file was written for sketch {found}, this is sketch \"{sketch}\"")]
    OtherSketch {
        /// The file's value, as JSON.
        found: String,
        sketch: String,
        line: usize,
        column: usize,
    },
    /// A param of the file's `params` has another value than the sketch's, or the sketch has
    /// no such param (at the key's line and column).
    #[error("line {line}, column {column}: the hole file was written with params.{name} = {found}, {}", other_param(.name, .value))]
    OtherParam {
        name: String,
        /// The file's value, as JSON.
        found: String,
        /// The sketch's value; `None` if it has no such param.
        value: Option<i64>,
        line: usize,
        column: usize,
    },
}

fn other_param(name: &str, value: &Option<i64>) -> String {
    match value {
        Some(v) => format!("but here {name} = {v}"),
        None => format!("but this sketch has no param {name}"),
    }
}

/// The hole file of an assignment: `sketch`, `params`, `holes` nested by declaration and, when
/// given, `cost`.
///
/// # Panics
/// If the assignment has fewer values than the graph has holes.
pub fn to_json(g: &Graph, a: &Assignment, cost: Option<i64>) -> Value {
    let params: Map<String, Value> = g
        .params
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let holes: Map<String, Value> = g
        .hole_decls
        .iter()
        .map(|d| {
            let dom = g.domain(d.domain);
            let flat: Vec<Value> = d
                .holes
                .iter()
                .map(|h| value_json(dom, a.0[h.0 as usize]))
                .collect();
            (d.name.clone(), nest(&d.shape, &flat))
        })
        .collect();
    let mut out = Map::new();
    out.insert("sketch".into(), json!(g.name));
    out.insert("params".into(), Value::Object(params));
    out.insert("holes".into(), Value::Object(holes));
    if let Some(c) = cost {
        out.insert("cost".into(), json!(c));
    }
    Value::Object(out)
}

/// One value index as written in hole files.
pub fn value_json(dom: &Domain, v: u32) -> Value {
    match &dom.kind {
        DomainKind::Bool => Value::Bool(v != 0),
        DomainKind::Range { .. } => json!(dom.int_of(v)),
        DomainKind::Enum { .. } => Value::String(dom.show(v)),
    }
}

/// Nests a row-major list by `shape` (a scalar for an empty shape).
fn nest(shape: &[u32], flat: &[Value]) -> Value {
    match shape.split_first() {
        None => flat.first().cloned().unwrap_or(Value::Null),
        Some((&n, rest)) => {
            let inner = flat.len() / (n as usize).max(1);
            Value::Array(
                (0..n as usize)
                    .map(|i| nest(rest, &flat[i * inner..(i + 1) * inner]))
                    .collect(),
            )
        }
    }
}

/// Reads a hole file for `g`: every hole declaration must have a value of its shape and domain.
/// A leading byte-order mark is skipped; a key repeated in one object is an error.
pub fn from_json(g: &Graph, text: &str) -> Result<Assignment, HoleFileError> {
    let text = json::strip_bom(text);
    let v: Value = serde_json::from_str(text).map_err(|e| {
        // serde_json's message ends with the position, which the variant carries already.
        let message = e.to_string();
        let at = format!(" at line {} column {}", e.line(), e.column());
        HoleFileError::Syntax {
            line: e.line(),
            column: e.column(),
            message: message.strip_suffix(&at).unwrap_or(&message).to_string(),
        }
    })?;
    if let Some(d) = json::duplicate_key(text) {
        let (line, column) = json::line_col(text, d.offset);
        let (first_line, first_column) = json::line_col(text, d.first);
        return Err(HoleFileError::Duplicate {
            key: d.key,
            line,
            column,
            first_line,
            first_column,
        });
    }
    let Value::Object(top) = v else {
        return Err(invalid(
            "(top level)",
            format!("expected an object with \"holes\", found {}", kind(&v)),
        ));
    };
    same_sketch(g, text, &top)?;
    let Some(holes) = top.get("holes") else {
        return Err(invalid("(top level)", "no \"holes\" object".into()));
    };
    let Value::Object(holes) = holes else {
        return Err(invalid(
            "holes",
            format!("expected an object, found {}", kind(holes)),
        ));
    };
    for name in holes.keys() {
        if !g.hole_decls.iter().any(|d| &d.name == name) {
            let known: Vec<&str> = g.hole_decls.iter().map(|d| d.name.as_str()).collect();
            return Err(HoleFileError::Unknown {
                name: name.clone(),
                known: if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                },
            });
        }
    }
    let mut a = Assignment(vec![0; g.holes.len()]);
    for d in &g.hole_decls {
        let Some(v) = holes.get(&d.name) else {
            return Err(HoleFileError::Missing {
                name: d.name.clone(),
            });
        };
        let mut flat = Vec::with_capacity(d.holes.len());
        read_nested(g, d, v, &d.shape, format!("holes.{}", d.name), &mut flat)?;
        for (&h, x) in d.holes.iter().zip(flat) {
            let HoleId(h) = h;
            a.0[h as usize] = x;
        }
    }
    Ok(a)
}

/// The file's `sketch` and `params`, where present, agree with `g`.
fn same_sketch(g: &Graph, text: &str, top: &Map<String, Value>) -> Result<(), HoleFileError> {
    let at = |path: &[&str]| {
        let offset = json::key_offset(text, path).unwrap_or(0);
        json::line_col(text, offset)
    };
    if let Some(found) = top.get("sketch") {
        if found.as_str() != Some(g.name.as_str()) {
            let (line, column) = at(&["sketch"]);
            return Err(HoleFileError::OtherSketch {
                found: found.to_string(),
                sketch: g.name.clone(),
                line,
                column,
            });
        }
    }
    let Some(params) = top.get("params") else {
        return Ok(());
    };
    let Value::Object(params) = params else {
        return Err(invalid(
            "params",
            format!("expected an object, found {}", kind(params)),
        ));
    };
    for (name, found) in params {
        let value = g.params.iter().find(|(p, _)| p == name).map(|&(_, v)| v);
        let same = value.is_some() && found.as_number().and_then(json::integer) == value;
        if !same {
            let (line, column) = at(&["params", name]);
            return Err(HoleFileError::OtherParam {
                name: name.clone(),
                found: found.to_string(),
                value,
                line,
                column,
            });
        }
    }
    Ok(())
}

fn read_nested(
    g: &Graph,
    d: &HoleDecl,
    v: &Value,
    shape: &[u32],
    path: String,
    out: &mut Vec<u32>,
) -> Result<(), HoleFileError> {
    let Some((&n, rest)) = shape.split_first() else {
        out.push(read_value(g.domain(d.domain), v, &path)?);
        return Ok(());
    };
    let Value::Array(items) = v else {
        return Err(invalid(
            &path,
            format!("expected an array of {n}, found {}", kind(v)),
        ));
    };
    if items.len() != n as usize {
        return Err(invalid(
            &path,
            format!("expected {n} values, found {}", items.len()),
        ));
    }
    for (i, item) in items.iter().enumerate() {
        read_nested(g, d, item, rest, format!("{path}[{i}]"), out)?;
    }
    Ok(())
}

/// One scalar value of a domain, as written in hole files.
pub fn read_value(dom: &Domain, v: &Value, path: &str) -> Result<u32, HoleFileError> {
    match &dom.kind {
        DomainKind::Bool => match v {
            Value::Bool(b) => Ok(u32::from(*b)),
            Value::Number(n) if json::integer(n) == Some(0) => Ok(0),
            Value::Number(n) if json::integer(n) == Some(1) => Ok(1),
            _ => Err(invalid(
                path,
                format!("{v} is not a bool (expected true, false, 0 or 1)"),
            )),
        },
        DomainKind::Range { .. } => {
            let Some(x) = v.as_number().and_then(json::integer) else {
                return Err(invalid(
                    path,
                    format!("{v} is not an integer in {dom} (expected an integer)"),
                ));
            };
            dom.index_of_int(x)
                .ok_or_else(|| invalid(path, format!("{x} is outside {dom}")))
        }
        DomainKind::Enum { name, variants } => {
            let found = v
                .as_str()
                .and_then(|s| variants.iter().position(|x| x == s));
            found.map(|i| i as u32).ok_or_else(|| {
                invalid(
                    path,
                    format!(
                        "{v} is not a {name} (expected one of {})",
                        variants.join(", ")
                    ),
                )
            })
        }
    }
}

fn invalid(path: &str, message: String) -> HoleFileError {
    HoleFileError::Invalid {
        path: path.to_string(),
        message,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Builder, Domain, SrcSpan};
    use proptest::prelude::*;

    /// Holes of every kind and shape: a scalar bool, a [3] enum, a [2][2] range with negatives.
    fn graph() -> Graph {
        let mut b = Builder::new("h");
        b.set_params(vec![("n".into(), 3)]);
        let bool_d = b.bool_domain();
        let gate_d = b.domain(Domain::enumeration(
            "Gate",
            ["And", "Or", "Xor", "Not", "Nop"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        ));
        let r = b.domain(Domain::range(-2, 3));
        b.hole_decl("flag", vec![], bool_d, SrcSpan::default());
        b.hole_decl("gate", vec![3], gate_d, SrcSpan::default());
        b.hole_decl("m", vec![2, 2], r, SrcSpan::default());
        b.finish()
    }

    #[test]
    fn writes_nested_values() {
        let g = graph();
        let a = Assignment(vec![1, 2, 0, 4, 0, 1, 3, 4]);
        let v = to_json(&g, &a, Some(7));
        assert_eq!(
            v,
            json!({"sketch": "h", "params": {"n": 3},
                   "holes": {"flag": true, "gate": ["Xor", "And", "Nop"], "m": [[-2, -1], [1, 2]]},
                   "cost": 7})
        );
        assert!(to_json(&g, &a, None).get("cost").is_none());
    }

    #[test]
    fn reads_bools_as_numbers_and_ignores_informative_keys() {
        let g = graph();
        let text = r#"{"sketch": "h", "params": {"n": 3.0}, "cost": 3, "solver": "sat",
            "holes": {"flag": 1, "gate": ["Or", "Or", "Or"], "m": [[0, 0], [0, 0]]}}"#;
        assert_eq!(
            from_json(&g, text).unwrap(),
            Assignment(vec![1, 1, 1, 1, 2, 2, 2, 2])
        );
    }

    fn err(text: &str) -> String {
        from_json(&graph(), text).unwrap_err().to_string()
    }

    #[test]
    fn reports_errors_with_paths() {
        let ok_rest = r#""flag": true, "m": [[0, 0], [0, 0]]"#;
        assert_eq!(
            err(&format!(
                r#"{{"holes": {{"gate": ["And", "Or", "Xro"], {ok_rest}}}}}"#
            )),
            r#"holes.gate[2]: "Xro" is not a Gate (expected one of And, Or, Xor, Not, Nop)"#
        );
        assert_eq!(
            err(&format!(
                r#"{{"holes": {{"gate": ["And", "Or"], {ok_rest}}}}}"#
            )),
            "holes.gate: expected 3 values, found 2"
        );
        assert_eq!(
            err(r#"{"holes": {"flag": true, "m": [[0, 0], [0, 0]]}}"#),
            "holes.gate: missing (the sketch declares hole gate)"
        );
        assert_eq!(
            err(&format!(
                r#"{{"holes": {{"gates": [], "gate": ["And", "Or", "Or"], {ok_rest}}}}}"#
            )),
            "holes.gates: the sketch declares no hole gates (it declares: flag, gate, m)"
        );
        assert_eq!(
            err(r#"{"holes": {"flag": 2, "gate": ["And", "Or", "Or"], "m": [[0, 0], [0, 9]]}}"#),
            "holes.flag: 2 is not a bool (expected true, false, 0 or 1)"
        );
        assert_eq!(
            err(r#"{"holes": {"flag": 0, "gate": ["And", "Or", "Or"], "m": [[0, 0], [0, 9]]}}"#),
            "holes.m[1][1]: 9 is outside -2..3"
        );
        assert_eq!(
            err(r#"{"holes": {"flag": 0, "gate": ["And", "Or", "Or"], "m": [0, 0]}}"#),
            "holes.m[0]: expected an array of 2, found a number"
        );
        assert_eq!(
            err("[1, 2]"),
            "(top level): expected an object with \"holes\", found an array"
        );
        let syntax = from_json(&graph(), "{\"holes\": {\n  \"flag\": tru }").unwrap_err();
        assert_eq!(syntax.to_string(), "line 2, column 14: expected ident");
    }

    #[test]
    fn reads_integral_floats_and_refuses_fractions() {
        let text = r#"{"holes": {"flag": 1.0, "gate": ["Or", "Or", "Or"], "m": [[-0, -2.0], [0.0, 2e0]]}}"#;
        assert_eq!(
            from_json(&graph(), text).unwrap(),
            Assignment(vec![1, 1, 1, 1, 2, 0, 2, 4])
        );
        assert_eq!(
            err(r#"{"holes": {"flag": 0, "gate": ["And", "Or", "Or"], "m": [[0, 0], [0, 1.5]]}}"#),
            "holes.m[1][1]: 1.5 is not an integer in -2..3 (expected an integer)"
        );
        assert_eq!(
            err(r#"{"holes": {"flag": 0.5, "gate": ["And", "Or", "Or"], "m": [[0, 0], [0, 0]]}}"#),
            "holes.flag: 0.5 is not a bool (expected true, false, 0 or 1)"
        );
    }

    #[test]
    fn refuses_repeated_keys_and_skips_a_byte_order_mark() {
        let ok = r#"{"holes": {"flag": 0, "gate": ["And", "Or", "Or"], "m": [[0, 0], [0, 0]]}}"#;
        assert_eq!(
            from_json(&graph(), &format!("\u{feff}{ok}")).unwrap(),
            Assignment(vec![0, 0, 1, 1, 2, 2, 2, 2])
        );
        let twice = "\u{feff}{\"holes\": {\"flag\": 0, \"gate\": [\"And\", \"Or\", \"Or\"],\n  \"m\": [[0, 0], [0, 0]], \"flag\": 1}}";
        assert_eq!(
            err(twice),
            "line 2, column 26: the key \"flag\" appears twice in one object (first at line 1, column 12)"
        );
        let syntax = from_json(&graph(), "\u{feff}{\"holes\": tru}").unwrap_err();
        assert_eq!(syntax.to_string(), "line 1, column 14: expected ident");
    }

    #[test]
    fn refuses_a_file_written_for_another_sketch_or_other_params() {
        let holes = r#""holes": {"flag": 0, "gate": ["And", "Or", "Or"], "m": [[0, 0], [0, 0]]}"#;
        assert_eq!(
            err(&format!("{{{holes},\n  \"sketch\": \"circuit\"}}")),
            "line 2, column 3: the hole file was written for sketch \"circuit\", this is sketch \"h\""
        );
        assert_eq!(
            err(&format!("{{\"sketch\": 7, {holes}}}")),
            "line 1, column 2: the hole file was written for sketch 7, this is sketch \"h\""
        );
        assert_eq!(
            err(&format!(
                "{{\"sketch\": \"h\", \"params\": {{\"n\": 4}}, {holes}}}"
            )),
            "line 1, column 28: the hole file was written with params.n = 4, but here n = 3"
        );
        assert_eq!(
            err(&format!("{{\"params\": {{\"n\": 3,\n \"k\": 1}}, {holes}}}")),
            "line 2, column 2: the hole file was written with params.k = 1, but this sketch has no param k"
        );
        assert_eq!(
            err(&format!("{{\"params\": {{\"n\": \"3\"}}, {holes}}}")),
            "line 1, column 13: the hole file was written with params.n = \"3\", but here n = 3"
        );
        assert_eq!(
            err(&format!("{{\"params\": [3], {holes}}}")),
            "params: expected an object, found an array"
        );
        // Without the keys (hand-written), or with some params only, the file is read.
        let g = graph();
        for text in [
            format!("{{{holes}}}"),
            format!("{{\"params\": {{}}, {holes}}}"),
            format!("{{\"sketch\": \"h\", \"params\": {{\"n\": 3}}, {holes}}}"),
        ] {
            assert!(from_json(&g, &text).is_ok(), "{text}");
        }
    }

    proptest! {
        #[test]
        fn roundtrip(a in (0u32..2, proptest::collection::vec(0u32..5, 3),
                          proptest::collection::vec(0u32..5, 4))) {
            let g = graph();
            let (flag, gates, m) = a;
            let mut values = vec![flag];
            values.extend(gates);
            values.extend(m);
            let a = Assignment(values);
            let text = to_json(&g, &a, Some(1)).to_string();
            prop_assert_eq!(from_json(&g, &text).unwrap(), a);
        }
    }
}
