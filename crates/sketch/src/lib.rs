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
use weft_syntax::{Diagnostic, FileId, SourceMap};

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
