//! Tests of the SAT backend: random small graphs against the reference solver (satisfiable
//! or not, optimal cost, best fit, enumeration), random sketches lowered by weft against brute
//! force, sketches from the language, the miter, and the SMT-LIB export solved by Debian's z3.

mod props;
mod random_sketches;
mod sketches;
