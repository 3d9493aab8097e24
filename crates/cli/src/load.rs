//! Reading a sketch with its data, hypers and `--set` overrides into a graph and examples.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use weft_ir::{Examples, Graph};
use weft_sketch::{Compiled, Config};
use weft_syntax::{Diagnostic, SourceMap, Span};

use crate::input::{self, Kind, ReadError};

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
    /// The TerpreT batch to read from --data (default: `train`, or the file's only batch).
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

/// The text without a leading byte-order mark (columns on its first line count from after it).
fn without_bom(text: String) -> String {
    match text.strip_prefix(weft_ir::json::BOM) {
        Some(rest) => rest.to_string(),
        None => text,
    }
}

/// Reads a sketch, data or hypers file into `map` (without a leading byte-order mark).
fn read(map: &mut SourceMap, path: &Path, kind: Kind) -> Result<weft_syntax::FileId, Failed> {
    let what = kind.name();
    let message = match input::read(path, kind) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => return Ok(map.add(path.display().to_string(), without_bom(text))),
            Err(e) => format!(
                "{what} `{}` is not UTF-8 text (invalid byte at offset {})",
                path.display(),
                e.utf8_error().valid_up_to()
            ),
        },
        Err(ReadError::Io(e)) => format!("cannot read {what} `{}`: {e}", path.display()),
        Err(e) => e.to_string(),
    };
    report(map, &[Diagnostic::error_nowhere(message)]);
    Err(Failed)
}

/// Loads a sketch, applies hypers and overrides, and reads every example source.
pub fn load(args: &SketchArgs) -> Result<Loaded, Failed> {
    let mut map = SourceMap::new();
    let file = read(&mut map, &args.file, Kind::Sketch)?;
    let data: Vec<weft_syntax::FileId> = args
        .data
        .iter()
        .map(|p| read(&mut map, p, Kind::Data))
        .collect::<Result<_, _>>()?;
    let hypers = match &args.hypers {
        Some(h) => Some(read(&mut map, h, Kind::Hypers)?),
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
    let mut hypers_name = None;
    if let Some(hf) = src.hypers {
        let hypers = match read_hypers(&map, src, hf, batch) {
            Ok(h) => h,
            Err(d) => {
                report(&map, &d);
                return Err(Failed);
            }
        };
        if let Err(d) = hypers_are_params(&map, src.file, &hypers.hypers) {
            report(&map, &d);
            return Err(Failed);
        }
        hypers_name = Some((hypers.name, hypers.span));
        overrides.extend(hypers.hypers.into_iter().map(|h| (h.name, h.value)));
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
        match input::read_text(&path, Kind::Data) {
            Ok(text) => files.push(map.add(path.display().to_string(), without_bom(text))),
            Err(e) => {
                let message = match e {
                    ReadError::Io(e) => {
                        format!("cannot read examples file `{}`: {e}", path.display())
                    }
                    e => e.to_string(),
                };
                diags.push(Diagnostic::error(message, *span).with_label("named here"))
            }
        }
    }
    files.extend(src.data.iter().copied());
    let mut saw_batches = false;
    for f in files {
        match weft_sketch::examples::file_examples(&compiled.lowered, &map, f, batch) {
            Ok((ex, info)) => {
                report(&map, &info.warnings);
                saw_batches |= !info.batches.is_empty();
                match (&hypers_name, src.hypers) {
                    (Some(used), Some(hf)) => {
                        diags.extend(same_hypers(&map, hf, used, info.hypers.as_ref()))
                    }
                    _ => report(&map, &no_hypers_file(info.hypers.as_ref())),
                }
                append(&mut examples, &ex);
            }
            Err(mut d) => diags.append(&mut d),
        }
    }
    if let (Some(b), false, true) = (batch, saw_batches, diags.is_empty()) {
        diags.push(
            Diagnostic::error_nowhere(format!(
                "--batch {b}: no example file holds TerpreT batches, so there is no batch to pick"
            ))
            .with_note(
                "--batch picks a batch of a TerpreT data file ([{\"batch_name\": ..., \"instances\": [...]}])",
            ),
        );
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

/// The hyperparameters `--hypers` sets: the set named by the first data file whose batch
/// names one, or the file's only set when no data file names one.
fn read_hypers(
    map: &SourceMap,
    src: &Sources,
    hf: weft_syntax::FileId,
    batch: Option<&str>,
) -> Result<weft_sketch::examples::HyperSet, Vec<Diagnostic>> {
    let mut name = None;
    for &f in &src.data {
        name = weft_sketch::examples::data_hypers(map, f, batch)?;
        if name.is_some() {
            break;
        }
    }
    weft_sketch::examples::read_hypers_at(map, hf, name.as_ref()).map_err(|d| vec![d])
}

/// Every hyperparameter must name a `param` of the sketch (checked here, where the hypers
/// file's positions are known; the sketch's own errors are left to the compiler).
fn hypers_are_params(
    map: &SourceMap,
    file: weft_syntax::FileId,
    hypers: &[weft_sketch::examples::Hyper],
) -> Result<(), Vec<Diagnostic>> {
    let (module, diags) = weft_syntax::parse(file, &map.get(file).text);
    if diags.iter().any(|d| d.is_error()) {
        return Ok(());
    }
    let params: Vec<&str> = module
        .items
        .iter()
        .filter_map(|i| match i {
            weft_syntax::ast::Item::Param(p) => Some(p.name.name.as_str()),
            _ => None,
        })
        .collect();
    let note = if params.is_empty() {
        "the sketch declares no params".to_string()
    } else {
        format!("its params are: {}", params.join(", "))
    };
    let unknown: Vec<Diagnostic> = hypers
        .iter()
        .filter(|h| !params.contains(&h.name.as_str()))
        .map(|h| {
            Diagnostic::error(
                format!("hyperparameter `{}` is not a param of this sketch", h.name),
                h.span,
            )
            .with_label("not a param")
            .with_note(note.clone())
        })
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(unknown)
    }
}

/// A data file whose batch names another hyperparameter set than the one the params were set
/// from (`used`, with the span of its key in the hypers file).
fn same_hypers(
    map: &SourceMap,
    hf: weft_syntax::FileId,
    used: &(String, Span),
    this: Option<&(String, Span)>,
) -> Option<Diagnostic> {
    let (name, span) = this?;
    (*name != used.0).then(|| {
        Diagnostic::error(
            format!(
                "this batch asks for the hyperparameter set `{name}`, but the params were set from `{}`",
                used.0
            ),
            *span,
        )
        .with_label("another set")
        .with_secondary(used.1, "the set used")
        .with_note(format!(
            "one run uses one set of `{}`; give the data files that use other sets their own runs",
            map.get(hf).name
        ))
    })
}

/// A batch that names a hyperparameter set when no `--hypers` file was given: the params are
/// the sketch's (or `--set`'s), which the user should know.
fn no_hypers_file(this: Option<&(String, Span)>) -> Vec<Diagnostic> {
    this.map(|(name, span)| {
        Diagnostic::warning(
            format!("this batch asks for the hyperparameter set `{name}`, but no --hypers file was given"),
            *span,
        )
        .with_label("not read")
        .with_note("the params are the sketch's own (and --set's); give the set's file with --hypers")
    })
    .into_iter()
    .collect()
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
