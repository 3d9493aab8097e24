//! Reading a sketch with its data, hypers and `--set` overrides into a graph and examples.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use weft_ir::{Examples, Graph};
use weft_sketch::{Compiled, Config};
use weft_syntax::{Diagnostic, SourceMap};

/// The sketch-related flags shared by every command.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct SketchArgs {
    /// The sketch file (`.wft`).
    pub file: PathBuf,
    /// Override a `param`: `--set numGates=4` (repeatable; applied after --hypers).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_set)]
    pub set: Vec<(String, i64)>,
    /// Examples from a JSON, JSON Lines or TerpreT `*_data.json` file (repeatable).
    #[arg(long, value_name = "FILE")]
    pub data: Vec<PathBuf>,
    /// TerpreT hyperparameters (`*_hypers.json`): sets the params of the same names.
    #[arg(long, value_name = "FILE")]
    pub hypers: Option<PathBuf>,
    /// The TerpreT batch to read from --data (default: `train`).
    #[arg(long, value_name = "NAME")]
    pub batch: Option<String>,
}

fn parse_set(s: &str) -> Result<(String, i64), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, found `{s}`"))?;
    let name = name.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("`{name}` is not a parameter name"));
    }
    let value = value.trim();
    let value: i64 = value.parse().map_err(|e: std::num::ParseIntError| {
        use std::num::IntErrorKind::{NegOverflow, PosOverflow};
        match e.kind() {
            PosOverflow | NegOverflow => format!(
                "the value of `{name}` is out of range for a 64-bit integer, found `{value}`"
            ),
            _ => format!("the value of `{name}` must be an integer, found `{value}`"),
        }
    })?;
    Ok((name.to_string(), value))
}

/// A loaded problem.
pub struct Loaded {
    /// Every source read, for locating observations and examples in messages.
    pub map: SourceMap,
    /// The sketch's file in `map`.
    pub file: weft_syntax::FileId,
    pub compiled: Compiled,
    pub examples: Examples,
}

impl Loaded {
    pub fn graph(&self) -> &Graph {
        &self.compiled.graph
    }
}

/// Diagnostics were printed; the command should exit with code 2.
#[derive(Debug)]
pub struct Failed;

pub fn color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

pub fn report(map: &SourceMap, diags: &[Diagnostic]) {
    if diags.is_empty() {
        return;
    }
    let text = weft_syntax::render::render(map, diags, color());
    diag_part!("{text}");
}

fn read(map: &mut SourceMap, path: &Path, what: &str) -> Result<weft_syntax::FileId, Failed> {
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok(map.add(path.display().to_string(), text)),
            Err(e) => {
                report(
                    map,
                    &[Diagnostic::error_nowhere(format!(
                        "{what} `{}` is not UTF-8 text (invalid byte at offset {})",
                        path.display(),
                        e.utf8_error().valid_up_to()
                    ))],
                );
                Err(Failed)
            }
        },
        Err(e) => {
            report(
                map,
                &[Diagnostic::error_nowhere(format!(
                    "cannot read {what} `{}`: {e}",
                    path.display()
                ))],
            );
            Err(Failed)
        }
    }
}

/// The TerpreT batch's `hypers` name in a data file, if it has one (a quick pre-scan, so that
/// hypers can set params before the sketch is lowered).
fn batch_hypers(text: &str, batch: Option<&str>) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let batches = v.as_array()?;
    let want = batch.unwrap_or("train");
    let b = batches
        .iter()
        .find(|b| b.get("batch_name").and_then(|n| n.as_str()) == Some(want))
        .or_else(|| {
            if batches.len() == 1 {
                batches.first()
            } else {
                None
            }
        })?;
    b.get("hypers")?.as_str().map(str::to_string)
}

/// Loads a sketch, applies hypers and overrides, and reads every example source.
pub fn load(args: &SketchArgs) -> Result<Loaded, Failed> {
    let mut map = SourceMap::new();
    let file = read(&mut map, &args.file, "sketch")?;
    let data: Vec<weft_syntax::FileId> = args
        .data
        .iter()
        .map(|p| read(&mut map, p, "data file"))
        .collect::<Result<_, _>>()?;
    let hypers = match &args.hypers {
        Some(h) => Some(read(&mut map, h, "hypers file")?),
        None => None,
    };
    let base = args
        .file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let sources = Sources {
        file,
        data,
        hypers,
        base: Some(base),
    };
    load_sources(map, &sources, &args.set, args.batch.as_deref())
}

/// Files already in a source map (from disk, or built in for `demo`).
pub struct Sources {
    pub file: weft_syntax::FileId,
    pub data: Vec<weft_syntax::FileId>,
    pub hypers: Option<weft_syntax::FileId>,
    /// Where `examples "file";` paths are resolved; `None`: such declarations are an error.
    pub base: Option<PathBuf>,
}

pub fn load_sources(
    mut map: SourceMap,
    src: &Sources,
    set: &[(String, i64)],
    batch: Option<&str>,
) -> Result<Loaded, Failed> {
    let mut overrides = Vec::new();
    if let Some(hf) = src.hypers {
        let name = src
            .data
            .first()
            .and_then(|f| batch_hypers(&map.get(*f).text, batch));
        match weft_sketch::examples::read_hypers(&map, hf, name.as_deref()) {
            Ok(v) => overrides.extend(v),
            Err(d) => {
                report(&map, &[d]);
                return Err(Failed);
            }
        }
    }
    overrides.extend(set.iter().cloned());
    let compiled = match weft_sketch::compile(&map, src.file, &Config { overrides }) {
        Ok(c) => c,
        Err(d) => {
            report(&map, &d);
            return Err(Failed);
        }
    };
    report(&map, &compiled.warnings);
    let mut examples = compiled.examples.clone();
    let mut diags = Vec::new();
    let mut files = Vec::new();
    for (p, span) in &compiled.example_files {
        let Some(base) = &src.base else {
            diags.push(Diagnostic::error(
                "this sketch cannot read example files here",
                *span,
            ));
            continue;
        };
        let path = base.join(p);
        match std::fs::read_to_string(&path) {
            Ok(text) => files.push(map.add(path.display().to_string(), text)),
            Err(e) => diags.push(
                Diagnostic::error(
                    format!("cannot read examples file `{}`: {e}", path.display()),
                    *span,
                )
                .with_label("named here"),
            ),
        }
    }
    files.extend(src.data.iter().copied());
    for f in files {
        match weft_sketch::examples::file_examples(&compiled.lowered, &map, f, batch) {
            Ok((ex, _)) => append(&mut examples, &ex),
            Err(mut d) => diags.append(&mut d),
        }
    }
    if !diags.is_empty() {
        report(&map, &diags);
        return Err(Failed);
    }
    if let Some(d) = weft_sketch::cost_range_error(&compiled.graph, &examples, src.file) {
        report(&map, &[d]);
        return Err(Failed);
    }
    let read_data = !src.data.is_empty() || !compiled.example_files.is_empty();
    let has_io = !examples.inputs.is_empty() || !examples.expected.is_empty();
    if read_data && has_io && examples.is_empty() {
        diag!(
            "warning: the example data holds no example (an empty file or batch?), so every program fits"
        );
    }
    Ok(Loaded {
        map,
        file: src.file,
        compiled,
        examples,
    })
}

fn append(to: &mut Examples, from: &Examples) {
    for (a, b) in to.inputs.iter_mut().zip(&from.inputs) {
        a.extend_from_slice(b);
    }
    for (a, b) in to.expected.iter_mut().zip(&from.expected) {
        a.extend_from_slice(b);
    }
    to.origins.extend(from.origins.iter().cloned());
}
