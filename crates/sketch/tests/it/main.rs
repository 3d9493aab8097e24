//! Lowering tests: the benchmark sketches lower, invalid sketches give the expected
//! diagnostics (snapshots), and no input text makes the front end panic.

mod differential;
mod invalid;
mod lowering;
mod no_panic;
mod random_programs;
