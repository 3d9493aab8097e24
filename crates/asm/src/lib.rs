//! weft-asm: neural compilation (seed 003, after Bunel et al.'s Adaptive Neural Compilation).
//!
//! A minimal assembly language ([`program`]) runs on an exact machine ([`machine`]) and on a
//! differentiable one ([`diff`]); [`compile`] turns a program into the differentiable machine's
//! weights (eq. 3) and back; [`tune`] optimises weights with Adam on the composite loss and
//! judges recovery only by decompiling and running the program exactly on held-out inputs;
//! [`template`] enumerates loop templates into assembly; [`experiment`] runs seed 003's Table 1.
//!
//! The 13 instructions and their operation table are documented in [`op`]; the machine's
//! equations (seed 003, eq. 1–12) and where this implementation departs from them in [`diff`].
//!
//! The key design decision: the differentiable machine is a hand-written forward and backward
//! pass over flat `f32` buffers, batched over independent runs and examples — no tensor
//! framework (see ARCHITECTURE.md for the numbers).
//!
//! ```
//! use weft_asm::{machine::{run, Machine}, program::parse};
//! let p = parse("map_loop:\n read 1 2\n inc 2 2\n write 1 2\n inc 1 1\n jump 3 -> map_loop\n", 4)
//!     .unwrap();
//! let m = Machine { registers: 4, base: 8, cells: 8, steps: 20 };
//! let out = run(&m, &p, &[1, 2, 3, 4, 0, 0, 0, 0]).unwrap();
//! assert_eq!(&out.memory[..4], &[2, 3, 4, 5]);
//! ```

pub mod compile;
pub mod diff;
pub mod experiment;
pub mod machine;
pub mod op;
pub mod program;
pub mod rng;
pub mod task;
pub mod template;
pub mod tune;

/// Everything that can go wrong in weft-asm.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Program text did not parse; every problem, with line and column.
    #[error("{}", .0.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))]
    Parse(Vec<program::Diagnostic>),
    /// A program does not fit the machine (register out of range, bad target).
    #[error("{0}")]
    Program(String),
    /// A machine shape or memory is invalid, or a task does not fit the machine.
    #[error("{0}")]
    Machine(String),
    /// Weights of the wrong shape or a malformed weights file.
    #[error("bad weights: {0}")]
    Shape(String),
    /// An unknown task, template or configuration value.
    #[error("{0}")]
    Config(String),
}
