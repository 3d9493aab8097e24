//! weft's intermediate representation: a typed finite-domain dataflow graph.
//!
//! Every sketch becomes one [`Graph`]: inputs, holes, constants, table applications and
//! multiplexers, plus the outputs, hard observations and soft costs over them. The graph is
//! shared by all examples; examples are columns of values ([`Examples`]) evaluated in a batch.
//! The exact evaluator in this crate ([`Evaluator`]) is the ground truth every solver's answer
//! is checked by.
//!
//! Besides the graph and its [`Builder`] (which folds as it goes), this crate owns what every
//! front end and solver shares about answers: the readable IR dump ([`dump()`]), the hole file
//! format ([`holes_json`]) and the readable program an answer denotes ([`answer`]).
//!
//! ```
//! use weft_ir::{Assignment, Builder, Domain, Evaluator, Examples, Slot, SrcSpan};
//!
//! // out = x xor h, for an unknown bool h.
//! let mut b = Builder::new("flip");
//! let bool_d = b.bool_domain();
//! let slot = |name: &str| Slot { name: name.into(), decl: name.into(), index: vec![], domain: bool_d };
//! let x = b.input(slot("x"));
//! let h = b.hole_decl("h", vec![], bool_d, SrcSpan::default())[0];
//! let out = b.apply_fn("^", &[x, h], bool_d, |v| v[0] ^ v[1]);
//! b.output(slot("out"), out);
//! let g = b.finish();
//!
//! let mut ex = Examples::with_slots(1, 1);
//! ex.push(&[0], &[Some(1)], "example 1");
//! ex.push(&[1], &[Some(0)], "example 2");
//! let mut ev = Evaluator::new(&g).unwrap();
//! assert!(ev.passes_all(&g, &Assignment(vec![1]), &ex).unwrap());
//! assert!(!ev.passes_all(&g, &Assignment(vec![0]), &ex).unwrap());
//! assert_eq!(weft_ir::answer::program(&g, &Assignment(vec![1])).lines().nth(1), Some("  out = not(x)"));
//! ```

pub mod answer;
pub mod builder;
pub mod domain;
pub mod dump;
pub mod eval;
pub mod examples;
pub mod graph;
pub mod holes_json;
pub mod json;

pub use answer::{
    irrelevant_holes, jointly_irrelevant_holes, jointly_irrelevant_holes_where, program, specialize,
};
pub use builder::Builder;
pub use domain::{Domain, DomainId, DomainKind};
pub use dump::dump;
pub use eval::{validate_examples, EvalError, Evaluation, Evaluator, Moves};
pub use examples::{Assignment, Examples};
pub use graph::{
    Cost, Graph, Hole, HoleDecl, HoleId, Node, NodeData, NodeId, Observation, Output, Slot,
    SrcSpan, Table, TableId,
};
pub use holes_json::HoleFileError;
