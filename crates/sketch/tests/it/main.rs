//! Lowering tests: the benchmark sketches lower, invalid sketches give the expected
//! diagnostics (snapshots), no input text makes the front end or the data readers panic.

mod data;
mod differential;
mod invalid;
mod lowering;
mod no_panic;
mod random_programs;
