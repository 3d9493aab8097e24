//! Integration tests of `weft-syntax`: parsing, the invalid-file corpus (snapshots) and
//! property tests.

mod invalid;
mod parse;
mod props;
mod render;
mod support;
