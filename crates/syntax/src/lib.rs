//! The front end of weft's sketch language (`.wft` files): lexer, parser, syntax tree,
//! printer and diagnostics.
//!
//! A key design decision: **errors are data and the parser recovers**. Nothing in this crate
//! returns `Err` or panics on bad input: [`parse`] always yields a complete [`ast::Module`]
//! (with [`ast::ExprKind::Error`] where an expression could not be read) together with every
//! [`Diagnostic`] found, each carrying a [`Span`]. One run reports several independent
//! errors; turning them into text happens in one place, [`render::render`].
//!
//! ```
//! use weft_syntax::{parse, render::render, SourceMap};
//!
//! let mut map = SourceMap::new();
//! let text = "hole h: 0..4;\nsketch s(x: 0..4) -> bool { x == h }\n";
//! let file = map.add("s.wft", text);
//! let (module, diags) = parse(file, text);
//! assert!(diags.is_empty());
//! assert_eq!(module.items.len(), 2);
//!
//! // Two independent mistakes, both reported in one run.
//! let bad = "hole h: ;\nsketch s() { observe h == ; }\n";
//! let file = map.add("bad.wft", bad);
//! let (_, diags) = parse(file, bad);
//! assert_eq!(diags.len(), 2);
//! let text = render(&map, &diags, false);
//! assert!(text.contains("bad.wft:1:9"), "{text}");
//! assert!(text.contains("error: expected an expression, found `;`"), "{text}");
//! ```

pub mod ast;
pub mod diagnostic;
pub mod lexer;
pub mod parser;
pub mod printer;
pub mod render;
pub mod span;

pub use diagnostic::{Diagnostic, Label, Severity};
pub use parser::parse;
pub use span::{FileId, SourceMap, Span};
