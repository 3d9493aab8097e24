//! The sketch front end: checks a parsed `.wft` module, unrolls it into an IR [`Graph`], and
//! reads its examples (inline, JSON, JSON Lines, TerpreT's data and hypers files).
//!
//! A key design decision: lowering emits IR through [`weft_ir::Builder`], which folds constants
//! as nodes are built, so compile-time evaluation (params, loop bounds, indices, function
//! tables) and runtime lowering are one code path. See [`lower`].
//!
//! ```
//! use weft_syntax::SourceMap;
//! let mut map = SourceMap::new();
//! let file = map.add("xor.wft", "hole g: bool;\n\
//!     sketch f(a: bool, b: bool) -> bool { if g { a ^ b } else { a && b } }\n\
//!     examples { (true, true) => false; (true, false) => true; }");
//! let c = weft_sketch::compile(&map, file, &weft_sketch::Config::default()).unwrap();
//! assert_eq!(c.graph.holes.len(), 1);
//! assert_eq!(c.examples.len(), 2);
//! ```

pub mod compact;
pub mod examples;
pub mod lower;

use weft_ir::{Examples, Graph};
use weft_syntax::{Diagnostic, FileId, SourceMap, Span};

pub use lower::{LowerConfig, Lowered, Ty};

/// How to compile a sketch.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// `--set NAME=VALUE` overrides (applied after hypers).
    pub overrides: Vec<(String, i64)>,
}

/// A compiled sketch: the graph and its inline examples.
pub struct Compiled {
    pub graph: Graph,
    pub examples: Examples,
    /// `examples "file";` declarations still to be read by the caller, with their spans.
    pub example_files: Vec<(String, weft_syntax::Span)>,
    pub lowered: Lowered,
    /// Warnings (never errors).
    pub warnings: Vec<Diagnostic>,
}

/// Parses, checks and lowers one sketch file already in `map`, with its inline examples.
pub fn compile(
    map: &SourceMap,
    file: FileId,
    config: &Config,
) -> Result<Compiled, Vec<Diagnostic>> {
    let (module, mut diags) = weft_syntax::parse(file, &map.get(file).text);
    if diags.iter().any(|d| d.is_error()) {
        return Err(diags);
    }
    let lowered = match lower::lower(
        &module,
        &LowerConfig {
            overrides: config.overrides.clone(),
        },
    ) {
        Ok(l) => l,
        Err(mut d) => {
            diags.append(&mut d);
            return Err(diags);
        }
    };
    diags.extend(lowered.warnings.iter().cloned());
    let examples = examples::inline_examples(&lowered, map)?;
    Ok(Compiled {
        graph: lowered.graph.clone(),
        examples,
        example_files: lowered.example_files.clone(),
        lowered,
        warnings: diags,
    })
}

/// An error, located at the sketch's `cost` statement of largest weight, when the total cost
/// over `examples` could leave the 64-bit integers (see [`weft_ir::eval::check_cost_range`]):
/// such a sketch is refused up front rather than summed wrong by a solver.
pub fn cost_range_error(graph: &Graph, examples: &Examples, file: FileId) -> Option<Diagnostic> {
    let Err(e) = weft_ir::eval::check_cost_range(graph, examples) else {
        return None;
    };
    let largest = graph.costs.iter().max_by_key(|c| {
        c.weights
            .iter()
            .map(|w| w.unsigned_abs())
            .max()
            .unwrap_or(0)
    })?;
    let span = Span::new(file, largest.span.start, largest.span.end);
    Some(
        Diagnostic::error(e.to_string(), span)
            .with_label("the largest cost")
            .with_note("scale the costs down: the total must fit a 64-bit integer"),
    )
}
