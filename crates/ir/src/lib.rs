//! weft's intermediate representation: a typed finite-domain dataflow graph.
//!
//! Every sketch becomes one [`Graph`]: inputs, holes, constants, table applications and
//! multiplexers, plus the outputs, hard observations and soft costs over them. The graph is
//! shared by all examples; examples are columns of values ([`Examples`]) evaluated in a batch.
//! The exact evaluator in this crate is the ground truth every solver's answer is checked by.

pub mod builder;
pub mod domain;
pub mod graph;

pub use builder::Builder;
pub use domain::{Domain, DomainId, DomainKind};
pub use graph::{
    Cost, Graph, Hole, HoleDecl, HoleId, Node, NodeData, NodeId, Observation, Output, Slot,
    SrcSpan, Table, TableId,
};
pub mod examples;
pub use examples::{Assignment, Examples};
