//! Integration tests of weft-asm: the language, the exact and differentiable machines,
//! compilation, gradients, tuning and templates.

mod diff;
mod lang;
mod synth;
